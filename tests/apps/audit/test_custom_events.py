"""Custom events: `audit.record()` and `@audit.audited` for an app's own actions."""

import pytest
import sqlalchemy as sa

from apps import audit
from apps.articles.models import Tag
from project.errors import APIError

from .conftest import entries


class TagResource:
    """Stands in for a resource: what `audited` reads from a view is `model` and `lookup_field`."""

    model = Tag
    lookup_field = "id"

    @audit.audited("rename", reason="tidy")
    def rename(self, id, name):
        tag = audit_db().session.get(Tag, id)
        tag.name = name
        audit_db().session.commit()
        return tag

    @audit.audited("look")
    def look(self, id):
        return id

    @audit.audited("rename")
    def refuse(self, id):
        raise APIError(409, "conflict", "No.")


def audit_db():
    from project.extensions import db

    return db


def test_record_on_its_own_is_kept_whatever_the_session_does_next(db):
    audit.record("report_sent", recipients=3)
    db.session.add(Tag(name="discarded"))
    db.session.rollback()

    sent = entries(db, action="report_sent")
    assert [(e["outcome"], e["extra"], e["actor_username"]) for e in sent] == [
        ("success", {"recipients": 3}, "system")
    ]


def test_record_with_pending_changes_joins_their_transaction(db):
    tag = Tag(name="t")
    db.session.add(tag)
    db.session.flush()
    audit.record("tag_reviewed", target=tag, verdict="ok")
    db.session.rollback()
    assert entries(db) == []

    db.session.add(tag := Tag(name="t"))
    db.session.flush()
    audit.record("tag_reviewed", target=tag, verdict="ok")
    db.session.commit()
    reviewed = entries(db, action="tag_reviewed")[0]
    assert (reviewed["object_type"], reviewed["object_id"]) == ("articles.Tag", str(tag.id))
    assert reviewed["object_repr"] == "<Tag t>"


def test_a_failure_outcome_is_kept_although_the_change_is_rolled_back(db):
    db.session.add(Tag(name="t"))
    db.session.flush()
    audit.record("import_failed", outcome="failure", file="tags.csv")
    db.session.rollback()  # the failure waited for this transaction to end, then was written

    assert [(e["action"], e["outcome"]) for e in entries(db)] == [("import_failed", "failure")]
    with pytest.raises(ValueError, match="outcome"):
        audit.record("x", outcome="partial")


def test_audited_writes_its_action_in_the_transaction_of_the_change(app, db):
    db.session.add(Tag(name="before"))
    db.session.commit()
    tag_id = db.session.scalar(sa.select(Tag.id))

    with app.test_request_context(f"/tags/{tag_id}/rename", method="POST"):
        TagResource().rename(id=tag_id, name="after")

    actions = [(e["action"], e["object_id"]) for e in entries(db)]
    assert actions[1:] == [("rename", str(tag_id)), ("update", str(tag_id))]
    rename = entries(db, action="rename")[0]
    assert rename["extra"] == {"reason": "tidy"}
    assert rename["object_repr"] == "<Tag after>"  # as it is when the change is written
    assert rename["path"] == f"/tags/{tag_id}/rename"


def test_audited_records_a_method_that_writes_nothing_and_one_that_fails(app, db):
    with app.test_request_context("/tags/7"):
        TagResource().look(id=7)
        with pytest.raises(APIError):
            TagResource().refuse(id=7)

    log = [(e["action"], e["outcome"], e["object_id"], e["extra"]) for e in entries(db)]
    assert log == [
        ("look", "success", "7", {}),
        ("rename", "failure", "7", {"error": "APIError"}),
    ]


def test_acting_as_names_the_actor_of_a_job(db, make_user):
    clerk = make_user("clerk")
    with audit.acting_as(clerk):
        db.session.add(Tag(name="by-job"))
        db.session.commit()

    created = entries(db, action="create", object_type="articles.Tag")[0]
    assert (created["actor_id"], created["actor_username"]) == (clerk.id, "clerk")


def test_publishing_an_article_is_a_publish_entry_next_to_its_change(client, db, make_user):
    """The example in apps/articles/views.py, driven as a client would."""
    writer = make_user("writer")
    draft = client.post("/api/articles", json={"title": "Soon"}, headers=writer.headers).json
    response = client.post(f"/api/articles/{draft['id']}/publish", headers=writer.headers)

    assert response.status_code == 200
    assert response.json["status"] == "published"
    same_request = entries(db, request_id=response.headers["X-Request-ID"])
    assert [(e["action"], e["object_type"], e["object_id"]) for e in same_request] == [
        ("publish", "articles.Article", str(draft["id"])),
        ("update", "articles.Article", str(draft["id"])),
    ]
    assert same_request[1]["changes"] == {"status": ["draft", "published"]}
    assert {e["actor_username"] for e in same_request} == {"writer"}


def test_a_refused_publish_is_recorded_as_a_failure(client, db, make_user):
    writer, other = make_user("writer"), make_user("other")
    article = client.post(
        "/api/articles", json={"title": "Out", "status": "published"}, headers=writer.headers
    ).json
    response = client.post(f"/api/articles/{article['id']}/publish", headers=other.headers)

    assert response.status_code == 403
    refused = entries(db, request_id=response.headers["X-Request-ID"])
    assert [(e["action"], e["outcome"], e["actor_username"]) for e in refused] == [
        ("permission_denied", "failure", "other"),
        ("publish", "failure", "other"),
    ]
