"""Alembic environment: migrations run on the engine ``gongkai`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from gongkai.archive.models import Base
from gongkai.archive.search import is_index_table

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    return create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///gongkai.db")


#: tables other libraries own in the archive database (APScheduler's job store)
FOREIGN_TABLES = {"apscheduler_jobs"}


def include_object(obj: object, name: str | None, type_: str, reflected: bool,
                   compare_to: object) -> bool:
    # the full-text index is dialect-specific DDL (FTS5 or tsvector) kept by archive/search.py
    return not (type_ == "table" and (name in FOREIGN_TABLES or is_index_table(name)))


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
