"""Datasets for research: reports, metrics (tidy or as a source × year × key panel) and events,
as CSV, JSON lines or Parquet.

Rows are streamed from the database in batches and written as they come, so memory stays
flat however large the archive. Every row names the version and the parser version it comes
from, so a figure in a paper can be traced back to (URL, version, parser version). Times are
ISO 8601 in UTC with a ``Z``, rendered by the database (as in the views).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import Connection, text

from gongkai.archive.content import spreadsheet_safe
from gongkai.archive.exceptions import QueryError
from gongkai.archive.search import JOIN_VERSION, Filters, where_clause
from gongkai.archive.versions import number_of
from gongkai.archive.views import iso_sql as _iso

FORMATS = ("csv", "jsonl", "parquet")
DATASETS = ("reports", "metrics", "events")
BATCH = 10_000


@dataclass(slots=True)
class Dataset:
    columns: list[str]
    #: Parquet types by column: "int", "float", "bool", anything else is text
    types: dict[str, str]
    batches: Iterator[Sequence[Sequence[Any]]]
    #: the same rows as CSV text, header excluded, where a dataset can render them faster
    #: than a row-by-row writer; consumed instead of ``batches``, never with them
    csv_text: Iterator[tuple[str, int]] | None = None


def _stream(conn: Connection, sql: str, params: dict[str, Any]) -> Iterator[Sequence[Any]]:
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
        text(sql), params)
    while rows := result.fetchmany(BATCH):
        yield rows


def reports(conn: Connection, filters: Filters, *, with_text: bool = False) -> Dataset:
    d = conn.dialect.name
    columns = ["url", "source", "region", "year", "title", "publisher", "index_no", "doc_no",
               "published", "template", "kind", "script", "status", "version", "returns_to",
               "parser_version", "content_hash", "first_seen", "last_seen"]
    where, params = where_clause(filters)
    sql = (f"SELECT p.url, p.source_id, COALESCE(s.region, d.region), d.year, d.title, "
           f"d.publisher, d.index_no, d.doc_no, d.published, d.template, p.kind, d.script, "
           f"p.status, v.number, v.returns_to, d.parser_version, d.content_hash, "
           f"{_iso('v.first_seen', d)}, {_iso('v.last_seen', d)}"
           + (", d.text" if with_text else "") +
           f" FROM derivation d {JOIN_VERSION} "
           f"WHERE {' AND '.join(where)} ORDER BY p.source_id, p.url, v.number")
    if with_text:
        columns.append("text")
    return Dataset(columns, {"year": "int", "version": "int", "returns_to": "int"},
                   _stream(conn, sql, params))


def metrics(conn: Connection, filters: Filters, *, panel: bool = False) -> Dataset:
    """Tidy statistics: one row per (report version, key), or with ``panel`` one row per
    (source, year, key).

    The per-version columns are read once per version and the statistics by primary key
    in chunks of versions, so the database never sorts millions of wide rows and Python
    touches each statistic once.
    """
    d = conn.dialect.name
    where, params = where_clause(filters)
    # tidy rows come in archive order (the statistics' own index order, no sort); the panel
    # needs each source's years together, newest report first
    order = ("p.source_id, d.year, CASE WHEN p.kind = 'report' THEN 0 ELSE 1 END, "
             "v.first_seen DESC, p.url" if panel else "d.id")
    heads_sql = (
        f"SELECT d.id, p.source_id, COALESCE(s.region, d.region), d.year, p.url, v.number, "
        f"d.parser_version, {_iso('v.first_seen', d)}, d.template "
        f"FROM derivation d {JOIN_VERSION} WHERE {' AND '.join(where)} ORDER BY {order}")
    heads = _lazy(lambda: _stream(conn, heads_sql, params))
    columns = ["source", "region", "year", "key", "value", "unit", "from_prose", "url",
               "version", "parser_version", "captured", "template"]
    types = {"year": "int", "value": "float", "from_prose": "bool", "version": "int"}
    if panel:
        columns[-1] = "reports"
        types["reports"] = "int"
        return Dataset(columns, types, _panel_rows(conn, heads))
    return Dataset(columns, types, _tidy_rows(conn, heads),
                   csv_text=_tidy_csv(conn, _lazy(lambda: _stream(conn, heads_sql, params))))


def _lazy(start: Any) -> Iterator[Any]:
    """An iterator that runs its query only when first read."""
    yield from start()


def _tidy_csv(conn: Connection,
              heads: Iterator[Sequence[Sequence[Any]]]) -> Iterator[tuple[str, int]]:
    """The tidy rows as CSV: the columns of a version are quoted once for its ~150
    statistics, and the statistic's own cells (a key from a fixed table, a number, a unit,
    a flag) need no quoting."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for chunk in _chunks(heads):
        head: dict[int, tuple[str, str]] = {}
        for h in chunk:
            parts = []
            for cells in (h[1:4], h[4:]):
                writer.writerow(map(spreadsheet_safe, cells))
                parts.append(buffer.getvalue().removesuffix("\r\n"))
                buffer.seek(0)
                buffer.truncate()
            head[h[0]] = (parts[0] + ",", "," + parts[1] + "\r\n")
        rows = _fetch(conn, list(head))
        yield "".join(
            f"{head[i][0]}{key},{int(value) if value.is_integer() else value},{unit},"
            f"{bool(prose)}{head[i][1]}"
            for i, key, value, unit, prose in rows), len(rows)


