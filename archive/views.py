"""The views researchers query: ``reports`` (one row per report as it stands) and ``metrics``
(one row per statistic of it), the same columns on SQLite and PostgreSQL.

Times leave the views as ISO 8601 text in UTC with a ``Z`` (SQLite stores no offset, and a
spreadsheet or R reads the text unambiguously); ``first_seen`` and ``last_seen`` are those of
the version the row shows. Both views read the current derivation of the current version;
older versions and derivations are in the tables (see docs/schema.md).
"""

from __future__ import annotations

from sqlalchemy import Connection

VIEWS = ("reports", "metrics")


def iso_sql(column: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {column})"


def _current_join() -> str:
    return """FROM page p
JOIN version v ON v.page_id = p.id AND v.number = p.current_version
JOIN derivation d ON d.version_id = v.id AND d.current
LEFT JOIN source s ON s.id = p.source_id"""


def reports_sql(dialect: str) -> str:
    return f"""CREATE VIEW reports AS
SELECT p.url AS url, p.source_id AS source, s.name AS source_name,
       COALESCE(s.region, d.region) AS region, d.year AS year, d.title AS title,
       d.publisher AS publisher, d.index_no AS index_no, d.doc_no AS doc_no,
       d.published AS published, d.template AS template, d.kind AS kind,
       d.script AS script, p.status AS status, v.number AS version,
       d.parser_version AS parser_version, d.content_hash AS content_hash,
       {iso_sql('v.first_seen', dialect)} AS first_seen,
       {iso_sql('v.last_seen', dialect)} AS last_seen,
       {iso_sql('p.first_seen', dialect)} AS page_first_seen,
       p.id AS page_id, v.id AS version_id, d.id AS derivation_id
{_current_join()}"""


def metrics_sql(dialect: str) -> str:
    return f"""CREATE VIEW metrics AS
SELECT p.source_id AS source, COALESCE(s.region, d.region) AS region, d.year AS year,
       m.key AS key, m.value AS value, m.unit AS unit, m.from_prose AS from_prose,
       p.url AS url, v.number AS version, d.parser_version AS parser_version,
       {iso_sql('v.first_seen', dialect)} AS captured, d.template AS template,
       m.derivation_id AS derivation_id
FROM metric m
JOIN derivation d ON d.id = m.derivation_id AND d.current
JOIN version v ON v.id = d.version_id
JOIN page p ON p.id = v.page_id AND p.current_version = v.number
LEFT JOIN source s ON s.id = p.source_id"""


def create_views(conn: Connection) -> None:
    dialect = conn.dialect.name
    conn.exec_driver_sql(reports_sql(dialect))
    conn.exec_driver_sql(metrics_sql(dialect))


def drop_views(conn: Connection) -> None:
    for name in VIEWS:
        conn.exec_driver_sql(f"DROP VIEW IF EXISTS {name}")
