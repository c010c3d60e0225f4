"""The researcher's commands end to end through the real ``gongkai`` CLI: search, show,
export, metrics history and the --csv / --as-of options of the listing commands."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from gongkai.crawler.cli import main
from tests.research_archive import REPORTS, SOURCES, T0, T1, WITHDRAWN, build, url_of


@pytest.fixture
def db(archive_url):
    build(archive_url)
    return archive_url


def run(db, *args, ok=True):
    result = CliRunner().invoke(main, [*args, "--db", db], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output + (result.stderr or "")
    return result


def test_search_json_has_the_interface_shape(db):
    rows = json.loads(run(db, "search", "依申請公開", "--json").stdout)
    assert rows and {"url", "title", "region", "year", "version", "snippet"} <= set(rows[0])
    dayu = next(r for r in rows if r["url"] == url_of(2))
    assert dayu["title"] == "大余县2019年政府信息公开工作年度报告" and dayu["year"] == 2019
    assert "依申请公开" in dayu["snippet"]


def test_search_text_and_csv(db):
    out = run(db, "search", "复议", "--source", "qhd").stdout
    assert "[复议]" in out and url_of(3) in out
    table = list(csv.reader(io.StringIO(run(db, "search", "复议", "--csv").stdout)))
    assert table[0][:3] == ["url", "title", "source"] and len(table) == 1 + len(REPORTS)


def test_malformed_search_is_one_line_and_exit_2(db):
    result = run(db, "search", "*", ok=False)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "gongkai:" in result.stderr
    assert "Traceback" not in result.output
    bad = run(db, "search", "公开", "--since", "last week", ok=False)
    assert bad.exit_code == 2 and "--since" in bad.stderr


def test_show_versions_as_of_and_raw(db):
    latest = json.loads(run(db, "show", url_of(0), "--json").stdout)
    assert latest["version"] == 2 and latest["parser_version"].startswith("gongkai-parsers/")
    assert {"url", "title", "text", "metrics", "sections", "tables", "first_seen",
            "last_seen", "published", "template", "script"} <= set(latest)
    assert WITHDRAWN not in latest["text"] and "215件" in latest["text"]
    first = json.loads(run(db, "show", url_of(0), "--as-of", T0.date().isoformat(),
                           "--json").stdout)
    assert first["version"] == 1 and WITHDRAWN in first["text"]
    assert json.loads(run(db, "show", url_of(0), "--version", "1", "--json").stdout) == first
    text = run(db, "show", url_of(2)).stdout
    assert "大余县" in text and "\x1b" not in text
    raw = subprocess.run([sys.executable, "-m", "gongkai.crawler.cli", "show", url_of(0),
                          "--version", "1", "--raw", "--db", db], capture_output=True, check=True)
    assert raw.stdout.startswith(b"<!DOCTYPE html>") and WITHDRAWN.encode() in raw.stdout
    missing = run(db, "show", url_of(0), "--version", "9", ok=False)
    assert missing.exit_code == 1 and "no version 9" in missing.stderr
    early = run(db, "show", url_of(0), "--as-of", "2020-01-01", ok=False)
    assert early.exit_code == 1 and "not yet archived" in early.stderr


def test_metrics_history_by_url_and_source(db):
    rows = json.loads(run(db, "metrics", "history", url_of(0), "applications.received",
                          "--json").stdout)
    values = [(r["version"], r["value"]) for r in rows]
    assert values == [(1, 213), (2, 215)]
    assert rows[0]["first_seen"].startswith(T0.date().isoformat())
    assert rows[1]["first_seen"].startswith(T1.date().isoformat())
    assert all(r["parser_version"] for r in rows)
    by_source = json.loads(run(db, "metrics", "history", "chenzhou", "applications.received",
                               "--json").stdout)
    assert {r["url"] for r in by_source} >= {url_of(0)}
    missing = run(db, "metrics", "history", "nowhere", "applications.received", ok=False)
    assert missing.exit_code == 1


def test_export_reports_csv_jsonl_parquet(db, tmp_path):
    table = list(csv.DictReader(io.StringIO(run(db, "export", "reports").stdout)))
    assert len(table) == len(REPORTS)
    assert all(r["version"] and r["parser_version"] for r in table)
    assert {r["region"] for r in table} == {region for _, region in SOURCES.values()}
    everything = run(db, "export", "reports", "--all-versions", "--format", "jsonl").stdout
    lines = [json.loads(line) for line in everything.splitlines()]
    assert len(lines) == len(REPORTS) + 1 and lines[0]["first_seen"].endswith("Z")
    then = run(db, "export", "reports", "--as-of", T0.date().isoformat(), "--format", "jsonl",
               "--with-text").stdout
    assert WITHDRAWN in then and "215件" not in then
    out = tmp_path / "reports.parquet"
    run(db, "export", "reports", "--format", "parquet", "-o", str(out))
    assert pq.read_table(out).num_rows == len(REPORTS)


def test_export_metrics_tidy_and_panel(db, tmp_path):
    rows = [json.loads(line) for line in run(db, "export", "metrics", "--format",
                                             "jsonl").stdout.splitlines()]
    received = [r for r in rows if r["key"] == "applications.received"
                and r["url"] == url_of(0)]
    assert [r["value"] for r in received] == [215] and received[0]["version"] == 2
    assert isinstance(received[0]["from_prose"], bool) and received[0]["unit"] == "件"
    old = [json.loads(line) for line in run(db, "export", "metrics", "--format", "jsonl",
                                            "--as-of", T0.date().isoformat()).stdout.splitlines()]
    assert [r["value"] for r in old if r["key"] == "applications.received"
            and r["url"] == url_of(0)] == [213]
    panel = [json.loads(line) for line in run(db, "export", "metrics", "--panel", "--format",
                                              "jsonl").stdout.splitlines()]
    keys = [(r["source"], r["year"], r["key"]) for r in panel]
    assert len(keys) == len(set(keys)) and all(r["reports"] >= 1 for r in panel)
    # chenzhou has two 2017 reports; the newest capture (the revised 郴州 report) wins
    cell = next(r for r in panel if r["source"] == "chenzhou" and r["year"] == 2017
                and r["key"] == "applications.received")
    assert cell["value"] == 215 and cell["version"] == 2 and cell["url"] == url_of(0)
    stated = {r["url"] for r in rows if r["source"] == "chenzhou"
              and r["key"] == "applications.received"}
    assert cell["reports"] == len(stated)
    # CSV (rendered per version) says what JSON lines say, cell for cell
    as_csv = list(csv.DictReader(io.StringIO(run(db, "export", "metrics").stdout)))
    assert [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows] == as_csv
    # the tidy export is the metrics view, row for row
    from sqlalchemy import create_engine, text
    with create_engine(db).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM metrics")).scalar() == len(rows)
    out = tmp_path / "m.parquet"
    run(db, "export", "metrics", "--format", "parquet", "-o", str(out))
    table = pq.read_table(out)
    assert table.num_rows == len(rows) and str(table.schema.field("value").type) == "double"


def test_export_events(db):
    rows = list(csv.DictReader(io.StringIO(run(db, "export", "events").stdout)))
    assert [r["kind"] for r in rows].count("changed") == 1
    assert {r["kind"] for r in rows} == {"new", "changed"}
    assert all(r["version"] and r["parser_version"] for r in rows)


def test_listings_print_csv_with_headers_and_pages_as_of(db):
    pages = list(csv.DictReader(io.StringIO(run(db, "pages", "--csv").stdout)))
    assert len(pages) == len(REPORTS) and pages[0].keys() >= {"url", "status", "versions"}
    then = json.loads(run(db, "pages", "--as-of", T0.date().isoformat(), "--json").stdout)
    assert {p["url"]: p["versions"] for p in then}[url_of(0)] == 1
    assert run(db, "pages").stdout.splitlines()[0].split()[:2] == ["status", "vers"]
    for command in (["alerts"], ["calendar", "--year", "2017"]):
        head = run(db, *command, "--csv").stdout.splitlines()
        assert head and "," in head[0]



def test_config_and_db_are_accepted_before_the_command_name(db):
    result = CliRunner().invoke(main, ["--db", db, "pages", "--json"], catch_exceptions=False)
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == len(REPORTS)
    missing = CliRunner().invoke(main, ["--config", "/nonexistent/gongkai.toml", "pages"])
    assert missing.exit_code == 2 and "/nonexistent/gongkai.toml" in missing.stderr
