"""research access: derivations, metric rows, full-text index, views, readable JSON

What a parser made of a version moves out of the version row into ``derivation`` (one per
parser version; reparse adds one instead of rewriting), statistics become rows in ``metric``,
the current derivations get a full-text index, and the views ``reports`` and ``metrics`` give
SQL users one row per report and per statistic. JSON already stored with ``\\uXXXX`` escapes
is rewritten as UTF-8.

The data steps use the archive's own bigram tokenizer and metric units, so the index and the
rows are the ones the running code would have written.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:00:00
"""
import json

import sqlalchemy as sa
from alembic import op

from gongkai.archive import search
from gongkai.archive.views import create_views, drop_views
from gongkai.parsers.metric_keys import unit_of

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_SCALARS = ("region", "year", "published", "index_no", "publisher", "doc_no", "template",
            "script", "kind")


def _json(value):
    if value is None or isinstance(value, (dict, list)):
        return value
    return json.loads(value)


def upgrade() -> None:
    op.create_table(
        'derivation',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('parser_version', sa.String(length=128), nullable=False),
        sa.Column('current', sa.Boolean(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('title', sa.Text(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=True),
        sa.Column('published', sa.String(length=10), nullable=True),
        sa.Column('region', sa.Text(), nullable=True),
        sa.Column('publisher', sa.Text(), nullable=True),
        sa.Column('index_no', sa.Text(), nullable=True),
        sa.Column('doc_no', sa.Text(), nullable=True),
        sa.Column('template', sa.String(length=8), nullable=True),
        sa.Column('script', sa.String(length=8), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('meta', sa.JSON(), nullable=False),
        sa.Column('metrics', sa.JSON(), nullable=False),
        sa.Column('warnings', sa.JSON(), nullable=False),
        sa.Column('derived_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['version.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'parser_version'),
    )
    with op.batch_alter_table('derivation', schema=None) as batch_op:
        batch_op.create_index('ix_derivation_current', ['version_id', 'current'], unique=False)
        batch_op.create_index('ix_derivation_content_hash', ['content_hash'], unique=False)
        batch_op.create_index('ix_derivation_year', ['year'], unique=False)
    op.create_table(
        'metric',
        sa.Column('derivation_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=128), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('unit', sa.String(length=8), nullable=False),
        sa.Column('from_prose', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['derivation_id'], ['derivation.id']),
        sa.PrimaryKeyConstraint('derivation_id', 'key'),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table('metric', schema=None) as batch_op:
        batch_op.create_index('ix_metric_key', ['key', 'derivation_id'], unique=False)

    conn = op.get_bind()
    search.create_index(conn)
    derivation = sa.table(
        'derivation',
        *(sa.column(c) for c in ('id', 'version_id', 'parser_version', 'current',
                                 'content_hash', 'title', 'text', *_SCALARS, 'derived_at')),
        *(sa.column(c, sa.JSON()) for c in ('meta', 'metrics', 'warnings')))
    metric = sa.table('metric', *(sa.column(c) for c in (
        'derivation_id', 'key', 'value', 'unit', 'from_prose')))
    rows = conn.execute(sa.text(
        "SELECT id, content_hash, title, text, meta, metrics, warnings, parser_version, "
        "first_seen, reparsed_at FROM version ORDER BY id")).mappings().all()
    for row in rows:
        meta = _json(row["meta"]) or {}
        metrics = _json(row["metrics"]) or {}
        scalars = {key: meta.get(key) for key in _SCALARS}
        scalars["script"] = scalars["script"] or "hans"
        scalars["kind"] = scalars["kind"] or "html"
        conn.execute(derivation.insert().values(
            id=row["id"], version_id=row["id"], parser_version=row["parser_version"],
            current=True, content_hash=row["content_hash"], title=row["title"],
            text=row["text"], **scalars,
            meta={k: meta.get(k) for k in ("encoding", "sections", "tables")}
            | {"metrics_from_prose": []},
            metrics=metrics, warnings=_json(row["warnings"]) or [],
            derived_at=row["reparsed_at"] or row["first_seen"]))
        if metrics:
            conn.execute(metric.insert(), [
                {"derivation_id": row["id"], "key": k, "value": v, "unit": unit_of(k),
                 "from_prose": False} for k, v in metrics.items()])
        search.add(conn, row["id"], row["title"], row["text"])
    if conn.dialect.name == "postgresql" and rows:
        conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('derivation', 'id'), "
                             "(SELECT max(id) FROM derivation))")

    # Not a batch (copy-and-rename) on SQLite: derivation now references version, and
    # dropping the old table would break that foreign key. SQLite >= 3.35 drops columns itself.
    op.drop_index('ix_version_page_hash', table_name='version')
    for column in ('content_hash', 'title', 'text', 'meta', 'metrics', 'warnings',
                   'parser_version', 'reparsed_at'):
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"ALTER TABLE version DROP COLUMN {column}")
        else:
            op.drop_column('version', column)

    # run errors were written with \uXXXX escapes: make them readable UTF-8
    for run_id, errors in conn.execute(sa.text("SELECT id, errors FROM run")).all():
        conn.execute(sa.text("UPDATE run SET errors = :e WHERE id = :id"),
                     {"e": json.dumps(_json(errors) or [], ensure_ascii=False), "id": run_id})
    create_views(conn)


def downgrade() -> None:
    conn = op.get_bind()
    drop_views(conn)
    with op.batch_alter_table('version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_hash', sa.String(64), nullable=True))
        batch_op.add_column(sa.Column('title', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('meta', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('metrics', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('warnings', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('parser_version', sa.String(128), nullable=True))
        batch_op.add_column(sa.Column('reparsed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_version_page_hash', ['page_id', 'content_hash'])
    for column in ('content_hash', 'title', 'text', 'metrics', 'warnings', 'parser_version'):
        conn.execute(sa.text(
            f"UPDATE version SET {column} = (SELECT d.{column} FROM derivation d "
            f"WHERE d.version_id = version.id AND d.current)"))
    conn.execute(sa.text("UPDATE version SET meta = (SELECT d.meta FROM derivation d "
                         "WHERE d.version_id = version.id AND d.current)"))
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {search.FTS_TABLE}")
    else:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {search.PG_TABLE}")
    op.drop_table('metric')
    op.drop_table('derivation')
