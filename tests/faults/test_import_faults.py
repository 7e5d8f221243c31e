"""Issue item 8: an archive member that lies about its size, and a huge file, must be refused
without being read into memory, and never cost the good documents beside them."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from pathlib import Path

from data.db import make_engine
from data.db import upgrade
from tenderwatch.ingest import MAX_MEMBER_BYTES
from tenderwatch.ingest import ingest_paths
from tests.conftest import sample_bytes
from tests.faults.ledger import record

GOOD = (
    "44fz_epNotificationEZK2020_0373200624325000142.xml",
    "44fz_ftp_fcsNotificationEF_0318200041218000635_v8.3.xml",
    "223fz_purchaseNotice_31603913641.xml",
)
PEAK_LIMIT = 64 * 1024 * 1024
"""Far below what the lying member inflates to (300 MiB) and above the 32 MiB document cap."""


def lying_member_zip(path: Path, good: dict[str, bytes]) -> None:
    """Good members plus one whose headers say 1,000 bytes while its stream inflates to 300 MiB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in good.items():
            archive.writestr(name, data)
        archive.writestr("bomb.xml", b"\0" * (300 << 20))
    data = bytearray(buffer.getvalue())
    local = data.rfind(b"PK\x03\x04")  # the last member's local header, then its central entry
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 1000)
    struct.pack_into("<I", data, central + 24, 1000)
    path.write_bytes(bytes(data))


def _import_measured(paths: list[Path], db: Path):
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    tracemalloc.start()
    try:
        report = ingest_paths(paths, engine=engine, batch_size=50)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        engine.dispose()
    return report, peak


def test_a_member_lying_about_its_size_is_refused_in_bounded_memory(tmp_path):
    good = {name: sample_bytes(name) for name in GOOD}
    archive = tmp_path / "export.zip"
    lying_member_zip(archive, good)
    assert archive.stat().st_size < 2 * 1024 * 1024  # a small download that would inflate to 300 MiB

    report, peak = _import_measured([archive], tmp_path / "tw.db")

    errors = {error.label.split("!")[-1]: error.reason for error in report.errors}
    assert list(errors) == ["bomb.xml"] and "Bad CRC-32" in errors["bomb.xml"]
    stored = report.result.new
    case = record(
        8,
        "ZIP member lying about its size (300 MiB from 1,000 declared)",
        unit="documents",
        tried=len(good) + 1,
        survived=stored + len(errors),
        lost=len(good) - stored,
    )
    assert case.lost == 0 and stored == len(good)
    assert peak < PEAK_LIMIT, f"peak {peak / 1e6:.0f} MB"  # 630 MB before the fix


def test_a_file_above_the_cap_is_refused_by_its_size_unread(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    for name in GOOD:
        (folder / name).write_bytes(sample_bytes(name))
    huge = folder / "huge.xml"
    with huge.open("wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.truncate(200 * 1024 * 1024)

    report, peak = _import_measured([folder], tmp_path / "tw.db")

    assert [(Path(e.label).name, e.reason) for e in report.errors] == [
        ("huge.xml", f"file of {200 * 1024 * 1024} bytes exceeds the {MAX_MEMBER_BYTES}-byte cap")
    ]
    case = record(
        8,
        "200 MB file beside good ones",
        unit="documents",
        tried=len(GOOD) + 1,
        survived=report.result.new + 1,
        lost=len(GOOD) - report.result.new,
    )
    assert case.lost == 0
    assert peak < PEAK_LIMIT, f"peak {peak / 1e6:.0f} MB"  # the whole 200 MB before the fix
