"""A database built by the migrations starts with the audit chain's head row."""

import flask_migrate
import sqlalchemy as sa

from project import create_app
from project.extensions import db


def test_db_upgrade_seeds_the_chain_head(tmp_path):
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
    with app.app_context():
        flask_migrate.upgrade()
        rows = db.session.execute(sa.text("SELECT id, seq, hash FROM audit_audit_chain_head")).all()
        db.engine.dispose()
    assert rows == [(1, 0, "0" * 64)]
