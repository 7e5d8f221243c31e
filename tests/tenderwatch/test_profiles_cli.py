"""``tenderwatch profiles ...`` and ``tenderwatch match`` through Typer's CliRunner."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.models import ProfileRow
from data.store import upsert_notices
from tenderwatch.cli import app
from tests.bidder.match_table import NOW
from tests.bidder.match_table import notice
from tests.bidder.test_suggest import SKIPPED
from tests.bidder.test_suggest import TAKEN
from tests.bot.factories import seed_triage

PROFILES_TOML = """
[[profiles]]
name = "it"
regions = ["Москва", "Московская область"]
okpd2 = ["26.20"]
keywords = ["ноутбук", "компьютер*", "поставка компьютерной техники"]
exclude = ["ремонт"]
price_min = 100000
price_max = 5000000
laws = ["44-FZ"]
chats = [-100100]

[[profiles]]
name = "drainage"
customer_regions = "77"
keywords = ["лоток водоотводный"]
kinds = ["quotation"]
min_days_left = 3
"""


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TENDERWATCH_DATABASE__URL", raising=False)
    monkeypatch.delenv("TENDERWATCH_SETTINGS", raising=False)
    path = tmp_path / "settings.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "tw.db"}"\n{PROFILES_TOML}', encoding="utf-8")
    return path


def run(settings_file: Path, *args: str):
    return CliRunner().invoke(app, ["--settings", str(settings_file), *args])


def test_test_json_is_exactly_matched_reasons_near_misses(settings_file: Path) -> None:
    result = run(
        settings_file,
        "profiles",
        "test",
        "Поставка ноутбуков",
        "--okpd2",
        "26.20.11.110",
        "--region",
        "Московская область",
        "--nmck",
        "1 500 000,50",
        "--deadline",
        "2025-03-05",
        "--now",
        "2025-03-03T12:00:00+03:00",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "matched": ["it"],
        "reasons": {
            "it": [
                "регион заказчика 50 — Московская область",
                "ОКПД2 26.20.11.110 входит в 26.20",
                "ключевое слово «ноутбук» — в тексте «ноутбуков»",
                "НМЦК 1 500 000,50 ₽ в ценовом диапазоне профиля",
                "закон 44-ФЗ",
            ]
        },
        "near_misses": {
            "drainage": [
                "регион заказчика 50 — Московская область не входит в профиль (77 — Москва)",
                "нет совпадений по ОКПД2/КТРУ и ключевым словам: "
                "ни одно ключевое слово не найдено (лоток водоотводный)",
                "способ «аукцион» не входит в профиль (запрос котировок)",
                "до окончания подачи заявок 1 полн. дн., нужно не менее 3",
            ]
        },
    }


def test_test_human_output_says_why_not(settings_file: Path) -> None:
    result = run(settings_file, "profiles", "test", "Ремонт ноутбуков", "--region", "77", "--nmck", "200000")
    assert result.exit_code == 0, result.output
    assert "✗ it" in result.stdout
    assert "не подходит: исключающее слово «ремонт» — в тексте «ремонт»" in result.stdout
    assert "score:" not in result.stdout  # nothing matched: no score to explain


def test_test_human_output_explains_the_score(settings_file: Path) -> None:
    result = run(
        settings_file,
        "profiles",
        "test",
        "Поставка ноутбуков",
        "--region",
        "77",
        "--nmck",
        "900000",
        "--deadline",
        "2099-12-30",
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("score: the weight of what matched (an OKPD2/KTRU code 0.60, a phrase 0.35")
    assert any(line.startswith("✓ ") and "(score 0.25)" in line for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "Атлантида"], "--region 'Атлантида': unknown region"),
        (["--nmck", "много"], "--nmck 'много': not an amount of rubles"),
        (["--deadline", "завтра"], "--deadline 'завтра': not a date (dd.mm.yyyy or yyyy-mm-dd"),
        (["--law", "94-FZ"], "--law: unknown law '94-FZ' (use 44-FZ or 223-FZ)"),
        (["--kind", "тендер"], "--kind: unknown kind 'тендер'"),
        (["--nmck", "1e400"], "--nmck '1e400': too large (at most 1 000 000 000 000 000 rubles)"),
        (["--bid-security", "1e16"], "--bid-security '1e16': too large"),
        (["--inn", "12"], "--inn '12': not an INN (10 or 12 digits)"),
        (["--okpd2", "garbage"], "--okpd2 'garbage': not a valid OKPD2 code (like 26.20.11.110)"),
        (["--okpd2", "26.201"], "--okpd2 '26.201': not a valid OKPD2 code"),
        (
            ["--ktru", "26.20.15.000"],
            "--ktru '26.20.15.000': not a valid KTRU code (like 26.20.15.000-00000001)",
        ),
    ],
)
def test_test_bad_options(settings_file: Path, args: list[str], message: str) -> None:
    result = run(settings_file, "profiles", "test", "Поставка ноутбуков", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_list_show_and_check(settings_file: Path) -> None:
    listed = run(settings_file, "profiles", "list")
    assert listed.exit_code == 0, listed.output
    assert "2 profile(s)" in listed.stdout and "drainage" in listed.stdout
    shown = run(settings_file, "profiles", "show", "drainage")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert (data["customer_regions"], data["kinds"], data["min_days_left"]) == (["77"], ["quotation"], 3)
    missing = run(settings_file, "profiles", "show", "nope")
    assert missing.exit_code == 2 and "no profile named 'nope' (have: it, drainage)" in missing.stderr
    checked = run(settings_file, "profiles", "check")
    assert checked.exit_code == 0, checked.output
    assert "warning: profile «drainage»: no chats" in checked.stdout
    assert "2 profile(s) OK" in checked.stdout


def test_invalid_profile_is_reported_with_name_and_key(settings_file: Path) -> None:
    text = settings_file.read_text(encoding="utf-8").replace('okpd2 = ["26.20"]', 'okpd2 = ["26.201"]')
    settings_file.write_text(text, encoding="utf-8")
    result = run(settings_file, "profiles", "list")
    assert result.exit_code == 2
    assert "profile «it»: okpd2: '26.201' is not an OKPD2 code" in " ".join(result.stderr.split())


def test_check_explains_stored_notices_and_match_stores_verdicts(settings_file: Path, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        upsert_notices(session, [notice("Поставка ноутбуков", nmck=Decimal("50000"))])
    engine.dispose()
    checked = run(settings_file, "profiles", "check", "0373200000125000001", "404", "--now", "2025-03-03")
    assert checked.exit_code == 1
    assert "не подходит: НМЦК 50 000,00 ₽ меньше минимума 100 000,00 ₽" in checked.stdout
    assert "404: no such notice in the database" in checked.stdout
    first = run(settings_file, "match")
    assert first.exit_code == 0, first.output
    assert "1 notice(s) new or changed since the beginning: 0 new match(es)" in first.stdout


def _bot_profile(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(ProfileRow).values(
                name="bot-laptops",
                spec={"keywords": ["ноутбук"], "chats": [42]},
                origin="db",
                active=True,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    engine.dispose()


def test_profiles_commands_see_bot_made_profiles_with_their_origin(
    settings_file: Path, tmp_path: Path
) -> None:
    _bot_profile(tmp_path)
    listed = run(settings_file, "profiles", "list")
    assert listed.exit_code == 0, listed.output
    assert "3 profile(s)" in listed.stdout
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in listed.stdout.splitlines()
        if line.startswith("│") and line.split("│")[1].strip()
    }
    assert (rows["it"], rows["drainage"], rows["bot-laptops"]) == ("settings", "settings", "bot")
    shown = json.loads(run(settings_file, "profiles", "show", "bot-laptops").stdout)
    assert (shown["origin"], shown["keywords"], shown["chats"]) == ("bot", ["ноутбук"], [42])
    assert json.loads(run(settings_file, "profiles", "show", "it").stdout)["origin"] == "settings"
    checked = run(settings_file, "profiles", "check")
    assert "3 profile(s) OK" in checked.stdout
    tested = run(settings_file, "profiles", "test", "Поставка ноутбуков", "--region", "77", "--json")
    assert tested.exit_code == 0, tested.output
    assert json.loads(tested.stdout)["matched"] == ["bot-laptops"]  # «it» needs an NMCK


def test_without_a_database_the_settings_are_listed_and_no_file_is_created(
    settings_file: Path, tmp_path: Path
) -> None:
    listed = run(settings_file, "profiles", "list")
    assert listed.exit_code == 0, listed.output
    assert "2 profile(s)" in listed.stdout and "settings" in listed.stdout
    assert not (tmp_path / "tw.db").exists()


def test_dates_are_read_in_both_spellings():
    """Issue 17: every date option takes dd.mm.yyyy and yyyy-mm-dd (with an optional time)."""
    from datetime import datetime

    from data.notice import MOSCOW
    from tenderwatch.clikit import parse_moment

    nine = datetime(2025, 3, 10, 9, 0, tzinfo=MOSCOW)
    assert parse_moment("10.03.2025 09:00", "--deadline") == nine
    assert parse_moment("2025-03-10T09:00", "--deadline") == nine
    assert parse_moment("2025-03-10T06:00+00:00", "--deadline") == nine
    assert parse_moment("10.03.2025", "--since") == datetime(2025, 3, 10, 0, 0, tzinfo=MOSCOW)


def test_suggest_shows_minus_words_and_keywords_from_triage_and_changes_nothing(
    settings_file: Path, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    upgrade(engine)
    seed_triage(
        engine,
        {"name": "bot-laptops", "keywords": ["ноутбук", "компьютер*"]},
        [(t, ["skip"]) for t in SKIPPED] + [(t, ["take"]) for t in TAKEN],
        taken_near=[
            ("Поставка планшетов для школы", "планшетов", "ноутбук", 0.73),
            ("Планшеты для библиотеки", "Планшеты", "ноутбук", 0.71),
        ],
    )
    engine.dispose()
    suggested = run(settings_file, "profiles", "suggest", "bot-laptops")
    assert suggested.exit_code == 0, suggested.output
    lines = [" ".join(line.replace("│", " ").split()) for line in suggested.stdout.splitlines()]
    assert lines[0] == "«bot-laptops»: 10 alert(s) decided (7 skipped, 3 taken)"
    assert "ремонт 4 of 7 Ремонт ноутбуков и компьютерной техники" in lines
    # the word that brought the near misses people took, a keyword to consider
    assert "keywords from the 2 near miss(es) people took" in suggested.stdout
    assert "планшет 2 по смыслу близко к «ноутбук» (0,73) Поставка планшетов для школы" in lines
    assert "Nothing was changed: add the words you agree with to /filter in the bot." in lines
    # and the words the vectors put next to its keywords, keywords to consider
    assert "words close in meaning to the keywords (keywords to consider)" in suggested.stdout
    assert any(line.startswith("ноутбук планшет 0.73") for line in lines)
    quiet = run(settings_file, "profiles", "suggest", "it")
    assert quiet.exit_code == 0, quiet.output
    assert "«it»: 0 alert(s) decided (0 skipped, 0 taken)" in quiet.stdout
    assert "no minus-word stands out yet" in quiet.stdout
    unknown = run(settings_file, "profiles", "suggest", "nobody")
    assert unknown.exit_code != 0 and "no profile named 'nobody'" in unknown.output
