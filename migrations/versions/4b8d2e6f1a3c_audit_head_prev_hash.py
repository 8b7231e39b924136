"""audit: the chain head keeps its entry's prev_hash (MySQL's two-statement append)

Revision ID: 4b8d2e6f1a3c
Revises: 7c3e1f0a9b2d
Create Date: 2026-12-01 23:00:00

On MySQL/MariaDB one audited write appends in two statements: an UPDATE moves
the head, the database computing the new link hash, and an INSERT ... SELECT
copies the head into the entry, prev_hash included (see apps/audit/chain.py).
A plain ADD COLUMN: SQLite adds a nullable column in place.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '4b8d2e6f1a3c'
down_revision = '7c3e1f0a9b2d'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'audit_audit_chain_head', sa.Column('prev_hash', sa.String(length=64), nullable=True)
    )


def downgrade():
    # Not a batch on SQLite (3.35+ drops a column in place): a batch copies the
    # table, which the entries' trigger refers to.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE audit_audit_chain_head DROP COLUMN prev_hash")
    else:
        op.drop_column('audit_audit_chain_head', 'prev_hash')
