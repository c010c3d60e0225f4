"""What every table, view and column of the archive means, written once.

A researcher who opens ``gongkai.db`` in Datasette, DBeaver or R sees column names only; what
a row is, which time zone a timestamp is in, when a value is null and which values an enum
takes is written here. Three readers share this one dict, so they cannot disagree:
``docs/schema.md`` is generated from it (``python -m gongkai.archive.schema_docs >
docs/schema.md``), the Datasette plugin (:mod:`gongkai.archive.datasette_plugin`) shows it
beside the data, and ``tests/test_schema_docs.py`` fails when a table or column of a real
archive is not described here, or when a description names a column that no longer exists.
"""

from __future__ import annotations

from typing import TypedDict


class TableDoc(TypedDict):
    """The description of one table or view: why it exists, what one row is, each column."""

    description: str
    columns: dict[str, str]


_UTC = "UTC (a timestamp without offset on SQLite, timestamptz on PostgreSQL)"
_ISO = "ISO 8601 text in UTC ending in Z, e.g. 2026-01-05T03:00:00Z"
_HASH = "64 lowercase hex characters"
_BOOL = "boolean: 1/0 on SQLite, true/false on PostgreSQL"
_CITE = "with url and version, one of the three values that cite a figure"

#: the views researchers query first; kept in the order docs/schema.md presents them
VIEW_DOCS: dict[str, TableDoc] = {
    "reports": {
        "description": (
            "One row per archived page (report or attachment) as it stands now: the current "
            "version's current derivation, with the source's name and region. Start here. "
            "Older versions and older parser readings are in the version and derivation "
            f"tables. Times are {_ISO}."
        ),
        "columns": {
            "url": "The archived URL, exactly as the crawler requested it (page.url).",
            "source": "Id of the configured source the page was found on (source.id); null "
                      "for a page stored without a source.",
            "source_name": "The source's name, e.g. 郴州市人民政府; null without a source.",
            "region": "The source's configured region (e.g. 湖南省郴州市), else the region the "
                      "parser read from the page; null when neither is known.",
            "year": "The year the report covers, not the year it was published; null when the "
                    "parser could not tell.",
            "title": "The page's title in simplified script; null when none was found.",
            "publisher": "The publishing office as the page states it (发布机构); null when "
                         "not stated.",
            "index_no": "The disclosure index number (索引号) as the page states it; null when "
                        "not stated.",
            "doc_no": "The document number (文号) as the page states it; null when not stated.",
            "published": "Publication date as the page states it, YYYY-MM-DD text; null when "
                         "not stated.",
            "template": "Statistics format: '2019' (the State Council standard tables used "
                        "from the 2019 reports on), '2008' (the earlier 统计表) or null (no "
                        "statistics table recognised).",
            "kind": "File type the text was extracted from: html, pdf, docx, xlsx, xls or doc.",
            "script": "The page's original script: hans (simplified) or hant (traditional). "
                      "All text in the archive is converted to simplified.",
            "status": "The page's state at its last fetch: live, gone (404/410) or error "
                      "(blocked, moved or failed; the last good version is kept).",
            "version": f"Number of the current version, 1 for the first content seen; {_CITE}.",
            "parser_version": f"Parser that produced this reading, e.g. 'gongkai-parsers/0.3.0 "
                              f"trafilatura/2.3.1'; {_CITE}.",
            "content_hash": f"SHA-256 ({_HASH}) of the normalized text and statistics: equal "
                            "hashes mean the same content.",
            "first_seen": f"When this version's content was first archived; {_ISO}.",
            "last_seen": f"When this version's content was last confirmed by a fetch; {_ISO}.",
            "page_first_seen": f"When the URL was first fetched, whatever its content; {_ISO}.",
            "page_id": "page.id of the row, for joins with the tables.",
            "version_id": "version.id of the current version, for joins with the tables.",
            "derivation_id": "derivation.id of the current reading; metric and metrics rows "
                             "join on it.",
        },
    },
    "metrics": {
        "description": (
            "One row per statistic of each report's current reading: the long format to "
            "filter, pivot and plot. Keys, their Chinese labels and units are listed in "
            "docs/metrics.md. A key is present only when the report states the value: a "
            f"missing row is 'not stated', not zero. Times are {_ISO}."
        ),
        "columns": {
            "source": "Id of the configured source (source.id); null without a source.",
            "region": "The source's configured region, else the region read from the page.",
            "year": "The year the report covers; null when the parser could not tell.",
            "key": "Statistic key, e.g. applications.received (see docs/metrics.md). Dots are "
                   "part of the name, not nesting.",
            "value": "The figure as the report prints it (never corrected). Counts are whole "
                     "numbers; money in 万元.",
            "unit": "Unit of value: 件, 条, 项, 人, 人次, 次, 篇, 个 or 万元 (see "
                    "docs/metrics.md).",
            "from_prose": f"Stated only in a sentence, not in a statistics table; {_BOOL}.",
            "url": f"The archived URL; {_CITE}.",
            "version": f"Number of the page's current version; {_CITE}.",
            "parser_version": f"Parser that read the value; {_CITE}.",
            "captured": f"When the version holding this value was first archived; {_ISO}.",
            "template": "Statistics format the value comes from: '2019', '2008' or null.",
            "derivation_id": "derivation.id of the reading, for joins with the tables.",
        },
    },
}

