"""The bundled EIS replay: a generated snapshot of realistic EIS documents and an HTTP server for it.

The snapshot is generated from the project's own templates following the real EIS formats (never
copies of real documents); the server (``crawler.replay.server``) serves it under the EIS URL paths.
"""

from crawler.replay.model import NoticeVersion, Purchase, ReplayError, SnapshotError
from crawler.replay.snapshot import QueryError, SearchQuery, Snapshot, build_snapshot, iter_documents

__all__ = [
    "NoticeVersion",
    "Purchase",
    "QueryError",
    "ReplayError",
    "SearchQuery",
    "Snapshot",
    "SnapshotError",
    "build_snapshot",
    "iter_documents",
]
