"""Read side of the archive: the shapes ``gongkai pages`` and ``gongkai history`` print.

Times leave the database as timezone-aware UTC and are rendered as ISO 8601 with offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gongkai.archive.exceptions import NotArchived
from gongkai.archive.models import Derivation, Event, Fetch, Page, Run, Source, Version


def iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def pages(engine: Engine, source: str | None = None, *,
          as_of: datetime | None = None) -> list[dict[str, Any]]:
    """Every archived page; with ``as_of``, as the archive stood then: pages first seen by
    then, their versions by then, and the status their last fetch by then gave them."""
    counts = select(Version.page_id, func.count().label("n"))
    if as_of is not None:
        counts = counts.where(Version.first_seen <= as_of)
    counts_q = counts.group_by(Version.page_id).subquery()
    query = (
        select(Page, func.coalesce(counts_q.c.n, 0))
        .outerjoin(counts_q, counts_q.c.page_id == Page.id)
        .order_by(Page.source_id, Page.url)
    )
    if source is not None:
        query = query.where(Page.source_id == source)
    if as_of is not None:
        query = query.where(Page.first_seen <= as_of)
    with Session(engine) as s:
        rows = [(page, n) for page, n in s.execute(query)]
        then = _fetches_by(s, [page.id for page, _ in rows], as_of) if as_of else {}
        out = []
        for page, n in rows:
            status, last_seen = page.status, page.last_seen
            if as_of is not None:
                outcome, last_seen = then.get(page.id, (None, page.first_seen))
                status = ("gone" if outcome == "gone" else "live"
                          if outcome in ("ok", "not_modified") and n else "error")
            out.append({"url": page.url, "source": page.source_id, "status": status,
                        "versions": n, "first_seen": iso(page.first_seen),
                        "last_seen": iso(last_seen)})
        return out


def _fetches_by(s: Session, page_ids: list[int],
                as_of: datetime) -> dict[int, tuple[str, datetime]]:
    """Per page, the outcome and time of its last fetch at or before ``as_of``."""
    latest = (select(Fetch.page_id, func.max(Fetch.id).label("id"))
              .where(Fetch.fetched_at <= as_of).group_by(Fetch.page_id).subquery())
    rows = s.execute(select(Fetch.page_id, Fetch.outcome, Fetch.fetched_at)
                     .join(latest, latest.c.id == Fetch.id))
    wanted = set(page_ids)
    return {r.page_id: (r.outcome, r.fetched_at) for r in rows if r.page_id in wanted}


def history(engine: Engine, url: str) -> list[dict[str, Any]]:
    with Session(engine) as s:
        page_id = _page_id(s, url)
        rows = s.execute(
            select(Version, Derivation)
            .join(Derivation, (Derivation.version_id == Version.id) & Derivation.current)
            .where(Version.page_id == page_id).order_by(Version.number))
        return [
            {"version": v.number, "first_seen": iso(v.first_seen), "last_seen": iso(v.last_seen),
             "content_hash": d.content_hash, "title": d.title, "returns_to": v.returns_to,
             "parser_version": d.parser_version}
            for v, d in rows
        ]


def fetches(engine: Engine, url: str) -> list[dict[str, Any]]:
    with Session(engine) as s:
        page_id = _page_id(s, url)
        rows = s.scalars(select(Fetch).where(Fetch.page_id == page_id).order_by(Fetch.id))
        return [
            {"fetched_at": iso(f.fetched_at), "status": f.http_status, "outcome": f.outcome,
             "size": f.size, "duration_ms": f.duration_ms, "error": f.error,
             "evidence": f.evidence, "version": f.version_number}
            for f in rows
        ]


def runs(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    with Session(engine) as s:
        rows = s.scalars(select(Run).order_by(Run.id.desc()).limit(limit))
        return [
            {"id": r.id, "source": r.source_id, "started_at": iso(r.started_at),
             "finished_at": iso(r.finished_at), "outcome": r.outcome, "pages": r.pages,
             "new_versions": r.new_versions, "unchanged": r.unchanged, "gone": r.gone,
             "failed": r.failed, "bytes": r.bytes, "errors": r.errors}
            for r in rows
        ]


def archive_size(engine: Engine) -> dict[str, int]:
    """Counts and stored body bytes, for benchmarks and the demo."""
    from gongkai.archive.models import Blob

    with Session(engine) as s:
        return {
            "pages": s.scalar(select(func.count()).select_from(Page)) or 0,
            "versions": s.scalar(select(func.count()).select_from(Version)) or 0,
            "fetches": s.scalar(select(func.count()).select_from(Fetch)) or 0,
            "blobs": s.scalar(select(func.count()).select_from(Blob)) or 0,
            "blob_bytes": s.scalar(select(func.coalesce(func.sum(func.length(Blob.data)), 0)))
            or 0,
        }


def _page_id(s: Session, url: str) -> int:
    page_id = s.scalar(select(Page.id).where(Page.url == url))
    if page_id is None:
        raise NotArchived(f"{url}: not in the archive (see `gongkai pages` for archived URLs)")
    return page_id


def _pairs(result: Any) -> dict[Any, Any]:
    return {key: value for key, value in result}


def source_runs(engine: Engine, source_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per source: its latest run, latest successful run and failure streak, for status. A
    handful of grouped queries whatever the number of sources: a national archive has
    thousands, and the web view's home page asks on every visit."""
    finished_bad = ("failed", "timeout")
    with Session(engine) as s:
        last = _pairs(s.execute(select(Run.source_id, func.max(Run.id)).group_by(Run.source_id)))
        ok = _pairs(s.execute(select(Run.source_id, func.max(Run.id))
                            .where(Run.outcome == "ok").group_by(Run.source_id)))
        wanted = {*last.values(), *ok.values()}
        runs = {r.id: r for r in s.scalars(select(Run).where(Run.id.in_(wanted)))} \
            if wanted else {}
        # a failure streak: failed runs after the last finished run that did not fail (a run
        # interrupted by a shutdown says nothing either way)
        good = (select(Run.source_id, func.max(Run.id).label("id"))
                .where(Run.outcome.not_in((*finished_bad, "running", "interrupted")))
                .group_by(Run.source_id).subquery())
        streaks = _pairs(s.execute(
            select(Run.source_id, func.count())
            .outerjoin(good, good.c.source_id == Run.source_id)
            .where(Run.outcome.in_(finished_bad), Run.id > func.coalesce(good.c.id, 0))
            .group_by(Run.source_id)))
        recent = (select(Run.source_id, (Run.pages + Run.resting).label("pages"),
                         func.row_number().over(
            partition_by=Run.source_id, order_by=Run.id.desc()).label("n"))
            .where(Run.outcome == "ok").subquery())
        empty = {source for source, count, pages in s.execute(
            select(recent.c.source_id, func.count(), func.sum(recent.c.pages))
            .where(recent.c.n <= 3).group_by(recent.c.source_id)) if count == 3 and not pages}
        archived = _pairs(s.execute(select(Page.source_id, func.count())
                                  .where(Page.current_version.is_not(None))
                                  .group_by(Page.source_id)))
    return {source_id: {"last": runs.get(last.get(source_id, -1)),
                        "last_success": runs.get(ok.get(source_id, -1)),
                        "streak": streaks.get(source_id, 0),
                        "empty_runs": source_id in empty,
                        "archived": archived.get(source_id, 0)}
            for source_id in source_ids}


