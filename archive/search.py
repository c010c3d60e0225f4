"""Full-text search over the current derivation of every version, in either script.

Chinese has no spaces, and the words people search are two characters long (公开, 复议), which
SQLite's trigram tokenizer cannot index. So the archive indexes character bigrams itself:
every run of letters and digits becomes its overlapping pairs plus its last character alone,
which makes any substring of two or more characters an exact phrase of bigrams, and a single
character a prefix query. SQLite keeps them in an FTS5 table (ranked by bm25); PostgreSQL keeps
the distinct bigrams and characters as a ``tsvector`` under a GIN index, and rechecks longer
terms with ``strpos``, since a tsvector holds at most 256 positions per lexeme.

A query is normalized as the text is (traditional → simplified, full-width → half-width,
case), split into terms at whitespace (a double-quoted string is one term), and every term
must occur. Its characters never reach the database as query syntax: operators, stray quotes
and ``*`` are taken literally or dropped, never parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gongkai.archive.exceptions import QueryError
from gongkai.parsers.normalize import normalize_text
from gongkai.parsers.script import simplify
from gongkai.parsers.tokens import index_lexemes, index_tokens, pairs
from gongkai.parsers.tokens import runs as _runs

#: the FTS5 table (SQLite) and the lexeme table (PostgreSQL); Alembic leaves them alone
FTS_TABLE = "search_fts"
PG_TABLE = "search_doc"
_QUOTED = re.compile(r'"([^"]*)"')
#: a query longer than this is refused: nobody types it, and it would be a costly phrase
MAX_QUERY_CHARS = 200


def normalize_query(query: str) -> list[str]:
    """The terms of a query, normalized like archived text; QueryError when none is left."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(query)} characters long; at most {MAX_QUERY_CHARS}")
    quoted = _QUOTED.findall(query)
    rest = _QUOTED.sub(" ", query).replace('"', " ")
    terms: list[str] = []
    for raw in [*quoted, *rest.split()]:
        simplified, _script = simplify(raw)
        term = normalize_text(simplified).casefold().strip()
        if any(ch.isalnum() for ch in term) and term not in terms:
            terms.append(term)
    if not terms:
        raise QueryError(f"query {query!r} has no letters, digits or Chinese characters to "
                         "search for")
    return terms


def fts_expression(terms: list[str]) -> str:
    """An FTS5 MATCH expression built from tokens only, each quoted, so it cannot fail."""
    parts: list[str] = []
    for term in terms:
        for run in _runs(term):
            if len(run) == 1:
                parts.append(f'"{run}"*')
            else:
                parts.append('"' + " ".join(pairs(run)) + '"')
    return " AND ".join(parts)


def needs_recheck(term: str) -> bool:
    """Whether the index alone can answer a term exactly (one run: yes on SQLite)."""
    return not all(ch.isalnum() for ch in term)


# -- keeping the index ---------------------------------------------------------------------

def add(conn: Connection | Session, derivation_id: int, title: str | None, body: str,
        tokens: tuple[str, str] | None = None) -> None:
    """Index a derivation; ``tokens`` (of title and body), when a parse worker made them."""
    add_many(conn, [(derivation_id, title, body, tokens)])


def add_many(conn: Connection | Session,
             rows: list[tuple[int, str | None, str, tuple[str, str] | None]]) -> None:
    """Index derivations in one statement: ``(id, title, body, tokens or None)`` each."""
    if not rows:
        return
    dialect = conn.get_bind().dialect.name if isinstance(conn, Session) else conn.dialect.name
    if dialect == "sqlite":
        conn.execute(text(f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (:id, :t, :b)"),
                     [{"id": derivation_id, "t": tokens[0], "b": tokens[1]} if tokens else
                      {"id": derivation_id, "t": index_tokens(title), "b": index_tokens(body)}
                      for derivation_id, title, body, tokens in rows])
    elif dialect == "postgresql":
        conn.execute(text(
            f"INSERT INTO {PG_TABLE}(derivation_id, lexemes) VALUES (:id, "
            "setweight(array_to_tsvector(CAST(:t AS text[])), 'A') || "
            "array_to_tsvector(CAST(:b AS text[])))"),
            [{"id": derivation_id, "t": sorted(index_lexemes(title)),
              "b": sorted(index_lexemes(body))} for derivation_id, title, body, _ in rows])


def remove(conn: Connection | Session, derivation_id: int, title: str | None,
           body: str) -> None:
    """Take a derivation out of the index (it stopped being current)."""
    dialect = conn.get_bind().dialect.name if isinstance(conn, Session) else conn.dialect.name
    if dialect == "sqlite":
        # A contentless FTS5 table forgets a row when told the tokens it was given.
        conn.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) "
                          "VALUES ('delete', :id, :t, :b)"),
                     {"id": derivation_id, "t": index_tokens(title), "b": index_tokens(body)})
    elif dialect == "postgresql":
        conn.execute(text(f"DELETE FROM {PG_TABLE} WHERE derivation_id = :id"),
                     {"id": derivation_id})