#: the tables, in the order of the data's lineage, then bookkeeping, index and foreign tables
TABLE_DOCS: dict[str, TableDoc] = {
    "source": {
        "description": (
            "One row per configured website (a [[sources]] entry of gongkai.toml). Rows "
            "outlive configuration changes, so pages archived from a source that was later "
            "removed keep their source."
        ),
        "columns": {
            "id": "The source's id from the configuration, [a-z0-9_-]+, e.g. chenzhou.",
            "name": "The source's name, e.g. 郴州市人民政府.",
            "region": "The configured region, e.g. 湖南省郴州市; null when not configured.",
            "config_hash": f"SHA-256 ({_HASH}) of the source's configuration as last synced: "
                           "tells whether the crawl settings changed.",
            "created": f"When the source was first synced into the archive; {_UTC}.",
        },
    },
    "page": {
        "description": (
            "One row per URL ever archived, a report or an attachment of one. The URL's "
            "history is in version (each distinct content) and fetch (each request)."
        ),
        "columns": {
            "id": "Row id.",
            "url": "The URL as requested, unique.",
            "source_id": "source.id of the source the page was found on; null when stored "
                         "without a source.",
            "kind": "report (a report page) or attachment (a PDF, DOCX, XLSX or XLS file "
                    "linked from a report).",
            "parent_id": "For an attachment, page.id of the report that links to it; null for "
                         "reports.",
            "status": "State at the last fetch: live (content fetched or not modified), gone "
                      "(404 or 410) or error (blocked, moved or failed, or never fetched "
                      "successfully). The last good version is kept in every case.",
            "first_seen": f"When the URL was first fetched; {_UTC}.",
            "last_seen": f"When the page was last fetched with content or 304 Not Modified, "
                         f"or first seen if never; {_UTC}.",
            "current_version": "version.number of the content the page shows now; null until "
                               "a fetch produced content.",
            "listing_entry": "Fingerprint of the page's link (its text and title) on its "
                             "listing when last seen there; a crawl asks for the page at once "
                             "when it reads differently, whatever the revisit interval.",
        },
    },
    "version": {
        "description": (
            "One row per distinct content of a page, as first seen. A page gets a new version "
            "only when its normalized text or statistics change (a view counter or a new "
            "related link is not a change). Rows are appended and never rewritten; only "
            "last_seen moves. What a parser read from the bytes is in derivation."
        ),
        "columns": {
            "id": "Row id; derivation.version_id points here.",
            "page_id": "page.id of the page.",
            "number": "1, 2, 3… in order of appearance on that page, unique per page; "
                      "page.current_version names one of them.",
            "returns_to": "When the content flipped back to an earlier one, the number of that "
                          "earlier version; null otherwise.",
            "blob_sha256": "blob.sha256 of the raw bytes first fetched with this content.",
            "first_seen": f"When this content was first fetched; {_UTC}.",
            "last_seen": f"When this content was last confirmed by a fetch (200 with the same "
                         f"content, or 304); {_UTC}.",
        },
    },
    "derivation": {
        "description": (
            "One row per reading of a version's bytes by one parser version: text, metadata "
            "and statistics. A parser upgrade (gongkai reparse) adds a row instead of "
            "rewriting one, so exactly one derivation per version is current and older "
            "readings stay citable by (URL, version, parser_version)."
        ),
        "columns": {
            "id": "Row id; metric.derivation_id points here.",
            "version_id": "version.id of the version read.",
            "parser_version": "Parser and extractor versions that produced this reading, e.g. "
                              "'gongkai-parsers/0.3.0 trafilatura/2.3.1'; unique per version.",
            "current": f"Whether this is the reading queries and views use (the newest "
                       f"parser's); exactly one per version; {_BOOL}.",
            "content_hash": f"SHA-256 ({_HASH}) of the text without whitespace and the "
                            "statistics; what decides whether a fetch is a new version.",
            "title": "Title in simplified script; null when none was found.",
            "text": "Normalized body text in simplified script; table rows as cells separated "
                    "by ' | '. Empty for a file with no extractable text.",
            "year": "The year the report covers (not the year it was published); null when "
                    "unknown.",
            "published": "Publication date as the page states it, YYYY-MM-DD; null when not "
                         "stated.",
            "region": "Region as read from the page (e.g. 郴州市); null when not found.",
            "publisher": "Publishing office (发布机构) as stated; null when not stated.",
            "index_no": "Disclosure index number (索引号) as stated; null when not stated.",
            "doc_no": "Document number (文号) as stated; null when not stated.",
            "template": "Statistics format: '2019', '2008' or null (no statistics table "
                        "recognised).",
            "script": "The page's original script: hans or hant.",
            "kind": "File type read: html, pdf, docx, xlsx, xls or doc.",
            "meta": "JSON object with the rest of the reading: encoding, sections "
                    "([{heading, text}]), tables (rows of cells), metrics_from_prose, and "
                    "attachments (the attachment URLs the crawl found the bytes linking to).",
            "metrics": "JSON object of the statistics, key → value; the same figures as the "
                       "metric rows.",
            "warnings": "JSON array of strings: what the parser doubted (e.g. totals that do "
                        "not add up).",
            "derived_at": f"When this reading was made; {_UTC}.",
        },
    },
    "metric": {
        "description": (
            "One row per statistic of one derivation (of every derivation, current or not), "
            "for filtering and joining in SQL. The metrics view shows the current ones with "
            "URL, region and year. Keys and units: docs/metrics.md."
        ),
        "columns": {
            "derivation_id": "derivation.id of the reading the value belongs to.",
            "key": "Statistic key, e.g. applications.received; unique per derivation.",
            "value": "The figure as printed (never corrected); money in 万元.",
            "unit": "件, 条, 项, 人, 人次, 次, 篇, 个 or 万元.",
            "from_prose": f"Stated only in a sentence, not in a statistics table; {_BOOL}.",
        },
    },
    "fetch": {
        "description": (
            "One row per HTTP request for a page, with its outcome and evidence, kept even "
            "when nothing changed: when a page was checked, and why a check failed."
        ),
        "columns": {
            "id": "Row id.",
            "page_id": "page.id of the page requested.",
            "run_id": "run.id of the crawl that made the request; null outside a run.",
            "fetched_at": f"When the request was made; {_UTC}.",
            "final_url": "URL of the response after any redirects (the URL itself when not "
                         "redirected); null when no response arrived.",
            "http_status": "HTTP status code; null when no response arrived (DNS, timeout, "
                           "connection errors).",
            "outcome": "ok (content received), not_modified (304), gone (404/410), moved "
                       "(redirect elsewhere, e.g. to the home page), blocked (WAF, challenge or "
                       "login page) or error (anything else).",
            "etag": "ETag response header, sent back as If-None-Match next time; null when "
                    "absent.",
            "last_modified": "Last-Modified response header as received (HTTP date text), "
                             "sent back as If-Modified-Since; null when absent.",
            "size": "Bytes of the response body as received; null when there was no body.",
            "duration_ms": "Milliseconds the request took; null when not measured.",
            "error": "Error message of a failed request; null when it succeeded.",
            "evidence": "Why the answer is not the report, e.g. 'HTTP 404' or 'redirected to "
                        "the home page …'; null for ok and not_modified.",
            "body_sha256": f"SHA-256 ({_HASH}) of the raw body received; null without a body.",
            "blob_sha256": "blob.sha256 when the bytes were kept: a new version, or the first "
                           "256 KiB of a block or redirect page as evidence; null otherwise.",
            "version_number": "version.number this fetch showed (new or unchanged content); "
                              "null when it showed none (gone, blocked, error).",
            "request_headers": "JSON array of [name, value] pairs as sent, in wire order (for "
                               "WARC export); null on fetches archived before they were kept.",
            "response_headers": "JSON array of [name, value] pairs as received, in wire order; "
                                "null on fetches archived before they were kept.",
        },
    },
    "blob": {
        "description": (
            "One row per distinct raw body (HTML or file bytes), content-addressed: stored "
            "once however many fetches or versions point at it. The bytes a version came "
            "from are the archive's evidence; every derivation can be remade from them."
        ),
        "columns": {
            "sha256": f"SHA-256 ({_HASH}) of the uncompressed bytes; the key.",
            "size": "Uncompressed size in bytes.",
            "compression": "How data is compressed: zlib (decompress with zlib.decompress).",
            "data": "The compressed bytes.",
            "content_type": "Content-Type header the bytes were served with; null when absent.",
            "created": f"When the bytes were first stored; {_UTC}.",
        },
    },
    "event": {
        "description": (
            "One row per thing a watcher may want to hear of, written in the same transaction "
            "as its cause; the alert outbox (channel, delivery) sends them."
        ),
        "columns": {
            "id": "Row id, increasing: channel.watermark compares against it.",
            "kind": "new (first content of a page), changed (new content), reverted (content "
                    "returned to an earlier version), gone (a live page answered 404/410), "
                    "crawl_failed (a source's crawl failed) or missing_report (no report for a "
                    "year by its deadline).",
            "page_id": "page.id the event is about; null for crawl_failed and missing_report.",
            "source_id": "source.id the event is about; null for a page without a source.",
            "version_from": "Version number before the event; null for new, crawl_failed and "
                            "missing_report.",
            "version_to": "Version number after the event; null for gone, crawl_failed and "
                          "missing_report.",
            "run_id": "run.id of the crawl that caused the event; null when none did.",
            "year": "The report year a missing_report event is about; null for other kinds.",
            "created": f"When the event was written; {_UTC}.",
        },
    },
    "channel": {
        "description": (
            "One row per alert destination (an [[alerts]] Apprise URL), known by a hash so "
            "that secrets in the URL are not stored. A channel hears of events after its "
            "watermark only, so a subscription added today is not sent the whole history."
        ),
        "columns": {
            "key": f"SHA-256 ({_HASH}) of the Apprise URL.",
            "label": "scheme://host[:port] of the URL, for display (no path, user or token).",
            "watermark": "Highest event.id already considered for this channel.",
            "created": f"When the channel was first registered; {_UTC}.",
        },
    },
    "delivery": {
        "description": (
            "One row per (event, channel): the outbox. A sender claims due rows (an attempt "
            "counted, next_try pushed past a lease), sends with no transaction open, then "
            "records the result: at least once, retried with backoff."
        ),
        "columns": {
            "id": "Row id.",
            "event_id": "event.id to send.",
            "channel_key": "channel.key to send it to.",
            "state": "pending (not sent yet, retried), sent, or failed (gave up after "
                     "about a week of attempts, until gongkai alerts retry).",
            "attempts": "Sending attempts so far.",
            "next_try": f"Earliest time of the next attempt; {_UTC}.",
            "last_error": "Error of the last failed attempt; null when none failed.",
            "sent_at": f"When it was sent; null until then; {_UTC}.",
            "created": f"When the delivery was created; {_UTC}.",
        },
    },
    "run": {
        "description": (
            "One row per crawl of one source: when it ran, what it saw and how it ended "
            "(what gongkai status reports)."
        ),
        "columns": {
            "id": "Row id; fetch.run_id and event.run_id point here.",
            "source_id": "Id of the source crawled (not a foreign key: runs outlive sources).",
            "started_at": f"When the crawl started; {_UTC}.",
            "finished_at": f"When it ended; null while running or when it was killed; {_UTC}.",
            "outcome": "running, ok, failed (no listing page could be read, every page "
                       "failed, or nothing was fetched from a source with archived pages), "
                       "interrupted (shut down) or timeout (stopped by the crawl timeout).",
            "pages": "Pages fetched.",
            "new_versions": "Fetches that stored a new version (new, changed or reverted).",
            "unchanged": "Fetches whose content was already archived (including 304).",
            "gone": "Fetches answered 404 or 410.",
            "failed": "Fetches that failed (blocked, moved, error).",
            "resting": "Reports listed but not asked for: verified lately and not yet due "
                       "again (adaptive revisits); a run with only resting reports is ok.",
            "bytes": "Bytes of response bodies received.",
            "errors": "JSON array of the first 20 failures, as 'URL: outcome: error' strings.",
        },
    },
    "alembic_version": {
        "description": (
            "Alembic's bookkeeping: the schema migration the archive is at. gongkai upgrades "
            "it on first use; do not edit."
        ),
        "columns": {
            "version_num": "Revision id of the newest migration applied, e.g. 0005.",
        },
    },
    "apscheduler_jobs": {
        "description": (
            "Owned by APScheduler (created by gongkai schedule run): the scheduled crawls, so "
            "that a restart keeps them. Not research data; do not edit."
        ),
        "columns": {
            "id": "Job id, crawl:SOURCE_ID (one job per scheduled source).",
            "next_run_time": "Next run as seconds since 1970-01-01 UTC (Unix time); null when "
                             "paused.",
            "job_state": "The job, pickled by APScheduler.",
        },
    },
    "search_fts": {
        "description": (
            "SQLite only: the full-text index of the current derivations, a contentless FTS5 "
            "table (rowid = derivation.id) holding character bigrams, not text; the columns "
            "read back as null. SQLite keeps it in the shadow tables search_fts_data, "
            "search_fts_idx, search_fts_docsize and search_fts_config. Search with "
            "gongkai search, which builds the query."
        ),
        "columns": {
            "title": "Bigram tokens of the derivation's title (not stored: reads as null).",
            "body": "Bigram tokens of the derivation's text (not stored: reads as null).",
        },
    },
    "search_doc": {
        "description": (
            "PostgreSQL only: the full-text index of the current derivations, one row per "
            "derivation, under a GIN index. Search with gongkai search, which builds the "
            "query."
        ),
        "columns": {
            "derivation_id": "derivation.id indexed.",
            "lexemes": "tsvector of the distinct character bigrams and characters of the "
                       "title (weight A) and text.",
        },
    },
}

