"""Plucked names in the parent's own row (MariaDB) or from one more query (elsewhere)."""

from apps.articles.models import Article
from apps.articles.schemas import ArticleSchema
from project.extensions import db
from project.rest.aggregate import aggregates
from project.rest.plan import ReadPlan

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


def test_a_cut_json_array_is_read_again_with_a_query(user, make_article):
    """The server cuts JSON_ARRAYAGG at group_concat_max_len: that parent is read again."""
    article = make_article(user, tags=["x", "y"])
    plan = ReadPlan(Article, ArticleSchema())
    (tags,) = plan.to_many
    assert tags.aggregated
    assert tags.children('["x", "y', article.id, {}) == ["x", "y"]
    assert tags.children('["x", "y"]', article.id, {}) == ["x", "y"]
    assert tags.children(None, article.id, {article.id: ["from the query"]}) == ["from the query"]
    assert tags.children(None, article.id, {}) == []