#: FTS5's tokenizer. What it is given is already tokens: case-folded runs of letters and
#: digits, cut into pairs, joined by ASCII spaces. The ascii tokenizer splits them at those
#: spaces as unicode61 does (every other character is part of a token to it), without reading
#: each character's Unicode class: 0.59 against 0.95 ms a page indexed, measured.
FTS_TOKENIZER = "ascii"


def create_index(conn: Connection) -> None:
    """DDL of the index; called by the migrations that introduced and rebuilt it."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, body, content='', "
            f"tokenize='{FTS_TOKENIZER}')")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            f"CREATE TABLE {PG_TABLE} (derivation_id INTEGER PRIMARY KEY "
            "REFERENCES derivation(id), lexemes tsvector NOT NULL)")
        conn.exec_driver_sql(
            f"CREATE INDEX ix_{PG_TABLE}_lexemes ON {PG_TABLE} USING gin (lexemes)")


#: FTS5 merges a level's segments once this many wait (its default is 4). A crawl commits a
#: segment per batch; at the default every page is rewritten some five times as levels merge,
#: which is half of what the archive's writer spends (3.1 -> 2.3 ms a page at 12,000 pages,
#: measured; searches took as long at either setting). 16 is FTS5's own upper bound for it.
FTS_AUTOMERGE = 16


def rebuild_index(conn: Connection, chunk: int = 500) -> int:
    """The SQLite index made anew with :func:`create_index`'s DDL, every current derivation
    indexed again (a contentless FTS5 table cannot change its tokenizer in place). Returns
    the number indexed; PostgreSQL's index is left as it is (0)."""
    if conn.dialect.name != "sqlite":
        return 0
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    create_index(conn)
    rows = conn.execute(text("SELECT id, title, text FROM derivation WHERE current "
                             "ORDER BY id"))
    done = 0
    while batch := rows.fetchmany(chunk):
        add_many(conn, [(row.id, row.title, row.text, None) for row in batch])
        done += len(batch)
    return done


def index_tokenizer(conn: Connection) -> str | None:
    """The tokenizer the SQLite index was made with, as its DDL names it."""
    if conn.dialect.name != "sqlite":
        return None
    ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = ?",
                               (FTS_TABLE,)).scalar()
    found = re.search(r"tokenize\s*=\s*'([^']*)'", ddl or "")
    return found.group(1) if found else None


