"""Bulk ingestion: files, folders and EIS bulk-export ZIPs -> parsed documents -> batched upserts.

Notices go to ``upsert_notices``, result documents (protocols, contracts) to ``upsert_results``.

A plain function (no CLI, no Rich) so ``tenderwatch import``, ``tenderwatch demo`` and the
crawler's replay can share it. One bad document never stops the rest: it becomes an
``IngestError`` naming the file (``archive.zip!member.xml`` inside an archive) and the reason.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from crawler.archives import DOCUMENT_SUFFIXES
from crawler.archives import GZIP_MAGIC
from crawler.archives import MAX_MEMBER_BYTES
from crawler.archives import ZIP_MAGIC
from crawler.archives import DocumentError
from crawler.archives import gzip_documents
from crawler.archives import wanted_member
from crawler.archives import zip_documents
from crawler.parsers import Document
from crawler.parsers import NotANotice
from crawler.parsers import ParseError
from crawler.parsers import parse_document
from data.errors import DatabaseError
from data.errors import StoreError
from data.notice import Notice
from data.store import ResultsStored
from data.store import UpsertResult
from data.store import upsert_notices
from data.store import upsert_results

log = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = frozenset({".zip", ".gz"})
"""What a folder search picks up besides documents; a named file is read whatever its name."""
IMPORT_SOURCE = "import"

Parser = Callable[..., list[Document]]
Progress = Callable[[int, int, str], None]
"""Called after each document with (documents done, documents in total, document label)."""


class InputNotFound(FileNotFoundError):
    """A path given to the import does not exist (a usage error, reported before anything is read)."""


IngestError = DocumentError
"""A document the import could not read or parse, named by its label (``archive.zip!member.xml``)."""


class SkippedDocument(IngestError):
    """A well-formed EIS document Tenderwatch does not read: reported, but not an error."""


@dataclass
class IngestReport:
    documents: int = 0
    notices: int = 0
    results: int = 0
    """Protocols and contracts parsed."""
    result: UpsertResult = field(default_factory=UpsertResult)
    stored_results: ResultsStored = field(default_factory=ResultsStored)
    errors: list[IngestError] = field(default_factory=list)
    skipped: list[IngestError] = field(default_factory=list)
    """Well-formed EIS documents Tenderwatch does not read (cancellations, first-part reviews): not errors."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        r = self.result
        return f"{r.new} new, {r.changed} changed, {r.unchanged} unchanged, {len(self.errors)} errors"

    def results_summary(self) -> str | None:
        """The result documents' line, when there were any."""
        if not self.results:
            return None
        r = self.stored_results
        return (
            f"results (protocols, contracts, РНП entries): {r.new} new, {r.changed} changed, "
            f"{r.unchanged} unchanged; {r.purchases} purchase outcome(s) updated"
        )


# --- finding the documents --------------------------------------------------------------------


