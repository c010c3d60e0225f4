"""search index on SQLite: the ascii tokenizer, and FTS5 merging segments 16 at a time

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
    conn = op.get_bind()
    if conn.dialect.name == "sqlite" and search.index_tokenizer(conn) != search.FTS_TOKENIZER:
        search.rebuild_index(conn)
    search.tune_index(conn)


def downgrade() -> None:
    # the tokens are the same to either tokenizer: only the merge setting goes back
    search.tune_index(op.get_bind(), automerge=4)
