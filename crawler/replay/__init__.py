"""The EIS double: a generated snapshot of realistic EIS documents and an HTTP server for it.

Not part of what runs in production. It stands in for zakupki.gov.ru in ``make demo``, in the
tests and in the benchmarks (no test touches the internet), and it must behave like the real
site (page sizes, caps, error and block pages), not like what is convenient: see docs/replay.md.
Nothing outside ``crawler/replay/`` imports it but the demo command, ``tenderwatch replay``, the
tests and the benchmarks; the spiders know only the EIS's URLs.

The snapshot is generated from the project's own templates following the real EIS formats (never
copies of real documents); the server (``crawler.replay.server``) serves it under the EIS URL paths.
"""

from crawler.replay.model import NoticeVersion
from crawler.replay.model import Purchase
from crawler.replay.model import ReplayError
from crawler.replay.model import SnapshotError
from crawler.replay.snapshot import QueryError
from crawler.replay.snapshot import SearchQuery
from crawler.replay.snapshot import Snapshot
from crawler.replay.snapshot import build_snapshot
from crawler.replay.snapshot import iter_documents

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
