"""The documents inside an EIS archive: a ZIP of XML, or the same ZIP wrapped in GZIP.

The FTP bulk exports were ZIPs; the export service's archive links are reported to deliver
GZIP-wrapped ZIPs (docs/sources.md), so both are read, told apart by their first bytes, never by
a name. ``tenderwatch import`` reads files with these functions and the ``eis_export`` spider reads
downloaded archives with them: one reader with one set of limits against zip bombs.
"""

from __future__ import annotations

import gzip
import io
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from crawler.parsers.common import MAX_DOCUMENT_BYTES

DOCUMENT_SUFFIXES = frozenset({".xml", ".json", ".html", ".htm"})
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
"""A ZIP starts with a local file header, or (empty) with the end of its central directory."""
GZIP_MAGIC = b"\x1f\x8b"
MAX_GUNZIP_BYTES = 4 << 30
"""A GZIP-wrapped archive inflates to at most this, spooled to disk."""
MAX_MEMBER_BYTES = MAX_DOCUMENT_BYTES
"""An archive member larger than the parser accepts is refused before it is inflated (zip bombs)."""
READ_CHUNK = 1 << 16
"""Archive members are inflated this much at a time (see ``_read_member``)."""

Source = Path | IO[bytes]


@dataclass(frozen=True)
class DocumentError:
    """A document that could not be read (or, for the import, parsed), named by its label."""

    label: str
    reason: str

    def __str__(self) -> str:
        return f"{self.label}: {self.reason}"


def wanted_member(info: zipfile.ZipInfo) -> bool:
    return not info.is_dir() and Path(info.filename).suffix.lower() in DOCUMENT_SUFFIXES


def archive_documents_of_bytes(
    data: bytes, label: str, cap: int = MAX_MEMBER_BYTES
) -> Iterator[tuple[str, bytes | DocumentError]]:
    """(label, bytes) per document of a downloaded archive (ZIP or GZIP-wrapped ZIP)."""
    if data.startswith(GZIP_MAGIC):
        yield from gzip_documents(io.BytesIO(data), label, cap)
    elif data.startswith(ZIP_MAGIC):
        yield from zip_documents(io.BytesIO(data), label, cap)
    else:
        yield label, DocumentError(label, "neither a ZIP nor a GZIP archive")


def gzip_documents(source: Source, label: str, cap: int) -> Iterator[tuple[str, bytes | DocumentError]]:
    """A GZIP-wrapped ZIP: unwrapped in chunks into a spooled file (never past MAX_GUNZIP_BYTES),
    then read as any archive."""
    with tempfile.SpooledTemporaryFile(max_size=64 << 20) as inner:
        try:
            with gzip.open(source, "rb") as outer:
                size = 0
                while chunk := outer.read(READ_CHUNK):
                    size += len(chunk)
                    if size > MAX_GUNZIP_BYTES:
                        yield label, DocumentError(label, f"GZIP inflates beyond {MAX_GUNZIP_BYTES} bytes")
                        return
                    inner.write(chunk)
        except (OSError, EOFError, zlib.error) as exc:
            yield label, DocumentError(label, f"not a readable GZIP file: {exc}")
            return
        inner.seek(0)
        if not inner.read(4).startswith(ZIP_MAGIC):
            yield label, DocumentError(label, "GZIP file does not wrap a ZIP archive")
            return
        inner.seek(0)
        yield from zip_documents(inner, label, cap)


def zip_documents(source: Source, label: str, cap: int) -> Iterator[tuple[str, bytes | DocumentError]]:
    try:
        archive = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as exc:
        yield label, DocumentError(label, f"not a readable ZIP archive: {exc}")
        return
    with archive:
        members = [info for info in archive.infolist() if wanted_member(info)]
        if not members:
            yield label, DocumentError(label, "archive holds no .xml, .json or .html documents")
        for info in members:
            member_label = f"{label}!{info.filename}"
            yield member_label, read_member(archive, info, member_label, cap)


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, cap: int
) -> bytes | DocumentError:
    """The member's bytes, refused when its declared size exceeds ``cap``; inflated in small
    chunks and never beyond ``cap``.

    ``ZipFile.read`` asks zlib for up to 1 GiB at once and only then cuts the result to the
    declared size: a 300 KB member whose header understates its size took 630 MB of memory
    before the CRC check failed. Chunked reads keep memory at the cap whatever the header says.
    """
    if info.file_size > cap:
        return DocumentError(label, f"member of {info.file_size} bytes exceeds the {cap}-byte cap")
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(READ_CHUNK):
                size += len(chunk)
                if size > cap:
                    return DocumentError(label, f"member inflates beyond the {cap}-byte cap")
                chunks.append(chunk)
    except (OSError, zipfile.BadZipFile, zlib.error, RuntimeError, EOFError) as exc:
        return DocumentError(label, f"cannot read archive member: {exc}")
    return b"".join(chunks)
