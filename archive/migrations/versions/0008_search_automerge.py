"""search index: FTS5 merges segments in larger steps (automerge 16) on SQLite

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 23:50:00
"""
from alembic import op

from gongkai.archive import search

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    search.tune_index(op.get_bind())


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}, rank) "
                             "VALUES ('automerge', 4)")