#: every table and view described, by name
SCHEMA: dict[str, TableDoc] = {**VIEW_DOCS, **TABLE_DOCS}

#: tables that exist on one backend only (the full-text index is dialect-specific DDL)
BACKEND_ONLY: dict[str, str] = {"search_fts": "sqlite", "search_doc": "postgresql"}


_INTRO = """\
# The archive's tables and views

<!-- Generated by `python -m gongkai.archive.schema_docs > docs/schema.md` from
archive/schema_docs.py; edit that file, not this one. -->

gongkai keeps every government information-disclosure annual report it has fetched, every
distinct content each report page ever had, and what the parser read from each. The same
schema lives in SQLite (`gongkai.db`, the default) and PostgreSQL. This page describes every
table, view and column; `datasette gongkai.db` shows the same descriptions beside the data
(install with `pip install 'gongkai[datasette]'`).

## How the tables relate

- **Source → Page → Version → Derivation → Metric.** A *source* is a configured website. A
  *page* is one URL found on it (a report, or an attachment of one). A *version* is one
  distinct content of a page, appended when the normalized text or statistics change and
  never rewritten. A *derivation* is what one parser version read from a version's bytes:
  text, metadata and statistics. A parser upgrade adds a derivation rather than replacing
  one, and exactly one derivation per version is `current`. A *metric* row is one statistic
  of one derivation; the keys, their Chinese labels and units are in
  [metrics.md](metrics.md).
- **Fetch and blob.** Every HTTP request is a *fetch* row with its outcome and evidence, kept
  even when nothing changed. The raw bytes are stored once per distinct body in *blob*
  (content-addressed by SHA-256, zlib-compressed); a version points at the blob it came from,
  so every derivation can be remade from the bytes.
- **Events and the outbox.** A new, changed, reverted or gone page, a failed crawl or a missing
  report is an *event*, written in the same transaction as its cause. Each alert *channel*
  takes the events after its watermark, and a *delivery* row per (event, channel) makes sure
  each is sent at most once.
- **Runs.** Each crawl of a source is a *run*, with its counts and outcome; fetches and events
  name the run that made them.
- **Bookkeeping.** `alembic_version` (the schema migration), `apscheduler_jobs` (the
  scheduler's jobs) and the full-text index (`search_fts` on SQLite, `search_doc` on
  PostgreSQL) are not research data.

Most questions need only the two views: `reports` (one row per report as it stands now) and
`metrics` (one row per statistic of it). They read the current derivation of the current
version; earlier versions and readings are in the tables.

## Times

Every time is UTC. The tables store timezone-aware timestamps (`timestamptz` on PostgreSQL;
SQLite stores the UTC time without an offset). The views give ISO 8601 text ending in `Z`,
e.g. `2026-01-05T03:00:00Z`, which spreadsheets and R read unambiguously. Booleans are 1/0
on SQLite and true/false on PostgreSQL.

## Citing a figure

A value is identified by the triple **(URL, version, parser_version)**: the page, the
content it had, and the parser that read it. Versions are never rewritten and older
derivations are kept, so the triple gives the same answer later, even after the page changed
or the parser improved. Both views carry all three columns. To look a cited value up again:

```sql
SELECT m.key, m.value, m.unit
FROM page p
JOIN version v ON v.page_id = p.id
JOIN derivation d ON d.version_id = v.id
JOIN metric m ON m.derivation_id = d.id
WHERE p.url = 'http://www.czs.gov.cn/xxgk/ndbg/201803/t20180331_1.html'
  AND v.number = 1
  AND d.parser_version = 'gongkai-parsers/0.3.0 trafilatura/2.3.1';
```

## Example queries

Information-disclosure applications received, by region and year:

```sql
SELECT region, year, SUM(value) AS applications_received, COUNT(*) AS reports
FROM metrics
WHERE key = 'applications.received'
GROUP BY region, year
ORDER BY region, year;
```

Reports whose content changed after they were first archived, newest change first:

```sql
SELECT url, region, year, title, version, first_seen, page_first_seen
FROM reports
WHERE version > 1
ORDER BY first_seen DESC;
```

## Full-text search

Search goes through `gongkai search QUERY` (or `gongkai.archive.search`), not through SQL.
Chinese has no spaces, so the index holds character bigrams, not words; the command turns a
query in either script into the right index query and shows snippets. The index tables
below are described for completeness.
"""


