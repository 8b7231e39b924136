"""`python manage.py articles seed`: demo rows, and a planner that knows about them."""

import sqlalchemy as sa

from apps.accounts.models import User
from apps.articles.models import Article, Comment, Tag, article_tags


def _seed(app, *options):
    return app.test_cli_runner().invoke(args=["articles", "seed", *options])


def _count(db, table):
    return db.session.scalar(sa.select(sa.func.count()).select_from(table))


def test_seed_writes_the_rows_it_announces(app, db):
    result = _seed(
        app, "--articles", "30", "--users", "3", "--tags", "5", "--tags-per-article", "2"
    )

    assert result.exit_code == 0, result.output
    assert "Seeded 3 users, 5 tags, 30 articles (2 tags and 1 comments each)" in result.output
    assert _count(db, Article.__table__) == 30
    assert _count(db, article_tags) == 60
    assert _count(db, Comment.__table__) == 30
    assert _count(db, Tag.__table__) == 5
    staff = db.session.scalars(sa.select(User.username).where(User.is_staff)).all()
    assert staff == ["seed-user-1"]


def test_seed_refreshes_the_planner_statistics_on_mysql(app, db, count_queries):
    """InnoDB would measure the new rows later, in the background; the seed has it done now."""
    with count_queries() as counter:
        result = _seed(app, "--articles", "40", "--users", "2", "--tags", "4")

    assert result.exit_code == 0, result.output
    analyzed = [s for s in counter.statements if s.upper().startswith("ANALYZE")]
    if db.engine.dialect.name != "mysql":
        assert analyzed == []  # SQLite plans without statistics: nothing is measured
        return
    assert len(analyzed) == 1
    named = {name.strip(" `") for name in analyzed[0].removeprefix("ANALYZE TABLE ").split(",")}
    assert named == {
        "accounts_user",
        "articles_tag",
        "articles_article",
        "articles_article_tags",
        "articles_comment",
    }
    measured = db.session.execute(
        sa.text(
            "SELECT n_rows FROM mysql.innodb_table_stats "
            "WHERE database_name = DATABASE() AND table_name = 'articles_article_tags'"
        )
    ).scalar_one()
    assert measured == _count(db, article_tags)
