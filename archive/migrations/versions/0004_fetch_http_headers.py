"""fetch: the HTTP request and response headers as sent and received (for WARC)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fetch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_headers', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('response_headers', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fetch', schema=None) as batch_op:
        batch_op.drop_column('response_headers')
        batch_op.drop_column('request_headers')
