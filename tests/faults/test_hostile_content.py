"""Hostile content, crawled for real: bombs end as recorded failures in bounded time and memory,
and what a stranger wrote in a report (terminal escapes, markup, formulas) stays inert in every
output a person reads: the CLI's text, JSON and CSV, the exports and the alerts."""

from __future__ import annotations

import csv
import io
import json
import resource
import time

from gongkai.archive import queries, versions
from gongkai.archive.db import open_archive
from gongkai.crawler.demo.receiver import webhook
from gongkai.crawler.demo.server import serve
from gongkai.crawler.demo.site import build_demo_site
from tests.crawling import by_url, crawl, gongkai, write_config
from tests.hostile import add_hostile
from tests.pages import report_page

#: what no output may carry raw: ESC (CSI, OSC 52 clipboard writes), BEL, the C1 CSI and a
#: right-to-left override
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def test_bombs_and_grinders_end_as_recorded_failures_in_bounded_time_and_memory(tmp_path):
    site = build_demo_site()
    report = next(p for p in site.reports if p.endswith(".html"))
    hostile = add_hostile(site, report)
    db = f"sqlite:///{tmp_path}/archive.db"
    with serve(site) as server:
        base = server.base_url
        config = write_config(tmp_path, db, base, [hostile["listing"], hostile["hanweb_listing"]],
                              download_delay=0, max_response_mb=4, timeout=5, retries=0,
                              parse_timeout=5)
        started = time.monotonic()
        runs = crawl(config)
        elapsed = time.monotonic() - started
    # each bomb inflates to 512 MB or more, a grinder parses for minutes: none of that happened
    assert elapsed < 90, elapsed
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 600 * 1024  # KiB
    engine = open_archive(db)
    ended = {}
    for name, path in hostile.items():
        if name in ("listing", "hanweb_listing"):
            continue
        (fetch,) = queries.fetches(engine, base + path)
        ended[name] = (fetch["outcome"], fetch["error"] or "")
    for encoding in ("gzip", "deflate", "br", "zstd", "gzip_gzip"):
        outcome, error = ended[f"{encoding}_bomb"]
        assert outcome == "error" and "DOWNLOAD_MAXSIZE" in error, (encoding, error)
    for kind in ("docx", "xlsx"):
        assert ended[f"{kind}_zip_bomb"][0] == "error"
        assert "refused as a zip bomb" in ended[f"{kind}_zip_bomb"][1]
        assert ended[f"{kind}_entity_bomb"][0] == "error"
    assert "amplification" in ended["docx_entity_bomb"][1]  # libxml2 refused to expand it
    assert "pdf" in ended["pdf_flate_bomb"][1] and "Limit reached" in ended["pdf_flate_bomb"][1]
    assert ended["pdf_grinder"] == ("error", f"{base}{hostile['pdf_grinder']}: "
                                             "parsing took longer than 5 s")
    assert "cyclic" in ended["pdf_page_cycle"][1]
    # parsed, bounded, and never expanded: an XML report and 200,000 nested divs
    assert ended["xml_entity_bomb"][0] == ended["nested_html"][0] == ended["control"][0] == "ok"
    assert runs["hostile"]["failed"] == 12
    # the Hanweb column's report was found beside the billion laughs, which stayed unexpanded
    pages = by_url(queries.pages(engine), base)
    assert pages[report]["versions"] == 1 and runs["hanweb"]["failed"] == 0
    assert runs["hanweb"]["new_versions"] == 1
    for name in ("xml_entity_bomb", "nested_html", "control"):
        text = versions.reading(engine, base + hostile[name]).derivation.text or ""
        assert "lollol" not in text and len(text) < 10_000
    control = versions.reading(engine, base + hostile["control"]).derivation.text
    assert control.startswith("2018年测试县")
    assert gongkai(config, "archive", "check").returncode == 0


HOSTILE_TITLE = ('=HYPERLINK("http://evil.example/")某县2019年政府信息公开工作年度报告'
                 "\x1b]52;c;cm0gLXJmIH4=\x07")
ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x9b31m\u202e"
HOSTILE_LINES = [
    '=HYPERLINK("http://evil.example/","点此")',
    "一、总体情况",
    f"2019年本县主动公开政府信息{ESCAPES}1024条。",
    "&lt;script&gt;window.__pwned=1&lt;/script&gt;恶意脚本不得执行。",
    '&lt;a href="javascript:window.__pwned=2"&gt;点此&lt;/a&gt;仿冒链接。',
    "本年新收政府信息公开申请数量12件。",
]


def _inert(text: str, where: str) -> None:
    for control in RAW_CONTROLS:
        assert control not in text, (where, repr(control))


