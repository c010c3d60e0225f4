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

from gongkai.archive.exceptions import QueryError
from gongkai.archive.search import FROM_CURRENT, JOIN_VERSION, Filters, where_clause
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
    d = conn.dialect.name
    where, params = where_clause(filters)
    columns = ["source", "region", "year", "key", "value", "unit", "from_prose", "url",
               "version", "parser_version", "captured", "template"]
    order = ("p.source_id, d.year, m.key, CASE WHEN p.kind = 'report' THEN 0 ELSE 1 END, "
             "v.first_seen DESC, p.url" if panel else "p.source_id, p.url, v.number, m.key")
    sql = (f"SELECT p.source_id, COALESCE(s.region, d.region), d.year, m.key, m.value, m.unit, "
           f"m.from_prose, p.url, v.number, d.parser_version, {_iso('v.first_seen', d)}, "
           f"d.template FROM metric m {FROM_CURRENT.format(key='m.derivation_id')} "
           f"WHERE {' AND '.join(where)} ORDER BY {order}")
    types = {"year": "int", "value": "float", "from_prose": "bool", "version": "int"}
    batches = _stream(conn, sql, params)
    if panel:
        columns = [c for c in columns if c != "template"] + ["reports"]
        batches = _panel(batches)
        types["reports"] = "int"
    return Dataset(columns, types, _numbers(batches, columns.index("value")))


def _panel(batches: Iterator[Sequence[Sequence[Any]]]) -> Iterator[list[tuple[Any, ...]]]:
    """One row per (source, year, key): the newest report's value, and how many current
    reports of that source and year stated one (more than one means departments or an
    attachment beside the page: check them)."""
    held: list[Any] | None = None
    count = 0
    for rows in batches:
        out: list[tuple[Any, ...]] = []
        for row in rows:
            group = (row[0], row[2], row[3])
            if held is not None and (held[0], held[2], held[3]) == group:
                count += 1
                continue
            if held is not None:
                out.append((*held[:11], count))
            held, count = list(row), 1
        yield out
    if held is not None:
        yield [(*held[:11], count)]


def _numbers(batches: Iterator[Sequence[Sequence[Any]]],
             at: int) -> Iterator[list[Sequence[Any]]]:
    """Counts come back from a REAL column as 213.0: write them as stated."""
    for rows in batches:
        yield [(*r[:at], int(r[at]) if float(r[at]).is_integer() else r[at], *r[at + 1:])
               for r in rows]


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
        return _write_text(data, out, _csv_rows)
    if fmt == "jsonl":
        return _write_text(data, out, _jsonl_rows)
    if fmt == "parquet":
        return _write_parquet(data, out)
    raise QueryError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def _write_text(data: Dataset, out: IO[bytes], render: Any) -> int:
    stream = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    try:
        return render(data, stream)
    finally:
        stream.flush()
        stream.detach()


def _csv_rows(data: Dataset, stream: IO[str]) -> int:
    writer = csv.writer(stream)
    writer.writerow(data.columns)
    n = 0
    bools = [i for i, c in enumerate(data.columns) if data.types.get(c) == "bool"]
    for rows in data.batches:
        if bools:
            rows = [tuple(bool(v) if i in bools and v is not None else v
                          for i, v in enumerate(r)) for r in rows]
        writer.writerows(rows)
        n += len(rows)
    return n


def _jsonl_rows(data: Dataset, stream: IO[str]) -> int:
    n = 0
    bools = {c for c in data.columns if data.types.get(c) == "bool"}
    for rows in data.batches:
        lines = []
        for r in rows:
            item = dict(zip(data.columns, r, strict=True))
            for c in bools:
                if item[c] is not None:
                    item[c] = bool(item[c])
            lines.append(json.dumps(item, ensure_ascii=False))
        stream.write("\n".join(lines) + ("\n" if lines else ""))
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
            arrays = [pa.array(_typed(col, data.types.get(name)), type=schema.field(name).type)
                      for name, col in zip(data.columns, columns, strict=True)]
            writer.write_batch(pa.record_batch(arrays, schema=schema))
            n += len(rows)
    return n


def _typed(values: Sequence[Any], kind: str | None) -> list[Any]:
    if kind == "float":
        return [None if v is None else float(v) for v in values]
    if kind == "bool":
        return [None if v is None else bool(v) for v in values]
    if kind == "int":
        return [None if v is None else int(v) for v in values]
    return [None if v is None else str(v) for v in values]
