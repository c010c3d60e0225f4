"""The routes of ``gongkai serve``: HTML pages and a JSON API over one read-only engine.

Every page is rendered on the server and works without JavaScript; the Content-Security-Policy
allows no script at all, so even markup that slipped through escaping could not run. Archived
text reaches templates only through Jinja's autoescaping. Bad parameters are a 400 and unknown
reports a 404, each with a one-line message, in HTML or JSON as the route speaks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gongkai.archive import queries, search, versions
from gongkai.archive.calendar import calendar
from gongkai.archive.diff import diff_versions
from gongkai.archive.exceptions import NotArchived, QueryError
from gongkai.parsers.metric_keys import all_metric_keys, unit_of
from gongkai.web import charts, feed
from gongkai.web.presenting import COLUMN_NAMES, consistency, grouped, safe_link, snippet_runs

HERE = Path(__file__).parent
#: search results a page shows, and the deepest page a search may ask for
PAGE_SIZE = 20
MAX_PAGE = 500
#: rows an API call may ask for at once
MAX_LIMIT = 100
#: sources and missing reports the home page lists (the JSON API gives all)
HOME_ROWS = 100
#: characters of a report's text a page shows; archived text is bounded in every output
MAX_TEXT = 200_000
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
#: a chart's SVG is drawing only: its own inline style, nothing else
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"

StatusRows = Callable[[Engine], list[dict[str, Any]]]


def create_app(engine: Engine, *, status: StatusRows,
               levels: dict[str, str] | None = None) -> FastAPI:
    """The web view of the archive behind ``engine`` (open it with
    :func:`gongkai.archive.db.open_read_only`). ``status`` gives the home page's per-source
    rows (the CLI passes ``gongkai status``'s own function) and ``levels`` each source's
    reporting level for the calendar (every archived source a local government without)."""
    app = FastAPI(title="gongkai", version=_version(), docs_url=None, redoc_url=None,
                  description="Read-only JSON API over the gongkai archive of government "
                              "information-disclosure annual reports.")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(safe_link=safe_link, column_names=COLUMN_NAMES,
                                 snippet_runs=snippet_runs, urlencode=urlencode)
    templates.env.filters["combine_page"] = lambda args, page: {**args, "page": page}
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[..., Any]) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"

    def error(request: Request, code: int, message: str) -> Response:
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=code)
        return templates.TemplateResponse(request, "error.html",
                                          {"code": code, "message": message}, status_code=code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path"))
        return error(request, 400, f"bad parameter {where or '?'}: {first.get('msg', 'invalid')}")

    @app.exception_handler(NotArchived)
    async def not_found(request: Request, exc: NotArchived) -> Response:
        return error(request, 404, str(exc))

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError) -> Response:
        return error(request, 400, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(OperationalError)
    async def unavailable(request: Request, exc: OperationalError) -> Response:
        return error(request, 503, "the archive database is not answering; try again shortly")

    # -- shared readers -------------------------------------------------------------------

    def home_data(*, limit: int | None = HOME_ROWS) -> dict[str, Any]:
        known = levels or {s["id"]: "government" for s in queries.sources(engine)}
        rows = status(engine)
        # what needs a look first: flagged sources, then the rest by id
        rows.sort(key=lambda r: (not r["flags"], r["source"]))
        year = datetime.now(UTC).year - 1
        missing = [e.to_json() for e in calendar(engine, sorted(known.items()), year)
                   if e.state in ("missing", "late")]
        return {"sources": rows[:limit], "sources_total": len(rows),
                "changes": queries.recent_events(engine, limit=20), "year": year,
                "missing": missing[:limit], "missing_total": len(missing)}

    def search_data(q: str, filters: search.Filters, page: int, limit: int) -> dict[str, Any]:
        with engine.connect() as conn:
            hits = search.query(conn, q, filters, limit=limit + 1, offset=(page - 1) * limit)
        return {"q": q, "page": page, "more": len(hits) > limit,
                "hits": [h.to_json() | {"page_id": h.page_id} for h in hits[:limit]]}

    def report_data(page_id: int, number: int | None) -> dict[str, Any]:
        url = queries.page_url(engine, page_id)
        reading = versions.reading(engine, url, number)
        data = reading.to_json()
        data["page_id"] = page_id
        data["history"] = queries.history(engine, url)
        data["checks"] = [{"check": name, "holds": ok}
                          for name, ok in consistency(data.get("metrics") or {})]
        return data

    def diff_data(page_id: int, from_: int | None, to: int | None) -> tuple[Any, str]:
        url = queries.page_url(engine, page_id)
        return diff_versions(engine, url, from_, to), url

    def check_key(key: str) -> str:
        if key not in set(all_metric_keys()):
            raise QueryError(f"unknown statistic key {key!r} (see docs/metrics.md)")
        return key

    def chart_rows(key: str, source: str | None, region: str | None,
                   year: int | None) -> list[dict[str, Any]]:
        return versions.metric_values(engine, check_key(key), source=source, region=region,
                                      year=year)

    # -- HTML pages -----------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> Response:
        return templates.TemplateResponse(request, "home.html", home_data())

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, q: Q = "", source: Source = None, region: Region = None,
                    year: Year = None, since: Day = None, until: Day = None,
                    template: Template = None, kind: Kind = None, as_of: Day = None,
                    all_versions: bool = False, page: PageNo = 1) -> Response:
        filters = _filters(source, region, year, since, until, template, kind, as_of,
                           all_versions)
        context: dict[str, Any] = {"q": q, "filters": filters, "page": page, "hits": [],
                                   "more": False}
        if q.strip():
            context |= search_data(q, filters, page, PAGE_SIZE)
        args = {k: v for k, v in {"q": q, "source": source, "region": region, "year": year,
                                   "since": since, "until": until, "template": template,
                                   "kind": kind, "as_of": as_of,
                                   "all_versions": "true" if all_versions else None,
                                   }.items() if v not in (None, "")}
        context["args"] = args
        return templates.TemplateResponse(request, "search.html", context)

    @app.get("/report", include_in_schema=False)
    def report_by_url(url: Annotated[str, Query(max_length=2000)]) -> Response:
        return RedirectResponse(f"/reports/{queries.page_id(engine, url)}", status_code=303)

    @app.get("/reports/{page_id}", response_class=HTMLResponse, include_in_schema=False)
    def report_page(request: Request, page_id: PageId) -> Response:
        return _report(request, page_id, None)

    @app.get("/reports/{page_id}/versions/{number}", response_class=HTMLResponse,
             include_in_schema=False)
    def version_page(request: Request, page_id: PageId, number: Number) -> Response:
        return _report(request, page_id, number)

    def _report(request: Request, page_id: int, number: int | None) -> Response:
        data = report_data(page_id, number)
        text = data.get("text") or ""
        return templates.TemplateResponse(request, "report.html", {
            "r": data, "paragraphs": text[:MAX_TEXT].split("\n\n"),
            "cut": len(text) > MAX_TEXT,
            "groups": grouped(data.get("metrics") or {}, data.get("metrics_from_prose") or []),
        })

    @app.get("/reports/{page_id}/versions/{number}/raw", include_in_schema=False)
    def raw_bytes(page_id: PageId, number: Number) -> Response:
        body, content_type = versions.raw(engine, queries.page_url(engine, page_id), number)
        # the bytes as served, never as a page of this site: a download, sandboxed
        return Response(body, media_type="application/octet-stream", headers={
            "Content-Disposition": f'attachment; filename="v{number}.{_extension(content_type)}"',
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "X-Original-Content-Type": (content_type or "unknown")[:100]})

    @app.get("/reports/{page_id}/diff", response_class=HTMLResponse, include_in_schema=False)
    def diff_page(request: Request, page_id: PageId, from_: From = None,
                  to: To = None) -> Response:
        result, url = diff_data(page_id, from_, to)
        return templates.TemplateResponse(request, "diff.html", {
            "d": result, "page_id": page_id, "url": url,
            "history": queries.history(engine, url)})

    @app.get("/chart", response_class=HTMLResponse, include_in_schema=False)
    def chart_page(request: Request, key: Key = "applications.received",
                   source: Source = None, region: Region = None,
                   year: Year = None) -> Response:
        rows = chart_rows(key, source, region, year)
        args = {k: v for k, v in {"key": key, "source": source, "region": region,
                                   "year": year}.items() if v not in (None, "")}
        return templates.TemplateResponse(request, "chart.html", {
            "key": key, "unit": unit_of(key), "rows": rows, "args": args, "year": year,
            "source": source, "region": region, "keys": all_metric_keys()})

    @app.get("/chart.svg", include_in_schema=False)
    def chart_svg(key: Key = "applications.received", source: Source = None,
                  region: Region = None, year: Year = None) -> Response:
        rows = chart_rows(key, source, region, year)
        title = f"{key}（{unit_of(key)}）"
        body = (charts.across_regions(rows, f"{year}年 {title}") if year is not None
                else charts.across_years(rows, title))
        return Response(body, media_type="image/svg+xml",
                        headers={"Content-Security-Policy": SVG_CSP})

    @app.get("/feed.atom", include_in_schema=False)
    def atom_feed(request: Request, source: Source = None, region: Region = None,
                  event: EventKind = None) -> Response:
        rows = queries.recent_events(engine, source=source, region=region, kind=event,
                                     limit=100)
        base = str(request.base_url).rstrip("/")
        body = feed.atom(rows, base=base, self_url=str(request.url),
                         title="gongkai：政府信息公开年度报告变更")
        return Response(body, media_type="application/atom+xml")

    # -- JSON API -------------------------------------------------------------------------

    @app.get("/api/sources", tags=["archive"], summary="Sources with their last run and flags")
    def api_sources() -> dict[str, Any]:
        return home_data(limit=None)

    @app.get("/api/changes", tags=["archive"], summary="Latest events, newest first")
    def api_changes(source: Source = None, region: Region = None, event: EventKind = None,
                    limit: Limit = 50) -> list[dict[str, Any]]:
        return queries.recent_events(engine, source=source, region=region, kind=event,
                                     limit=limit)

    @app.get("/api/search", tags=["research"], summary="Full-text search with filters")
    def api_search(q: Annotated[str, Query(min_length=1, max_length=200)],
                   source: Source = None, region: Region = None, year: Year = None,
                   since: Day = None, until: Day = None, template: Template = None,
                   kind: Kind = None, as_of: Day = None, all_versions: bool = False,
                   page: PageNo = 1, limit: Limit = PAGE_SIZE) -> dict[str, Any]:
        filters = _filters(source, region, year, since, until, template, kind, as_of,
                           all_versions)
        return search_data(q, filters, page, limit)

    @app.get("/api/reports/{page_id}", tags=["research"],
             summary="A report's current version, its statistics and version history")
    def api_report(page_id: PageId) -> dict[str, Any]:
        return report_data(page_id, None)

    @app.get("/api/reports/{page_id}/versions/{number}", tags=["research"],
             summary="One version of a report")
    def api_version(page_id: PageId, number: Number) -> dict[str, Any]:
        return report_data(page_id, number)

    @app.get("/api/reports/{page_id}/diff", tags=["research"],
             summary="What changed between two versions")
    def api_diff(page_id: PageId, from_: From = None,
                 to: To = None) -> dict[str, Any]:
        result, _ = diff_data(page_id, from_, to)
        return result.to_json()

    @app.get("/api/metrics", tags=["research"],
             summary="One statistic in the current version of every matching report")
    def api_metrics(key: Key, source: Source = None, region: Region = None,
                    year: Year = None) -> list[dict[str, Any]]:
        return chart_rows(key, source, region, year)

    return app


# -- parameters: bounded, so a bad one is a 400 before any query runs -------------------------

Q = Annotated[str, Query(max_length=200)]
Source = Annotated[str | None, Query(max_length=64, pattern=r"^[\w.-]+$")]
Region = Annotated[str | None, Query(max_length=64)]
Year = Annotated[int | None, Query(ge=1990, le=2100)]
Day = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Template = Annotated[str | None, Query(pattern=r"^(2008|2019)$")]
Kind = Annotated[str | None, Query(pattern=r"^(report|attachment)$")]
PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
PageId = Annotated[int, PathParam(ge=1, le=2**62)]
Number = Annotated[int, PathParam(ge=1, le=1_000_000)]
To = Annotated[int | None, Query(ge=1, le=1_000_000)]
From = Annotated[int | None, Query(alias="from", ge=0, le=1_000_000)]
Key = Annotated[str, Query(max_length=120, pattern=r"^[a-z_.]+$")]
EventKind = Annotated[str | None, Query(pattern="^(" + "|".join(queries.EVENT_KINDS) + ")$")]


def _filters(source: str | None, region: str | None, year: int | None, since: str | None,
             until: str | None, template: str | None, kind: str | None,
             as_of: str | None = None, all_versions: bool = False) -> search.Filters:
    for value, option in ((since, "since"), (until, "until"), (as_of, "as_of")):
        if value is not None:
            versions.parse_day(value, option)
    return search.Filters(source=source or None, region=region or None, year=year,
                          since=since, until=until, template=template, kind=kind,
                          all_versions=all_versions,
                          as_of=versions.parse_as_of(as_of) if as_of else None)


def _extension(content_type: str | None) -> str:
    kinds = {"text/html": "html", "application/pdf": "pdf", "text/plain": "txt",
             "application/msword": "doc"}
    return kinds.get((content_type or "").split(";")[0].strip(), "bin")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gongkai")
    except PackageNotFoundError:  # pragma: no cover
        return "0"


__all__ = ["create_app"]
