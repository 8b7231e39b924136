"""Plucked names in the parent's own row (MariaDB) or from one more query (elsewhere)."""

import sqlalchemy as sa

from project.extensions import db
from project.rest.aggregate import GROUP_CONCAT_MAX_LEN, aggregates

NAMES = ['a "quoted"', "b \\ back slash", "c 中文", "d 🎉", "e \n new line"]


def test_names_come_back_as_written_whichever_way_they_are_read(
    client, user, make_article, count_queries
):
    article = make_article(user, tags=reversed(NAMES))
    with count_queries() as counter:
        response = client.get(f"/api/articles/{article.id}")
    assert response.json["tags"] == NAMES
    tag_reads = [
        s for s in counter.statements if s.lstrip().startswith("SELECT articles_article_tags")
    ]
    with client.application.app_context():
        assert len(tag_reads) == (0 if aggregates(db.engine.dialect) else 1)
    listed = client.get("/api/articles").json["items"]
    assert listed[0]["tags"] == NAMES


def test_an_aggregated_list_is_never_cut_short(db):
    """MariaDB cuts JSON_ARRAYAGG at group_concat_max_len and still returns valid JSON."""
    if db.engine.dialect.name != "mysql":
        assert not aggregates(db.engine.dialect)  # elsewhere the children are one more query
        return
    limit = db.session.execute(sa.text("SELECT @@SESSION.group_concat_max_len")).scalar_one()
    assert limit == GROUP_CONCAT_MAX_LEN
