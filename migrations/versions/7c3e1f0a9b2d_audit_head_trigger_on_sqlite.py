"""audit: on SQLite the chain head follows each inserted entry by trigger

Revision ID: 7c3e1f0a9b2d
Revises: 1a2714c4d952
Create Date: 2026-12-01 21:00:00

SQLite only (see apps/audit/models.py): MySQL keeps the append's UPDATE of the
head, since creating a trigger there may need privileges an application's
user lacks.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c3e1f0a9b2d'
down_revision = '1a2714c4d952'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_audit_entry_moves_head AFTER INSERT ON audit_audit_entry "
            "BEGIN UPDATE audit_audit_chain_head SET seq = NEW.id, hash = NEW.hash, "
            "timestamp = NEW.timestamp WHERE id = 1; END"
        )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_audit_entry_moves_head")