def _cell(value: str) -> str:
    """A Markdown table cell: pipes escaped and no line breaks, so the table stays a table."""
    return " ".join(value.split()).replace("|", "\\|")


def _section(name: str, doc: TableDoc, kind: str) -> str:
    only = BACKEND_ONLY.get(name)
    where = {"sqlite": " (SQLite only)", "postgresql": " (PostgreSQL only)"}.get(only or "", "")
    lines = [f"### `{name}` {kind}{where}", "", doc["description"], "",
             "| column | description |", "|---|---|"]
    lines += [f"| `{column}` | {_cell(text)} |" for column, text in doc["columns"].items()]
    return "\n".join(lines)


def render_markdown() -> str:
    """docs/schema.md: the intro and one table of columns per view and table."""
    parts = [_INTRO.rstrip("\n"), "## Views"]
    parts += [_section(name, doc, "view") for name, doc in VIEW_DOCS.items()]
    parts.append("## Tables")
    parts += [_section(name, doc, "table") for name, doc in TABLE_DOCS.items()]
    return "\n\n".join(parts) + "\n"


__all__ = ["BACKEND_ONLY", "SCHEMA", "TABLE_DOCS", "VIEW_DOCS", "TableDoc", "render_markdown"]


if __name__ == "__main__":
    import sys

    sys.stdout.write(render_markdown())
