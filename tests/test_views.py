"""What a SQL user sees: the reports and metrics views, statistics as rows, readable JSON, and
an archive from before derivations upgraded without loss, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from gongkai.archive.db import alembic_config, make_engine, open_archive
from gongkai.archive.search import Filters, query
from gongkai.parsers.metric_keys import unit_of
from tests.research_archive import REPORTS, SOURCES, build, url_of


def test_a_panel_across_regions_and_years_is_one_select(archive_url):
    engine = build(archive_url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT region, year, value, version, captured FROM metrics "
            "WHERE key = 'applications.received' ORDER BY region, year")).all()
    assert rows, "the seed reports state applications received"
    by_url = {r.region: r for r in rows}
    chenzhou = [r for r in rows if r.region == SOURCES["chenzhou"][1] and r.year == 2017]
    assert 215 in [r.value for r in chenzhou]  # the current version's figure, not v1's 213
    assert all(r.captured.endswith("Z") and "T" in r.captured for r in rows)
    assert by_url


def test_reports_view_has_one_row_per_current_report(archive_url):
    engine = build(archive_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM reports ORDER BY url")).mappings().all()
    assert [r["url"] for r in rows] == sorted(url_of(i) for i in range(len(REPORTS)))
    first = next(r for r in rows if r["url"] == url_of(0))
    assert first["version"] == 2 and first["source"] == "chenzhou"
    assert first["region"] == "湖南省郴州市" and first["year"] == 2017
    assert first["title"] == REPORTS[0][2] and first["published"] == REPORTS[0][3]
    assert first["publisher"] and first["index_no"] and first["parser_version"]
    assert first["first_seen"] > first["page_first_seen"]


def test_statistics_are_rows_with_unit_and_provenance(archive_url):
    engine = build(archive_url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT m.key, m.value, m.unit, m.from_prose FROM metric m "
            "JOIN derivation d ON d.id = m.derivation_id WHERE d.current")).all()
        stored = conn.execute(text("SELECT metrics FROM derivation")).scalars().all()
    assert len(rows) == sum(len(m if isinstance(m, dict) else json.loads(m)) for m in stored)
    assert all(r.unit == unit_of(r.key) for r in rows)
    assert any(r.from_prose for r in rows)  # the seeds state some figures only in sentences


def test_json_is_stored_as_readable_utf8(sqlite_url):
    engine = build(sqlite_url)
    with engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT CAST(meta AS TEXT) FROM derivation "
                                   "WHERE meta LIKE '%sections%' LIMIT 1").scalar()
    assert "\\u" not in raw and "一、" in raw


OLD_TEXT = "本机关全年共受理依申请公开申请213件。"


def test_an_archive_from_before_derivations_is_upgraded_without_loss(archive_url):
    engine = make_engine(archive_url)
    command.upgrade(alembic_config(engine), "0004")
    now = datetime(2025, 3, 1, tzinfo=UTC)
    escaped = json.dumps({"year": 2017, "published": "2018-03-31", "publisher": "郴州市人民政府办公室",
                          "template": "2008", "script": "hans", "kind": "html",
                          "sections": [{"heading": "一、概述", "text": OLD_TEXT}]})
    assert "\\u" in escaped  # as the old code wrote it
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO source (id, name, region, config_hash, created) "
                          "VALUES ('czs', '郴州市人民政府', '湖南省郴州市', :h, :t)"),
                     {"h": "0" * 64, "t": now})
        conn.execute(text("INSERT INTO blob (sha256, size, compression, data, created) "
                          "VALUES (:s, 1, 'zlib', :d, :t)"), {"s": "b" * 64, "d": b"x", "t": now})
        conn.execute(text(
            "INSERT INTO page (url, source_id, kind, status, first_seen, last_seen, "
            "current_version) VALUES (:u, 'czs', 'report', 'live', :t, :t, 1)"),
            {"u": url_of(0), "t": now})
        conn.execute(text(
            "INSERT INTO version (page_id, number, content_hash, title, text, meta, metrics, "
            "warnings, parser_version, blob_sha256, first_seen, last_seen) VALUES ("
            "(SELECT id FROM page), 1, :h, "
            ":title, :text, :meta, :metrics, '[]', 'gongkai-parsers/0.3.0', :b, :t, :t)"),
            {"h": "c" * 64, "title": "郴州市2017年政府信息公开工作年度报告", "text": OLD_TEXT,
             "meta": escaped, "metrics": json.dumps({"applications.received": 213}),
             "b": "b" * 64, "t": now})
    engine.dispose()
    engine = open_archive(archive_url)  # upgrades to head on first use
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM reports")).mappings().one()
        assert row["url"] == url_of(0) and row["year"] == 2017 and row["template"] == "2008"
        assert row["publisher"] == "郴州市人民政府办公室" and row["content_hash"] == "c" * 64
        assert conn.execute(text("SELECT value FROM metrics WHERE key = "
                                 "'applications.received'")).scalar() == 213
        hits = query(conn, "依申请", Filters())
        assert [h.url for h in hits] == [url_of(0)]
        assert "\\u" not in conn.execute(text("SELECT CAST(meta AS TEXT) FROM derivation")
                                         ).scalar()
    # and the next id of a derivation does not collide with the migrated ones
    new_id = _insert_derivation(engine)
    assert new_id > 1


def _insert_derivation(engine) -> int:
    from gongkai.archive.store import FetchRecord, Store
    from gongkai.parsers.report import parse
    from tests.pages import report_page

    body = report_page()
    Store(engine).record(FetchRecord(url=url_of(9), outcome="ok", http_status=200, body=body,
                                     source_id="czs", report=parse(body, url_of(9), {}),
                                     content_type="text/html"))
    with engine.connect() as conn:
        return conn.execute(text("SELECT max(id) FROM derivation")).scalar()
