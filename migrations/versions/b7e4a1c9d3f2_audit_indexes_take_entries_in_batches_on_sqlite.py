"""audit: on SQLite the entry indexes take new entries in batches

Revision ID: b7e4a1c9d3f2
Revises: 5e2b9c4d7f10
Create Date: 2026-12-03 12:40:00

Every entry gets `in_indexes` (1 for the entries already there). On SQLite the
five indexes are made partial, `WHERE in_indexes = 1`: appends write 0 and
the audit app files them in batches (its `indexing` module). MySQL/MariaDB
have no partial indexes; theirs stay as they are.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'b7e4a1c9d3f2'
down_revision = '5e2b9c4d7f10'
branch_labels = None
depends_on = None

TABLE = "audit_audit_entry"
INDEXES = (
    ("ix_audit_audit_entry_timestamp", ["timestamp"]),
    ("ix_audit_audit_entry_request_id", ["request_id"]),
    ("ix_audit_audit_entry_action_id", ["action", "id"]),
    ("ix_audit_audit_entry_actor_id_id", ["actor_id", "id"]),
    ("ix_audit_audit_entry_object", ["object_type", "object_id", "id"]),
)


def _recreate_indexes(**options):
    for name, columns in INDEXES:
        op.drop_index(name, table_name=TABLE)
        op.create_index(name, TABLE, columns, unique=False, **options)


def upgrade():
    op.add_column(
        TABLE, sa.Column("in_indexes", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    if op.get_bind().dialect.name == "sqlite":
        _recreate_indexes(sqlite_where=sa.text("in_indexes = 1"))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"UPDATE {TABLE} SET in_indexes = 1")  # whole indexes hold every entry
        _recreate_indexes()
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.drop_column("in_indexes")