def page_url(engine: Engine, page_id: int) -> str:
    """The URL of page ``page_id``: the web view names reports by id, the library by URL."""
    with Session(engine) as s:
        url = s.scalar(select(Page.url).where(Page.id == page_id))
    if url is None:
        raise NotArchived(f"no archived page with id {page_id}")
    return url


def page_id(engine: Engine, url: str) -> int:
    with Session(engine) as s:
        return _page_id(s, url)


#: the kinds of event a watcher can follow
EVENT_KINDS = ("new", "changed", "reverted", "gone", "crawl_failed", "missing_report")


def recent_events(engine: Engine, *, source: str | None = None, region: str | None = None,
                  kind: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest events first, with the page's title as its current reading gives it: what
    the home page lists and the Atom feed carries."""
    query = (select(Event, Page.url, Source.region, Derivation.title)
             .outerjoin(Page, Page.id == Event.page_id)
             .outerjoin(Source, Source.id == Event.source_id)
             .outerjoin(Version, (Version.page_id == Event.page_id)
                        & (Version.number == func.coalesce(Event.version_to,
                                                           Event.version_from)))
             .outerjoin(Derivation, (Derivation.version_id == Version.id) & Derivation.current)
             .order_by(Event.id.desc()).limit(limit))
    if source is not None:
        query = query.where(Event.source_id == source)
    if region is not None:
        query = query.where(func.substr(func.coalesce(Source.region, ""), 1, len(region))
                            == region)
    if kind is not None:
        query = query.where(Event.kind == kind)
    with Session(engine) as s:
        return [{"id": e.id, "kind": e.kind, "source": e.source_id, "region": region_,
                 "page_id": e.page_id, "url": url, "title": title,
                 "version_from": e.version_from, "version_to": e.version_to, "year": e.year,
                 "created": iso(e.created)}
                for e, url, region_, title in s.execute(query)]


def sources(engine: Engine) -> list[dict[str, Any]]:
    """Every source the archive knows, with its name and region."""
    with Session(engine) as s:
        return [{"id": src.id, "name": src.name, "region": src.region}
                for src in s.scalars(select(Source).order_by(Source.id))]


def revisit_facts(engine: Engine, source_ids: list[str]
                  ) -> dict[str, list[tuple[str, datetime | None, datetime]]]:
    """Per source, each page's status, when its current content first appeared and when it
    last answered with it: what the crawler's revisit policy decides from."""
    out: dict[str, list[tuple[str, datetime | None, datetime]]] = {s: [] for s in source_ids}
    with Session(engine) as s:
        rows = s.execute(
            select(Page.source_id, Page.status, Version.first_seen, Page.last_seen)
            .outerjoin(Version, (Version.page_id == Page.id)
                       & (Version.number == Page.current_version))
            .where(Page.source_id.in_(source_ids)))
        for source_id, status, changed_at, verified_at in rows:
            out[source_id].append((status, changed_at, verified_at))
    return out


def source_status(engine: Engine, source_ids: list[str], *, failing_after: int,
                  planned: dict[str, datetime | None] | None = None) -> list[dict[str, Any]]:
    """The rows of ``gongkai status`` and the web view's home page: per source, last run,
    last success, next run (from ``planned``), outcome, counts and flags (``failing`` after
    ``failing_after`` failed runs in a row)."""
    runs = source_runs(engine, source_ids)
    planned = planned or {}
    rows = []
    for source_id in source_ids:
        info = runs[source_id]
        last = info["last"]
        flags = []
        if last is None:
            flags.append("never_crawled")
        if info["streak"] >= failing_after:
            flags.append("failing")
        if info["empty_runs"] or (last is not None and last.outcome == "ok"
                                  and info["archived"] == 0):
            flags.append("found_nothing")
        rows.append({
            "source": source_id,
            "last_run": iso(last.started_at) if last else None,
            "last_success": iso(info["last_success"].finished_at) if info["last_success"]
            else None,
            "next_run": iso(planned.get(source_id)),
            "outcome": last.outcome if last else None,
            "pages": last.pages if last else 0,
            "new_versions": last.new_versions if last else 0,
            "unchanged": last.unchanged if last else 0,
            "gone": last.gone if last else 0,
            "failed": last.failed if last else 0,
            "flags": flags,
        })
    return rows
