"""The read-only audit API, as an auditor (and those who are not) uses it."""

import pytest

from apps.accounts.models import User
from apps.articles.models import Tag
from project import create_app

from .conftest import entries


def add_tags(db, *names):
    for name in names:
        db.session.add(Tag(name=name))
        db.session.commit()


def test_an_auditor_reads_the_log_newest_first_and_the_read_is_recorded(client, db, auditor):
    add_tags(db, "one", "two")
    response = client.get("/api/audit/entries?size=2", headers=auditor.headers)

    assert response.status_code == 200
    page = response.json
    assert [item["object_repr"] for item in page["items"]] == ["<Tag two>", "<Tag one>"]
    first = page["items"][1]
    assert first["changes"]["name"] == [None, "one"]
    assert set(first) >= {"id", "timestamp", "actor_username", "ip", "prev_hash", "hash"}
    read = entries(db, action="audit_view")
    assert len(read) == 1
    assert (read[0]["actor_id"], read[0]["actor_username"]) == (auditor.id, "auditor")
    assert read[0]["extra"] == {"query": {"size": ["2"]}}
    assert read[0]["request_id"] == response.headers["X-Request-ID"]


def test_filters_narrow_the_log(client, db, auditor, make_user):
    writer = make_user("writer")
    add_tags(db, "alpha")
    made = client.post("/api/articles", json={"title": "By writer"}, headers=writer.headers)
    request_id = made.headers["X-Request-ID"]

    def ids(query):
        response = client.get(f"/api/audit/entries?{query}", headers=auditor.headers)
        assert response.status_code == 200, response.json
        return [(i["action"], i["object_type"]) for i in response.json["items"]]

    assert ids("action=create&object_type=articles.Tag") == [("create", "articles.Tag")]
    assert ids(f"actor_id={writer.id}") == [("create", "articles.Article")]
    assert ids(f"request_id={request_id}") == [("create", "articles.Article")]
    assert ids("outcome=failure") == []
    assert ids("since=2000-01-01&until=2000-12-31") == []
    assert ("create", "articles.Tag") in ids("since=2000-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=yesterday", "since"),
        ("until=2026-13-45", "until"),
        ("since=0001-01-01T00:00:00%2B14:00", "since"),
        ("action=teleport", "action"),
        ("actor_id=abc", "actor_id"),
        ("outcome=maybe", "outcome"),
        ("colour=blue", "colour"),
    ],
)
def test_bad_filters_are_422_naming_the_filter(client, auditor, query, field):
    response = client.get(f"/api/audit/entries?{query}", headers=auditor.headers)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]


def test_a_huge_page_size_is_capped(client, db, auditor):
    response = client.get("/api/audit/entries?size=1000000", headers=auditor.headers)
    assert response.status_code == 200
    assert response.json["size"] == 100


def test_one_entry_and_an_objects_history_oldest_first(client, db, auditor):
    add_tags(db, "first")
    tag = db.session.scalar(db.select(Tag))
    tag.name = "renamed"
    db.session.commit()
    db.session.delete(tag)
    db.session.commit()

    history = client.get(f"/api/audit/history/articles.Tag/{tag.id}", headers=auditor.headers)
    assert history.status_code == 200
    assert [i["action"] for i in history.json["items"]] == ["create", "update", "delete"]
    one = client.get(
        f"/api/audit/entries/{history.json['items'][1]['id']}", headers=auditor.headers
    )
    assert one.json["changes"] == {"name": ["first", "renamed"]}
    assert client.get("/api/audit/entries/999999", headers=auditor.headers).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/api/audit/entries", "/api/audit/entries/1"])
def test_nobody_writes_the_log_through_the_api(
    client, db, make_user, app, monkeypatch, method, path
):
    monkeypatch.setitem(app.config, "AUDIT_ALLOW_SUPERUSER", True)
    root = make_user("root", is_staff=True, is_superuser=True)
    add_tags(db, "x")

    response = getattr(client, method)(path, json={"action": "forged"}, headers=root.headers)
    assert response.status_code == 405
    assert [e["action"] for e in entries(db)].count("forged") == 0


def test_a_non_staff_caller_is_refused_and_the_refusal_is_an_entry(client, db, make_user):
    member = make_user("member")
    response = client.get("/api/audit/entries", headers=member.headers)

    assert response.status_code == 403
    denied = entries(db, action="permission_denied")
    assert len(denied) == 1
    entry = denied[0]
    assert (entry["actor_id"], entry["actor_username"], entry["outcome"]) == (
        member.id,
        "member",
        "failure",
    )
    assert entry["extra"]["permission"] == "CanReadAuditLog"
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert client.get("/api/audit/entries").status_code == 401


def test_staff_without_the_permission_are_refused(client, make_user):
    staff = make_user("staff", is_staff=True)
    assert client.get("/api/audit/entries", headers=staff.headers).status_code == 403


def test_a_superuser_needs_the_auditor_group_unless_the_setting_allows(
    client, db, make_user, app, monkeypatch, auditor_group
):
    root = make_user("root", is_staff=True, is_superuser=True)
    assert client.get("/api/audit/entries", headers=root.headers).status_code == 403

    monkeypatch.setitem(app.config, "AUDIT_ALLOW_SUPERUSER", True)
    assert client.get("/api/audit/entries", headers=root.headers).status_code == 200

    monkeypatch.setitem(app.config, "AUDIT_ALLOW_SUPERUSER", False)
    auditing_root = make_user("root2", is_staff=True, is_superuser=True, groups=[auditor_group])
    assert client.get("/api/audit/entries", headers=auditing_root.headers).status_code == 200


def test_the_auditor_group_holds_the_read_permission_and_nothing_else(db, auditor):
    user = db.session.get(User, auditor.id)
    assert user.get_all_permissions() == {"audit.view_auditentry"}
    assert [g.name for g in user.groups] == ["auditor"]


def test_the_ip_is_the_clients_only_through_trusted_proxies(client, db, make_user, app):
    writer = make_user("writer")
    forged = {"X-Forwarded-For": "203.0.113.9", **writer.headers}
    client.post("/api/articles", json={"title": "From afar"}, headers=forged)

    created = entries(db, action="create", object_type="articles.Article")
    assert created[0]["ip"] == "127.0.0.1"  # TRUSTED_PROXY_COUNT = 0: the header is ignored


def test_behind_one_trusted_proxy_the_ip_is_the_one_the_proxy_saw(app, database_url, db, make_user):
    proxied = create_app("testing", DATABASE_URL=database_url, TRUSTED_PROXY_COUNT=1)
    proxied.test_client_class = app.test_client_class
    writer = make_user("writer")
    chain = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7", **writer.headers}
    response = proxied.test_client().post("/api/articles", json={"title": "Hi"}, headers=chain)
    assert response.status_code == 201

    with proxied.app_context():
        db.engine.dispose()

    created = entries(db, action="create", object_type="articles.Article")
    assert created[0]["ip"] == "198.51.100.7"  # the client may forge the first, not the last
