"""``gongkai archive check``: the archive's invariants, verified from its rows and bytes.

What a crash, a kill or a full disk must never leave behind, whatever the database's own
constraints allow: a page pointing at a version it does not have, a gap in version numbers, a
version without exactly one current reading, a reading whose content hash is not that of its
stored text and statistics, a blob whose bytes no longer hash to its name or that nothing
refers to, a
fetch pointing at a version that is not there, two versions in a row with the same content (a
false change), a row whose foreign key points nowhere, or a schema behind its migrations. Each
problem is one line naming the rows involved.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from gongkai.archive.content import read_blob
from gongkai.archive.db import current_revision, head_revision
from gongkai.archive.models import Blob, Derivation, Fetch, Page, Version
from gongkai.parsers.report import content_hash

#: blobs hashed per transaction: bounded memory on an archive of any size
_BLOB_BATCH = 200


@dataclass(slots=True)
class CheckReport:
    pages: int = 0
    versions: int = 0
    blobs: int = 0
    fetches: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(engine: Engine, *, hash_blobs: bool = True) -> CheckReport:
    report = CheckReport()
    revision, head = current_revision(engine), head_revision()
    if revision != head:
        report.problems.append(f"schema at migration {revision}, this gongkai's head is {head}")
    with Session(engine) as s:
        if engine.dialect.name == "sqlite":
            # PostgreSQL enforces foreign keys as it writes; SQLite only when asked
            report.problems += [f"{row[0]} row {row[1]}: its {row[2]} row is missing"
                                for row in s.execute(text("PRAGMA foreign_key_check"))]
        report.pages = s.scalar(select(func.count()).select_from(Page)) or 0
        report.versions = s.scalar(select(func.count()).select_from(Version)) or 0
        report.fetches = s.scalar(select(func.count()).select_from(Fetch)) or 0
        report.blobs = s.scalar(select(func.count()).select_from(Blob)) or 0
        _versions(s, report)
        _readings(s, report)
        _fetches(s, report)
    if hash_blobs:
        _blobs(engine, report)
    return report


def _versions(s: Session, report: CheckReport) -> None:
    numbers: dict[int, list[int]] = {}
    for page_id, number in s.execute(select(Version.page_id, Version.number)):
        numbers.setdefault(page_id, []).append(number)
    for page in s.execute(select(Page.id, Page.url, Page.current_version)):
        have = sorted(numbers.get(page.id, []))
        if have != list(range(1, len(have) + 1)):
            report.problems.append(f"page {page.id} ({page.url}): version numbers {have} "
                                   "have a gap")
        if (page.current_version or 0) != (have[-1] if have else 0):
            report.problems.append(f"page {page.id} ({page.url}): current version "
                                   f"{page.current_version}, but its last version is "
                                   f"{have[-1] if have else None}")
    missing = s.execute(select(Version.id, Version.blob_sha256)
                        .outerjoin(Blob, Blob.sha256 == Version.blob_sha256)
                        .where(Blob.sha256.is_(None))).all()
    report.problems += [f"version {v.id}: blob {v.blob_sha256} is missing" for v in missing]
    orphans = s.scalars(
        select(Blob.sha256)
        .where(~select(Version.id).where(Version.blob_sha256 == Blob.sha256).exists(),
               ~select(Fetch.id).where(Fetch.blob_sha256 == Blob.sha256).exists())).all()
    report.problems += [f"blob {sha}: referenced by no version or fetch" for sha in orphans]


def _readings(s: Session, report: CheckReport) -> None:
    current = dict(s.execute(
        select(Version.id, func.count(Derivation.id))
        .outerjoin(Derivation, (Derivation.version_id == Version.id) & Derivation.current)
        .group_by(Version.id)).all())
    report.problems += [f"version {vid}: {n} current readings, expected 1"
                        for vid, n in current.items() if n != 1]
    rows = s.execute(
        select(Version.page_id, Version.number, Version.blob_sha256, Derivation.id,
               Derivation.content_hash, Derivation.text, Derivation.metrics, Derivation.kind)
        .join(Derivation, (Derivation.version_id == Version.id) & Derivation.current)
        .order_by(Version.page_id, Version.number)).yield_per(500)
    previous: tuple[int, str] | None = None
    for row in rows:
        body = row.blob_sha256 if row.kind != "html" else None
        if content_hash(row.text, row.metrics or {}, body) != row.content_hash:
            report.problems.append(f"page {row.page_id} version {row.number}: reading "
                                   f"{row.id}'s content hash does not match its text and "
                                   "statistics")
        if previous is not None and previous[0] == row.page_id \
                and previous[1] == row.content_hash:
            report.problems.append(f"page {row.page_id}: versions {row.number - 1} and "
                                   f"{row.number} have the same content (a false change)")
        previous = (row.page_id, row.content_hash)


def _fetches(s: Session, report: CheckReport) -> None:
    dangling = s.execute(
        select(Fetch.id, Fetch.page_id, Fetch.version_number)
        .outerjoin(Version, (Version.page_id == Fetch.page_id)
                   & (Version.number == Fetch.version_number))
        .where(Fetch.version_number.is_not(None), Version.id.is_(None))).all()
    report.problems += [f"fetch {f.id}: page {f.page_id} has no version {f.version_number}"
                        for f in dangling]


def _blobs(engine: Engine, report: CheckReport) -> None:
    after = ""
    while True:
        with Session(engine) as s:
            blobs = list(s.scalars(select(Blob).where(Blob.sha256 > after)
                                   .order_by(Blob.sha256).limit(_BLOB_BATCH)))
            for blob in blobs:
                try:
                    body = read_blob(blob)
                except Exception as exc:  # noqa: BLE001 - any failure to read is the finding
                    report.problems.append(f"blob {blob.sha256}: unreadable ({exc})")
                    continue
                if hashlib.sha256(body).hexdigest() != blob.sha256 or len(body) != blob.size:
                    report.problems.append(f"blob {blob.sha256}: bytes do not match its hash "
                                           "or size")
        if len(blobs) < _BLOB_BATCH:
            return
        after = blobs[-1].sha256