def test_escapes_markup_and_formulas_stay_inert_in_every_output(tmp_path):
    site = build_demo_site()
    db = f"sqlite:///{tmp_path}/archive.db"
    with webhook() as receiver, serve(site) as server:
        base = server.base_url
        config = write_config(tmp_path, db, base, site.listings[:1], download_delay=0,
                              alerts=[{"url": receiver.url}])
        crawl(config)
        path = next(p for p in site.reports if p.endswith(".html")
                    and p.startswith(site.listings[0].rsplit("/", 1)[0]))
        url = base + path
        # the published page turns hostile: escapes in its title and text, raw markup as text
        escaped_title = HOSTILE_TITLE.replace('"', "&quot;")
        site.set_bytes(path, report_page(HOSTILE_LINES, title=escaped_title),
                       "text/html; charset=utf-8")
        crawl(config)
        assert len(receiver.received) == 1
        alert = receiver.received[0]
    # the alert names the change and carries the hostile text as inert text
    _inert(alert["title"] + alert["message"], "alert")
    assert url in alert["message"] and "window.__pwned=1" in alert["message"]

    outputs = {
        "pages": gongkai(config, "pages"),
        "history": gongkai(config, "history", url),
        "show": gongkai(config, "show", url),
        "show --json": gongkai(config, "show", url, "--json"),
        "diff": gongkai(config, "diff", url),
        "search": gongkai(config, "search", "主动公开"),
        "search --json": gongkai(config, "search", "主动公开", "--json"),
        "search --csv": gongkai(config, "search", "主动公开", "--csv"),
        "status": gongkai(config, "status"),
        "alerts": gongkai(config, "alerts"),
        "export reports": gongkai(config, "export", "reports", "--with-text"),
        "export jsonl": gongkai(config, "export", "reports", "--with-text", "--format", "jsonl"),
        "export events": gongkai(config, "export", "events"),
    }
    for name, result in outputs.items():
        assert result.returncode == 0, (name, result.stderr)
        _inert(result.stdout + result.stderr, name)
    # the archived text keeps what the page said, minus the control characters
    shown = json.loads(outputs["show --json"].stdout)
    assert shown["version"] == 2
    assert "<script>window.__pwned=1</script>恶意脚本不得执行。" in shown["text"]
    assert "主动公开政府信息[2J]0;pwned31m1024条" in shown["text"]
    assert shown["title"].startswith('=HYPERLINK("http://evil.example/")')
    assert "window.__pwned=1" in outputs["show"].stdout
    assert "-" in outputs["diff"].stdout and "pwned" in outputs["diff"].stdout
    # a spreadsheet opening the CSV sees text, not a formula: archived text never starts a cell
    # with = + - @, while the value itself is all there after the apostrophe
    for name in ("search --csv", "export reports", "export events"):
        rows = list(csv.reader(io.StringIO(outputs[name].stdout)))
        cells = [cell for row in rows[1:] for cell in row]
        assert not [c for c in cells if c.startswith(("=", "+", "@"))], name
        assert not [c for c in cells if c.startswith("-") and not _number(c)], name
    exported = list(csv.DictReader(io.StringIO(outputs["export reports"].stdout)))
    hostile_row = next(r for r in exported if r["url"] == url)
    assert hostile_row["title"].startswith("'=HYPERLINK(")
    assert hostile_row["text"].startswith("'=HYPERLINK(")
    # JSON lines keep the value exact: a data format, not a spreadsheet
    rows = [json.loads(line) for line in outputs["export jsonl"].stdout.splitlines()]
    assert next(r for r in rows if r["url"] == url)["title"].startswith("=HYPERLINK(")


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_output_guards_hold_for_text_archived_before_controls_were_stripped(capsys):
    """Versions read by an older parser may still hold control characters: every printer
    guards on its own, whatever the parser did."""
    from gongkai.archive.content import spreadsheet_safe, strip_controls
    from gongkai.crawler.options import emit, emit_json

    raw = f"报告{ESCAPES}\r结束"
    emit_json({"text": raw})
    emit([{"title": raw, "n": "-5"}], ["title", "n"], as_json=False, as_csv=True)
    emit([{"title": raw}], ["title"], as_json=False)
    printed = capsys.readouterr().out
    _inert(printed, "printers")
    assert "\\u001b[2J" in printed and "\\u009b" in printed and "\\u202e" in printed  # JSON
    assert json.loads(printed[: printed.index("}") + 1])["text"] == raw  # exact, escaped
    assert strip_controls(raw) == "报告[2J]0;pwned31m结束"
    assert spreadsheet_safe("=1+1") == "'=1+1" and spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("-5") == "-5" and spreadsheet_safe(-5) == -5
    assert spreadsheet_safe("报告") == "报告"