#: versions whose statistics are read in one query (about 150 rows each): bigger chunks
#: cost memory (500: +130 MB) and gain no speed
CHUNK = 100


def _fetch(conn: Connection, ids: list[int]) -> list[tuple[Any, ...]]:
    """derivation_id, key, value, unit, from_prose of some derivations, in index order."""
    # the ids are integers from the database, never user input; a plain DB-API cursor,
    # since millions of rows pass through here
    cursor = conn.connection.cursor()
    try:
        cursor.execute(
            "SELECT derivation_id, key, value, unit, from_prose FROM metric WHERE "
            f"derivation_id IN ({', '.join(str(i) for i in ids)}) ORDER BY derivation_id, key")
        return cursor.fetchall()
    finally:
        cursor.close()


def _statistics(conn: Connection, ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    """key, value, unit, from_prose of some derivations, by derivation, keys in order."""
    found: dict[int, list[tuple[Any, ...]]] = {}
    for derivation_id, key, value, unit, prose in _fetch(conn, ids):
        found.setdefault(derivation_id, []).append((key, number_of(value), unit, bool(prose)))
    return found


def _chunks(batches: Iterator[Sequence[Sequence[Any]]],
            size: int = CHUNK) -> Iterator[list[Sequence[Any]]]:
    pending: list[Sequence[Any]] = []
    for rows in batches:
        for row in rows:
            pending.append(row)
            if len(pending) >= size:
                yield pending
                pending = []
    if pending:
        yield pending


def _tidy_rows(conn: Connection,
               heads: Iterator[Sequence[Sequence[Any]]]) -> Iterator[list[tuple[Any, ...]]]:
    for chunk in _chunks(heads):
        head = {h[0]: (tuple(h[1:4]), tuple(h[4:])) for h in chunk}
        rows = []
        for i, key, value, unit, prose in _fetch(conn, list(head)):
            (source, region, year), tail = head[i]
            rows.append((source, region, year, key,
                         int(value) if value.is_integer() else value, unit, bool(prose), *tail))
        yield rows


def _panel_rows(conn: Connection,
                heads: Iterator[Sequence[Sequence[Any]]]) -> Iterator[list[tuple[Any, ...]]]:
    """One row per (source, year, key): the value of the newest report of that source and
    year that states it (report pages before attachments), and how many current reports of
    that source and year stated one (more than one: departments, or an attachment beside
    the page; check them)."""
    groups: list[list[Sequence[Any]]] = []
    size = 0
    for chunk in _chunks(heads):
        for head in chunk:
            if groups and tuple(groups[-1][0][1:4:2]) == tuple(head[1:4:2]):
                groups[-1].append(head)
            else:
                groups.append([head])
            size += 1
        if size >= CHUNK and len(groups) > 1:
            done, groups = groups[:-1], groups[-1:]
            size = len(groups[0])
            yield _panel_of(conn, done)
    if groups:
        yield _panel_of(conn, groups)


def _panel_of(conn: Connection, groups: list[list[Sequence[Any]]]) -> list[tuple[Any, ...]]:
    stats = _statistics(conn, [h[0] for group in groups for h in group])
    out: list[tuple[Any, ...]] = []
    for group in groups:
        chosen: dict[str, tuple[Sequence[Any], tuple[Any, ...]]] = {}
        counts: dict[str, int] = {}
        for head in group:
            for stat in stats.get(head[0], ()):
                chosen.setdefault(stat[0], (head, stat))
                counts[stat[0]] = counts.get(stat[0], 0) + 1
        for key in sorted(chosen):
            (_id, source, region, year, url, number, parser, captured, _t), stat = chosen[key]
            out.append((source, region, year, *stat, url, number, parser, captured,
                        counts[key]))
    return out


def events(conn: Connection, filters: Filters) -> Dataset:
    d = conn.dialect.name
    where = ["1 = 1"]
    params: dict[str, Any] = {}
    if filters.source is not None:
        where.append("e.source_id = :source")
        params["source"] = filters.source
    if filters.as_of is not None:
        where.append("e.created <= :as_of")
        params["as_of"] = filters.as_of
    if filters.since is not None:
        where.append(f"{_iso('e.created', d)} >= :since")
        params["since"] = filters.since
    if filters.until is not None:
        where.append(f"substr({_iso('e.created', d)}, 1, 10) <= :until")
        params["until"] = filters.until
    if filters.region is not None:
        where.append("substr(COALESCE(s.region, ''), 1, :region_len) = :region")
        params["region"], params["region_len"] = filters.region, len(filters.region)
    # version: the one the event is about (the new one, or the last one of a gone page)
    columns = ["id", "kind", "source", "region", "url", "version_from", "version_to", "version",
               "parser_version", "year", "run_id", "created"]
    sql = (f"SELECT e.id, e.kind, e.source_id, s.region, p.url, e.version_from, e.version_to, "
           f"ve.number, de.parser_version, e.year, e.run_id, {_iso('e.created', d)} "
           f"FROM event e LEFT JOIN page p ON p.id = e.page_id "
           f"LEFT JOIN source s ON s.id = e.source_id "
           f"LEFT JOIN version ve ON ve.page_id = e.page_id "
           f"AND ve.number = COALESCE(e.version_to, e.version_from) "
           f"LEFT JOIN derivation de ON de.version_id = ve.id AND de.current "
           f"WHERE {' AND '.join(where)} ORDER BY e.id")
    return Dataset(columns, {"id": "int", "version_from": "int", "version_to": "int",
                             "version": "int", "year": "int", "run_id": "int"},
                   _stream(conn, sql, params))


def dataset(conn: Connection, name: str, filters: Filters, *, panel: bool = False,
            with_text: bool = False) -> Dataset:
    if name == "reports":
        return reports(conn, filters, with_text=with_text)
    if name == "metrics":
        return metrics(conn, filters, panel=panel)
    if name == "events":
        return events(conn, filters)
    raise QueryError(f"unknown dataset {name!r}; one of {', '.join(DATASETS)}")


# -- writers -------------------------------------------------------------------------------

def write(data: Dataset, fmt: str, out: IO[bytes]) -> int:
    """Write every row to the binary stream ``out``; the number of rows written."""
    if fmt == "csv":
        return _csv_rows(data, out)
    if fmt == "jsonl":
        return _jsonl_rows(data, out)
    if fmt == "parquet":
        return _write_parquet(data, out)
    raise QueryError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def _csv_rows(data: Dataset, out: IO[bytes]) -> int:
    # each batch is rendered into memory and encoded once: a text wrapper over the output
    # costs more per row than the CSV itself
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(data.columns)
    n = 0
    if data.csv_text is not None:
        out.write(buffer.getvalue().encode("utf-8"))
        for text_, count in data.csv_text:
            out.write(text_.encode("utf-8"))
            n += count
        return n
    for rows in data.batches:
        writer.writerows(map(spreadsheet_safe, row) for row in rows)
        out.write(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()
        n += len(rows)
    out.write(buffer.getvalue().encode("utf-8"))
    return n


def _jsonl_rows(data: Dataset, out: IO[bytes]) -> int:
    n = 0
    columns = data.columns
    for rows in data.batches:
        lines = [json.dumps(dict(zip(columns, r, strict=True)), ensure_ascii=False)
                 for r in rows]
        if lines:
            out.write(("\n".join(lines) + "\n").encode("utf-8"))
        n += len(rows)
    return n


def _write_parquet(data: Dataset, out: IO[bytes]) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise QueryError("Parquet needs pyarrow: pip install 'gongkai[parquet]'") from None
    kinds = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    schema = pa.schema([(c, kinds.get(data.types.get(c, ""), pa.string()))
                        for c in data.columns])
    n = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for rows in data.batches:
            if not rows:
                continue
            columns = list(zip(*rows, strict=True))
            arrays = [_array(pa, col, data.types.get(name), schema.field(name).type)
                      for name, col in zip(data.columns, columns, strict=True)]
            writer.write_batch(pa.record_batch(arrays, schema=schema))
            n += len(rows)
    return n


def _array(pa: Any, values: Sequence[Any], kind: str | None, type_: Any) -> Any:
    """Most columns arrive typed already; convert value by value only when they do not."""
    try:
        return pa.array(values, type=type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(_typed(values, kind), type=type_)


def _typed(values: Sequence[Any], kind: str | None) -> list[Any]:
    if kind == "float":
        return [None if v is None else float(v) for v in values]
    if kind == "bool":
        return [None if v is None else bool(v) for v in values]
    if kind == "int":
        return [None if v is None else int(v) for v in values]
    return [None if v is None else str(v) for v in values]
