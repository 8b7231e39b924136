"""audit: on SQLite an entry's id is the table's rowid

Revision ID: 5e2b9c4d7f10
Revises: 9d5a7c2e4f61
Create Date: 2026-12-03 06:40:00

SQLite only (see apps/audit/models.py): with a BIGINT primary key SQLite keeps
a rowid table plus a unique index on id; an INTEGER primary key is the rowid,
so every append writes one b-tree fewer. The table is rebuilt (SQLite cannot
change a column's type in place), which drops its trigger: it is created again.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '5e2b9c4d7f10'
down_revision = '9d5a7c2e4f61'
branch_labels = None
depends_on = None

TRIGGER = (
    "CREATE TRIGGER audit_audit_entry_moves_head AFTER INSERT ON audit_audit_entry "
    "BEGIN UPDATE audit_audit_chain_head SET seq = NEW.id, hash = NEW.hash, "
    "timestamp = NEW.timestamp WHERE id = 1; END"
)


def _retype_id(old, new):
    with op.batch_alter_table("audit_audit_entry", recreate="always") as batch_op:
        batch_op.alter_column(
            "id", existing_type=old, type_=new, existing_nullable=False, autoincrement=False
        )
    op.execute(TRIGGER)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _retype_id(sa.BigInteger(), sa.Integer())


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _retype_id(sa.Integer(), sa.BigInteger())
