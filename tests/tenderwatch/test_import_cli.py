"""``tenderwatch init`` and ``tenderwatch import`` end to end on the real EIS samples."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from crawler.archives import read_member
from data.db import head_revision
from data.db import make_engine
from data.store import get_notice
from data.store import stored_versions
from tenderwatch.cli import app
from tenderwatch.ingest import IngestError
from tenderwatch.ingest import ingest_paths
from tests.conftest import sample_bytes
from tests.conftest import sample_path
from tests.data.conftest import postgres_url  # noqa: F401 - the PostgreSQL fixture

EZK = "44fz_epNotificationEZK2020_0373200624325000142.xml"
EF = "44fz_epNotificationEF2020_0173200001425001720.xml"
N223 = "223fz_purchaseNotice_31603913641.xml"
RSS = "rss_extendedsearch_real.xml"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'tw.db'}"


@pytest.fixture
def invoke(tmp_path: Path, db_url: str):
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[database]\nurl = "{db_url}"\nbatch_size = 2\n', encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["--settings", str(settings), "init"]).exit_code == 0  # import needs a database

    def run(*args: str):
        return runner.invoke(app, ["--settings", str(settings), *args])

    return run


def stored(db_url: str, reg_number: str):
    engine = make_engine(db_url)
    with Session(engine) as session:
        notice = get_notice(session, reg_number=reg_number)
    engine.dispose()
    return notice


def test_init_creates_the_schema_and_is_idempotent(invoke, db_url: str) -> None:
    first = invoke("init")
    second = invoke("init")
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert first.output == f"database {db_url} at revision {head_revision()}\n"
    assert second.output == first.output


def test_init_masks_the_password(postgres_url: str, tmp_path: Path) -> None:  # noqa: F811
    with_password = postgres_url.replace("postgres@", "postgres:s3cret@", 1)
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[database]\nurl = "{with_password}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["--settings", str(settings), "init"])
    assert result.exit_code == 0, result.output
    assert (
        result.output == f"database {with_password.replace('s3cret', '***')} at revision {head_revision()}\n"
    )
    assert "s3cret" not in result.output


def test_import_files_then_again_is_idempotent(invoke, db_url: str) -> None:
    files = [str(sample_path(name)) for name in (EZK, EF, N223)]
    first = invoke("import", *files)
    assert (first.exit_code, first.output) == (0, "3 new, 0 changed, 0 unchanged, 0 errors\n")
    second = invoke("import", *files)
    assert (second.exit_code, second.output) == (0, "0 new, 0 changed, 3 unchanged, 0 errors\n")
    notice = stored(db_url, "0173200001425001720")
    assert (notice.law, notice.version, notice.nmck, notice.completeness, len(notice.items)) == (
        "44-FZ",
        1,
        Decimal("388050008.20"),
        "card",
        6,
    )


def test_import_zip_and_folder_reports_bad_members_and_keeps_the_rest(
    invoke, tmp_path: Path, db_url: str
) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"notices/{EZK}", sample_bytes(EZK))
        zf.writestr(f"notices/{EF}", sample_bytes(EF))
        zf.writestr("notices/broken.xml", b"<export><notice>")
        zf.writestr("notices/signature.sig", b"not a document")
    folder = tmp_path / "feed"
    (folder / "deep").mkdir(parents=True)
    (folder / "deep" / RSS).write_bytes(sample_bytes(RSS))
    (folder / "README.md").write_text("ignored: not a document", encoding="utf-8")

    result = invoke("import", str(archive), str(folder))
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert lines[0] == "7 new, 0 changed, 0 unchanged, 1 errors"
    assert lines[1].startswith(f"{archive}!notices/broken.xml: malformed XML")
    assert len(lines) == 2
    assert stored(db_url, "0373200624325000142").nmck == Decimal("93552")
    assert stored(db_url, "0355200005326000010").completeness == "listing"


def test_missing_path_is_a_usage_error(invoke, tmp_path: Path) -> None:
    result = invoke("import", str(tmp_path / "nope.xml"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope.xml'}: no such file or directory" in " ".join(result.output.split())


def test_unsupported_and_unparsable_files_are_errors(invoke, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    result = invoke("import", str(text), str(empty))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "0 new, 0 changed, 0 unchanged, 2 errors",
        f"{text}: unsupported file type '.txt'",
        f"{empty}: empty document",
    ]


# --- the ingestion function itself ------------------------------------------------------------


def test_oversized_archive_members_are_refused_before_inflating(tmp_path: Path, db_url: str) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.xml", b"\0" * 10_000_000)
        zf.writestr(EZK, sample_bytes(EZK))
    engine = make_engine(db_url)
    from data.db import upgrade

    upgrade(engine)
    seen: list[tuple[int, int, str]] = []
    report = ingest_paths(
        [archive],
        engine=engine,
        batch_size=10,
        max_member_bytes=len(sample_bytes(EZK)),
        progress=lambda *a: seen.append(a),
    )
    engine.dispose()
    assert report.errors == [
        IngestError(
            f"{archive}!bomb.xml", f"member of 10000000 bytes exceeds the {len(sample_bytes(EZK))}-byte cap"
        )
    ]
    assert (report.documents, report.notices, report.result.new) == (2, 1, 1)
    assert seen == [(1, 2, f"{archive}!bomb.xml"), (2, 2, f"{archive}!{EZK}")]


def test_a_member_whose_header_understates_its_size_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("liar.xml", b"<a/>" * 5_000)
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("liar.xml")
        info.file_size = 10  # what a crafted central directory would claim
        result = read_member(zf, info, "liar.zip!liar.xml", 1_000)
    assert result == IngestError(
        "liar.zip!liar.xml", "cannot read archive member: Bad CRC-32 for file 'liar.xml'"
    )


def test_a_failing_batch_falls_back_to_one_document_at_a_time(tmp_path: Path, db_url: str) -> None:
    from data.db import upgrade

    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_bytes(sample_bytes(EZK))
    bad.write_bytes(b"<x/>")
    real = sample_bytes(EZK)

    def parse(data: bytes, *, url: str):
        from crawler.parsers import parse_document

        notices = parse_document(real, url=url)
        if url.endswith("bad.xml"):  # a notice the database refuses: NaN is not an amount
            return [
                notices[0].model_copy(update={"reg_number": "0000000000000000001", "nmck": Decimal("NaN")})
            ]
        return notices

    engine = make_engine(db_url)
    upgrade(engine)
    report = ingest_paths([good, bad], engine=engine, batch_size=10, parse=parse)
    with Session(engine) as session:
        versions = stored_versions(
            session, keys=[("44-FZ", "0373200624325000142"), ("44-FZ", "0000000000000000001")]
        )
    engine.dispose()
    assert report.result.new == 1
    assert list(versions) == [("44-FZ", "0373200624325000142")]
    assert [e.label for e in report.errors] == [str(bad)]
    assert report.errors[0].reason.startswith(
        "not stored: batch of 1 notices (first 44-FZ 0000000000000000001)"
    )


def test_non_notice_documents_in_a_bulk_zip_are_skipped_not_errors(invoke, tmp_path: Path) -> None:
    """Real EIS bulk exports mix notices with cancellations and first-part protocols: not errors."""
    archive = tmp_path / "notification_Moskva_2026112200_2026112300_001.xml.zip"
    export = '<export xmlns="http://zakupki.gov.ru/oos/export/1"><{0}/></export>'
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fcsNotificationCancel_0373200624325000142_1.xml", export.format("fcsNotificationCancel"))
        zf.writestr("fcsProtocolEF1_0373200624325000142_2.xml", export.format("fcsProtocolEF1"))
        zf.writestr(EZK, sample_bytes(EZK))
    result = invoke("import", str(archive))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-2:] == [
        "1 new, 0 changed, 0 unchanged, 0 errors",
        "2 documents skipped: EIS documents Tenderwatch does not read (cancellations, protocols without "
        "prices or decisions, changes of organisation)",
    ]


def test_protocols_and_contracts_in_a_zip_are_stored_as_results(invoke, tmp_path: Path) -> None:
    results = Path(__file__).parents[1] / "crawler" / "eis_results"
    archive = tmp_path / "results.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(results.glob("*.xml")):
            zf.write(path, path.name)
        zf.writestr(EZK, sample_bytes(EZK))
    first = invoke("import", str(archive))
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "1 new, 0 changed, 0 unchanged, 0 errors",
        # 11 protocols and contracts, and the 10 entries of the register of unfair suppliers' feed
        "results (protocols, contracts, РНП entries): 21 new, 0 changed, 0 unchanged; "
        "11 purchase outcome(s) updated",
    ]
    again = invoke("import", str(archive))
    assert again.output.splitlines()[1] == (
        "results (protocols, contracts, РНП entries): 0 new, 0 changed, 21 unchanged; "
        "0 purchase outcome(s) updated"
    )


def test_a_folder_without_importable_files_warns_on_stderr(invoke, tmp_path: Path) -> None:
    empty = tmp_path / "emptydir"
    empty.mkdir()
    (empty / "README.md").write_text("not a document", encoding="utf-8")
    result = invoke("import", str(empty))
    assert result.exit_code == 0
    assert result.stdout == "0 new, 0 changed, 0 unchanged, 0 errors\n"
    assert result.stderr == (
        f"warning: no importable files (.gz, .htm, .html, .json, .xml, .zip) found under {empty}\n"
    )


def test_a_truncated_xml_member_is_reported_as_malformed_xml(invoke, tmp_path: Path) -> None:
    archive = tmp_path / "cut.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("b/broken.xml", b"<a>")
        zf.writestr("b/cut.xml", sample_bytes(EF)[:2000])
    result = invoke("import", str(archive))
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert lines[0] == "0 new, 0 changed, 0 unchanged, 2 errors"
    assert lines[1] == (
        f"{archive}!b/broken.xml: malformed XML: "
        "Premature end of data in tag a line 1, line 1, column 4 (<string>, line 1)"
    )
    assert lines[2].startswith(f"{archive}!b/cut.xml: malformed XML: ")


def test_a_card_fragment_named_after_its_registry_number_imports(invoke, tmp_path: Path, db_url: str) -> None:
    named = tmp_path / "0338300004726000162.html"
    named.write_bytes(sample_bytes("html_eis_detail.html"))
    unnamed = tmp_path / "card.html"
    unnamed.write_bytes(sample_bytes("html_eis_detail.html"))
    result = invoke("import", str(named), str(unnamed))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "1 new, 0 changed, 0 unchanged, 1 errors",
        f"{unnamed}: notice card without a registry number: pass the card URL with regNumber=... "
        "or name the file after the registry number (e.g. 0338300004726000162.html)",
    ]
    assert stored(db_url, "0338300004726000162").law == "44-FZ"