def tune_index(conn: Connection, automerge: int = FTS_AUTOMERGE) -> None:
    """Settings of the index, kept by FTS5 in its own config table; called by a migration
    (and by its downgrade, with FTS5's default of 4)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) "
                             f"VALUES ('automerge', {int(automerge)})")


def is_index_table(name: str | None) -> bool:
    return bool(name) and (name == PG_TABLE or str(name).startswith(FTS_TABLE))


# -- snippets ------------------------------------------------------------------------------

@dataclass(slots=True)
class Snippet:
    text: str
    #: [start, end) character offsets of the matches inside ``text``
    highlights: list[tuple[int, int]]


def snippet(body: str, terms: list[str], width: int = 48) -> Snippet:
    """A window of the body around the first match, every match in it marked."""
    folded = body.casefold()
    first = min((i for i in (folded.find(t) for t in terms) if i >= 0), default=-1)
    if first < 0:  # matched in the title only
        return Snippet(body[:width * 2].replace("\n", " "), [])
    start = max(0, first - width)
    end = min(len(body), first + width)
    window = body[start:end].replace("\n", " ")
    marks = _marks(window.casefold(), terms)
    prefix = "…" if start else ""
    suffix = "…" if end < len(body) else ""
    shift = len(prefix)
    return Snippet(prefix + window + suffix, [(a + shift, b + shift) for a, b in marks])


def _marks(folded: str, terms: list[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for term in terms:
        at = folded.find(term)
        while at >= 0 and term:
            spans.append((at, at + len(term)))
            at = folded.find(term, at + len(term))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def marked(s: Snippet, left: str = "[", right: str = "]") -> str:
    out, at = [], 0
    for a, b in s.highlights:
        out += [s.text[at:a], left, s.text[a:b], right]
        at = b
    out.append(s.text[at:])
    return "".join(out)


__all__ = ["FTS_TABLE", "PG_TABLE", "Snippet", "add", "create_index", "fts_expression",
           "index_lexemes", "index_tokens", "is_index_table", "marked", "needs_recheck",
           "normalize_query", "rebuild_index", "remove", "snippet", "tune_index"]



# -- querying ------------------------------------------------------------------------------

@dataclass(slots=True)
class Filters:
    """What narrows a search or an export; None means no limit."""

    source: str | None = None
    #: a prefix of the region: 湖南省 finds 湖南省郴州市
    region: str | None = None
    year: int | None = None
    #: published on or after / on or before, YYYY-MM-DD
    since: str | None = None
    until: str | None = None
    template: str | None = None
    #: page kind: report or attachment
    kind: str | None = None
    #: every version, not only the one current (at ``as_of``, else now)
    all_versions: bool = False
    as_of: datetime | None = None


def where_clause(f: Filters) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions over aliases p (page), v (version), d (derivation), s (source), shared
    by search and export so both filter alike."""
    sql = ["d.current"]
    params: dict[str, Any] = {}
    if f.as_of is not None:
        sql.append("v.first_seen <= :as_of AND p.first_seen <= :as_of")
        params["as_of"] = f.as_of
        if not f.all_versions:
            sql.append("v.number = (SELECT max(v2.number) FROM version v2 "
                       "WHERE v2.page_id = v.page_id AND v2.first_seen <= :as_of)")
    elif not f.all_versions:
        sql.append("v.number = p.current_version")
    if f.source is not None:
        sql.append("p.source_id = :source")
        params["source"] = f.source
    if f.region is not None:
        sql.append("substr(COALESCE(s.region, d.region, ''), 1, :region_len) = :region")
        params["region"], params["region_len"] = f.region, len(f.region)
    if f.year is not None:
        sql.append("d.year = :year")
        params["year"] = f.year
    if f.since is not None:
        sql.append("d.published >= :since")
        params["since"] = f.since
    if f.until is not None:
        sql.append("d.published <= :until")
        params["until"] = f.until
    if f.template is not None:
        sql.append("d.template = :template")
        params["template"] = f.template
    if f.kind is not None:
        sql.append("p.kind = :kind")
        params["kind"] = f.kind
    return sql, params


#: joins from a derivation ``d`` to its version, page and source
JOIN_VERSION = """JOIN version v ON v.id = d.version_id
JOIN page p ON p.id = v.page_id
LEFT JOIN source s ON s.id = p.source_id"""
FROM_CURRENT = "{join} derivation d ON d.id = {key}\n" + JOIN_VERSION


@dataclass(slots=True)
class Hit:
    url: str
    title: str | None
    source: str | None
    region: str | None
    year: int | None
    published: str | None
    version: int
    parser_version: str
    snippet: Snippet
    #: the page's id, which the web view's report URLs carry
    page_id: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "region": self.region, "year": self.year,
                "version": self.version, "snippet": self.snippet.text,
                "highlights": [list(span) for span in self.snippet.highlights],
                "source": self.source, "published": self.published,
                "parser_version": self.parser_version}


#: above this many matches a term is too common for relevance to mean much (公开 is in every
#: report): hits then come title matches first, newest first, which the index returns in
#: order and stops after a page of them, instead of scoring every match
RANKED_MATCHES = 2000


@dataclass(slots=True)
class _Plan:
    source: str
    #: how the index joins the derivation: CROSS JOIN keeps the index the outer loop on
    #: SQLite, so LIMIT stops it early
    join: str
    key: str
    match: str
    title_match: str
    rank: str
    position: str
    rechecked: list[str]