def expand_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files to read, in a stable order: named files as given, folders searched recursively."""
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputNotFound(f"{path}: no such file or directory")
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and _wanted(p))
        else:
            files.append(path)
    return files


def _wanted(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix in DOCUMENT_SUFFIXES or suffix in ARCHIVE_SUFFIXES


def file_kind(path: Path) -> str:
    """``zip``, ``gzip``, ``document`` (XML, HTML or JSON) or ``other``, by the first bytes, not the
    name: the EIS export service delivers GZIP-wrapped ZIPs under names that say neither. An
    unreadable file is a ``document``, so that its read error is reported."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return "document"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    return "document" if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"<", b"{") else "other"


def count_documents(files: Iterable[Path]) -> int:
    """How many documents the files hold (archive members counted from the central directory)."""
    total = 0
    for path in files:
        if file_kind(path) != "zip":
            total += 1  # a GZIP-wrapped archive is counted when it is unwrapped
            continue
        try:
            with zipfile.ZipFile(path) as archive:
                total += sum(1 for info in archive.infolist() if wanted_member(info)) or 1
        except (OSError, zipfile.BadZipFile):
            total += 1  # reported as one error when read
    return total


def iter_documents(
    files: Iterable[Path], *, max_member_bytes: int = MAX_MEMBER_BYTES
) -> Iterator[tuple[str, bytes | IngestError]]:
    """(label, bytes) per document, or (label, error) for one that cannot be read."""
    for path in files:
        kind = file_kind(path)
        if kind == "zip":
            yield from zip_documents(path, str(path), max_member_bytes)
        elif kind == "gzip":
            yield from gzip_documents(path, str(path), max_member_bytes)
        elif kind == "document" or path.suffix.lower() in DOCUMENT_SUFFIXES:
            yield str(path), _read_file(path, max_member_bytes)
        else:
            suffix = path.suffix.lower()
            yield str(path), IngestError(str(path), f"unsupported file type {suffix or '(none)'!r}")


def _read_file(path: Path, cap: int) -> bytes | IngestError:
    """A document's bytes; one larger than the parser accepts is refused by its size, unread."""
    try:
        size = path.stat().st_size
        if size > cap:
            return IngestError(str(path), f"file of {size} bytes exceeds the {cap}-byte cap")
        with path.open("rb") as handle:
            data = handle.read(cap + 1)  # a file growing while we read stops at the cap too
    except OSError as exc:
        return IngestError(str(path), f"cannot read: {exc.strerror or exc}")
    if len(data) > cap:
        return IngestError(str(path), f"file exceeds the {cap}-byte cap")
    return data


# --- parsing and storing ----------------------------------------------------------------------


def ingest_paths(
    paths: Iterable[Path | str],
    *,
    engine: Engine,
    batch_size: int,
    progress: Progress | None = None,
    parse: Parser = parse_document,
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> IngestReport:
    """Parse every document under ``paths`` and upsert the notices ``batch_size`` at a time.

    Raises ``InputNotFound`` (before reading anything) when a path does not exist, and
    ``DatabaseError`` when the database refuses writes (batches stored before stay stored);
    every other problem is collected in the report. The schema must already exist (``data.db.upgrade``).
    """
    files = expand_inputs(Path(p) for p in paths)
    total = count_documents(files)
    report = IngestReport()
    pending: list[tuple[str, list[Document]]] = []
    with Session(engine, expire_on_commit=False) as session:
        for label, content in iter_documents(files, max_member_bytes=max_member_bytes):
            report.documents += 1
            documents = content if isinstance(content, IngestError) else _parse(parse, content, label)
            if isinstance(documents, SkippedDocument):
                report.skipped.append(documents)
            elif isinstance(documents, IngestError):
                report.errors.append(documents)
            elif documents:
                pending.append((label, documents))
                notices = sum(isinstance(d, Notice) for d in documents)
                report.notices += notices
                report.results += len(documents) - notices
                if sum(len(n) for _, n in pending) >= batch_size:
                    _flush(session, pending, report)
            if progress is not None:
                progress(report.documents, total, label)
        _flush(session, pending, report)
    log.info("ingested %d documents, %d notices: %s", report.documents, report.notices, report.summary())
    return report


def _parse(parse: Parser, data: bytes, label: str) -> list[Document] | IngestError:
    try:
        return parse(data, url=label)
    except NotANotice as exc:
        return SkippedDocument(label, exc.problem)
    except ParseError as exc:
        return IngestError(label, exc.problem)
    except Exception as exc:  # a parser bug must not abort a bulk import; the log keeps the traceback
        log.exception("parser failed unexpectedly on %s", label)
        return IngestError(label, f"unexpected parser failure: {type(exc).__name__}: {exc}")


def _flush(session: Session, pending: list[tuple[str, list[Document]]], report: IngestReport) -> None:
    """Store the pending documents as one batch; if the batch fails, store them one by one."""
    if not pending:
        return
    try:
        _store(session, [d for _, documents in pending for d in documents], report)
    except DatabaseError:  # the database refuses every write: stop, one by one would fail alike
        raise
    except StoreError as exc:
        log.warning("batch of %d documents failed (%s); storing them one by one", len(pending), exc)
        for label, documents in pending:
            try:
                _store(session, documents, report)
            except StoreError as one:
                report.errors.append(IngestError(label, f"not stored: {one}"))
    pending.clear()


def _store(session: Session, documents: list[Document], report: IngestReport) -> None:
    """Notices first, so that results of the same batch are summed up with their notice."""
    notices = [d for d in documents if isinstance(d, Notice)]
    results = [d for d in documents if not isinstance(d, Notice)]
    if notices:
        report.result.add(upsert_notices(session, notices, source=IMPORT_SOURCE))
    if results:
        report.stored_results.add(upsert_results(session, results, source=IMPORT_SOURCE))
