"""Engine, sessions and schema upgrades on first use.

The schema is owned by Alembic from the first table on, so an archive created by any release
can be upgraded in place: every command calls :func:`open_archive`, which upgrades when the
database is behind. SQLite gets WAL and a busy timeout so readers never block the crawler.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from gongkai.archive.exceptions import ArchiveError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
#: Milliseconds a SQLite writer waits for another before failing.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any,
                    busy_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    # Let SQLAlchemy, not pysqlite, issue BEGIN, so that SAVEPOINTs (one per page in a
    # batch) work: the documented pysqlite workaround.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Writers take the write lock up front (BEGIN IMMEDIATE): a deferred transaction that
    # reads, then writes while another process writes, fails at once with "database is
    # locked" whatever the busy timeout. Readers stay deferred so they never block writers.
    if connection.get_execution_options().get(WRITE_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


WRITE_OPTION = "gongkai_writer"


def writer(engine: Engine) -> Engine:
    """The engine for transactions that write (see _sqlite_begin); the same pool."""
    return engine.execution_options(**{WRITE_OPTION: True})


def _json_dumps(value: Any) -> str:
    # Readable UTF-8 in the database: a researcher opening the file sees 依申请公开, not
    # \u4f9d\u7533...
    return json.dumps(value, ensure_ascii=False)


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ArchiveError(f"archive url {url!r} is not a database URL: {exc}") from exc
    if parsed.drivername in ("postgres", "postgres+psycopg"):
        raise ArchiveError(f"archive url {_safe(url)}: write postgresql+psycopg://… "
                           "(SQLAlchemy does not know postgres://)")
    return parsed


def _no_driver(url: str, exc: Exception) -> ArchiveError:
    if make_url(url).get_backend_name() == "postgresql":
        return ArchiveError(f"archive url {_safe(url)}: the PostgreSQL driver is not installed; "
                            "pip install 'gongkai[postgres]' and write postgresql+psycopg://…")
    return ArchiveError(f"archive url {_safe(url)}: {exc}")


def reason(exc: BaseException, limit: int = 300) -> str:
    """What a database error says, on one line: the driver's own message (libpq's run over
    two lines), not SQLAlchemy's wrapper with its SQL and background link."""
    return " ".join(str(getattr(exc, "orig", None) or exc).split())[:limit]


def _server_engine(parsed: URL, url: str, **kwargs: Any) -> Engine:
    try:
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    except ModuleNotFoundError as exc:
        raise _no_driver(url, exc) from exc
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ArchiveError(f"archive url {_safe(url)}: {exc}") from exc


def make_engine(url: str, *, busy_timeout: float | None = None) -> Engine:
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        wait_ms = int((busy_timeout if busy_timeout is not None
                       else SQLITE_BUSY_TIMEOUT_MS / 1000) * 1000)
        engine = create_engine(parsed, connect_args={"timeout": wait_ms / 1000},
                               json_serializer=_json_dumps)
        event.listen(engine, "connect",
                     lambda conn, record: _sqlite_pragmas(conn, record, wait_ms))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return _server_engine(parsed, url, json_serializer=_json_dumps)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = writer(engine)
    return config


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration; a no-op when it is there already."""
    try:
        if current_revision(engine) == head_revision():
            return
        log.info("upgrading archive schema at %s", _safe(str(engine.url)))
        command.upgrade(alembic_config(engine), "head")
    except (OperationalError, SQLAlchemyError) as exc:
        raise ArchiveError(f"cannot open archive {_safe(str(engine.url))}: {exc.orig or exc}"
                           if isinstance(exc, OperationalError) else
                           f"cannot upgrade archive {_safe(str(engine.url))}: {exc}") from exc


def open_archive(url: str, *, create: bool = True, busy_timeout: float | None = None) -> Engine:
    """An engine on an archive whose schema is current. Only what fills an archive (a crawl,
    the scheduler, a WARC import) creates one; every other command passes ``create=False`` and
    gets an error naming the archive it did not find, never a new empty one."""
    if not create:
        _must_exist(url)
    engine = make_engine(url, busy_timeout=busy_timeout)
    if not create and _revision(engine, url) is None:
        engine.dispose()
        raise ArchiveError(f"no archive in {_safe(url)} (no gongkai tables): run "
                           "`gongkai crawl` first, or pass --db with the archive's URL")
    upgrade(engine)
    return engine


def _revision(engine: Engine, url: str) -> str | None:
    try:
        return current_revision(engine)
    except SQLAlchemyError as exc:
        raise ArchiveError(f"cannot open archive {_safe(url)}: {reason(exc, 1000)}") from exc


def _must_exist(url: str) -> None:
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database
    if not database or database == ":memory:" or not Path(database).expanduser().is_file():
        raise ArchiveError(f"no archive at {_safe(url)}: run `gongkai crawl` first, or pass "
                           "--db with the archive's URL")


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def open_read_only(url: str) -> Engine:
    """An engine that cannot write, for ``gongkai serve``: SQLite opened with ``mode=ro`` (and
    ``query_only``), PostgreSQL sessions with ``default_transaction_read_only``, so no code path
    of a web request can change the archive whatever it asks. A missing database or one whose
    schema is behind is an error, never created or upgraded here."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        _must_exist(url)
        path = Path(parsed.database or "").expanduser().resolve()
        engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
        event.listen(engine, "connect", _sqlite_read_only)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    else:
        engine = _server_engine(parsed, url, connect_args={
            "options": "-c default_transaction_read_only=on"})
    revision = _revision(engine, url)
    if revision != head_revision():
        raise ArchiveError(f"archive {_safe(url)} is at schema {revision or 'none'}, this "
                           f"gongkai needs {head_revision()}: run `gongkai crawl` or "
                           "`gongkai reparse` once to upgrade it")
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url
