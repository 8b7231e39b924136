"""audit: MySQL appends an audited write's entry with one CALL

Revision ID: 9d5a7c2e4f61
Revises: 4b8d2e6f1a3c
Create Date: 2026-12-02 01:10:00

MySQL/MariaDB only (see apps/audit/models.py): the procedure holds the two
statements (move the head, hashing; copy it into the entry) that
apps/audit/chain.py sent one by one, so an audited write costs one round trip.
A procedure, unlike a trigger, needs no SUPER privilege with binary logging.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '9d5a7c2e4f61'
down_revision = '4b8d2e6f1a3c'
branch_labels = None
depends_on = None

APPEND_ONE_DDL = """\
CREATE PROCEDURE audit_append_one(
    p_now DATETIME(6),
    p_text_0 LONGBLOB, p_text_1 LONGBLOB, p_text_2 LONGBLOB, p_text_3 LONGBLOB,
    p_action VARCHAR(64) CHARACTER SET utf8mb4,
    p_outcome VARCHAR(16) CHARACTER SET utf8mb4,
    p_actor_id BIGINT,
    p_actor_username VARCHAR(150) CHARACTER SET utf8mb4,
    p_ip VARCHAR(45) CHARACTER SET utf8mb4,
    p_user_agent VARCHAR(512) CHARACTER SET utf8mb4,
    p_request_id VARCHAR(128) CHARACTER SET utf8mb4,
    p_method VARCHAR(16) CHARACTER SET utf8mb4,
    p_path VARCHAR(1024) CHARACTER SET utf8mb4,
    p_object_type VARCHAR(100) CHARACTER SET utf8mb4,
    p_object_id VARCHAR(64) CHARACTER SET utf8mb4,
    p_object_repr VARCHAR(200) CHARACTER SET utf8mb4,
    p_changes LONGTEXT CHARACTER SET utf8mb4,
    p_extra LONGTEXT CHARACTER SET utf8mb4
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
BEGIN
    UPDATE audit_audit_chain_head
    SET prev_hash = hash,
        hash = SHA2(CONCAT(
            p_text_0, seq + 1, p_text_1, hash, p_text_2,
            REPLACE(CAST(GREATEST(COALESCE(timestamp, p_now), p_now) AS CHAR), ' ', 'T'),
            'Z', p_text_3), 256),
        seq = seq + 1,
        timestamp = GREATEST(COALESCE(timestamp, p_now), p_now)
    WHERE id = 1;
    INSERT INTO audit_audit_entry (
        id, timestamp, prev_hash, hash, action, outcome, actor_id, actor_username, ip,
        user_agent, request_id, method, path, object_type, object_id, object_repr,
        changes, extra)
    SELECT seq, timestamp, prev_hash, hash, p_action, p_outcome, p_actor_id,
        p_actor_username, p_ip, p_user_agent, p_request_id, p_method, p_path,
        p_object_type, p_object_id, p_object_repr, p_changes, p_extra
    FROM audit_audit_chain_head WHERE id = 1;
END"""


def upgrade():
    if op.get_bind().dialect.name == "mysql":
        op.execute("DROP PROCEDURE IF EXISTS audit_append_one")
        op.execute(APPEND_ONE_DDL)


def downgrade():
    if op.get_bind().dialect.name == "mysql":
        op.execute("DROP PROCEDURE IF EXISTS audit_append_one")