def _plan(conn: Connection, terms: list[str], params: dict[str, Any]) -> _Plan:
    if conn.dialect.name == "sqlite":
        params["expr"] = fts_expression(terms)
        params["title_expr"] = f"title : ({params['expr']})"
        return _Plan(f"{FTS_TABLE} f", "CROSS JOIN", "f.rowid", f"{FTS_TABLE} MATCH :expr",
                     f"{FTS_TABLE} MATCH :title_expr", f"bm25({FTS_TABLE}, 8.0, 1.0)",
                     "instr", [t for t in terms if needs_recheck(t)])
    if conn.dialect.name == "postgresql":
        params["tsq"] = " & ".join(f"'{lexeme}'" for lexeme in _lexemes(terms))
        in_title = " AND ".join(f"strpos(lower(COALESCE(d.title, '')), :t{i}) > 0"
                                for i in range(len(terms)))
        return _Plan(f"{PG_TABLE} f", "JOIN", "f.derivation_id",
                     "f.lexemes @@ CAST(:tsq AS tsquery)",
                     f"f.lexemes @@ CAST(:tsq AS tsquery) AND {in_title}",
                     "-ts_rank(f.lexemes, CAST(:tsq AS tsquery))", "strpos",
                     [t for t in terms if len(t) > 2 or needs_recheck(t)])
    raise QueryError(f"search is not available on {conn.dialect.name}")  # pragma: no cover


def query(conn: Connection, q: str, filters: Filters | None = None, *, limit: int = 20,
          offset: int = 0, ranked_matches: int = RANKED_MATCHES) -> list[Hit]:
    """Hits for ``q``, every term present: ranked by relevance (bm25 on SQLite, title
    matches weighing more), or, for a term too common to rank (over ``RANKED_MATCHES``
    reports), title matches first, then newest first."""
    terms = normalize_query(q)
    where, params = where_clause(filters or Filters())
    plan = _plan(conn, terms, params)
    params |= {f"t{i}": term for i, term in enumerate(terms)}
    for i, term in enumerate(terms):
        if term in plan.rechecked:
            where.append(f"({plan.position}(lower(d.text), :t{i}) > 0 "
                         f"OR {plan.position}(lower(COALESCE(d.title, '')), :t{i}) > 0)")
    select_ = (f"SELECT d.id AS id, p.id AS page_id, p.url AS url, p.source_id AS source, "
               f"COALESCE(s.region, d.region) AS region, d.year AS year, d.title AS title, "
               f"d.published AS published, v.number AS version, "
               f"d.parser_version AS parser_version "
               f"FROM {plan.source} {FROM_CURRENT.format(join=plan.join, key=plan.key)} WHERE ")
    filters_sql = " AND ".join(where)
    common = conn.execute(text(
        f"SELECT count(*) FROM (SELECT 1 FROM {plan.source} "
        f"WHERE {plan.match} LIMIT {int(ranked_matches) + 1}) AS m"), params).scalar_one()
    if common <= ranked_matches:
        rows = conn.execute(text(
            f"{select_}{plan.match} AND {filters_sql} ORDER BY {plan.rank}, d.id DESC "
            f"LIMIT :limit OFFSET :offset"), params | {"limit": limit, "offset": offset}
        ).mappings().all()
    else:
        wanted = offset + limit
        rows = list(conn.execute(text(
            f"{select_}{plan.title_match} AND {filters_sql} ORDER BY {plan.key} DESC "
            f"LIMIT :wanted"), params | {"wanted": wanted}).mappings().all())
        if len(rows) < wanted:
            seen = ", ".join(str(r["id"]) for r in rows)
            unseen = f" AND {plan.key} NOT IN ({seen})" if seen else ""
            rows += conn.execute(text(
                f"{select_}{plan.match} AND {filters_sql}{unseen} "
                f"ORDER BY {plan.key} DESC LIMIT :rest"),
                params | {"rest": wanted - len(rows)}).mappings().all()
        rows = rows[offset:]
    bodies = dict(conn.execute(text("SELECT id, text FROM derivation WHERE id IN "
                                    f"({', '.join(str(r['id']) for r in rows) or 'NULL'})")).all())
    return [Hit(url=r["url"], title=r["title"], source=r["source"], region=r["region"],
                year=r["year"], published=r["published"], version=r["version"],
                parser_version=r["parser_version"], page_id=r["page_id"],
                snippet=snippet(bodies.get(r["id"], ""), terms))
            for r in rows]


def _lexemes(terms: list[str]) -> list[str]:
    out: list[str] = []
    for term in terms:
        for run in _runs(term):
            grams = [run] if len(run) == 1 else pairs(run)
            out.extend(g for g in grams if g not in out)
    return out
