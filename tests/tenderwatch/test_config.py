"""Settings: file + environment precedence, masking, and error messages that name the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from data.models import CONSOLE_CHAT
from tenderwatch.cli import app
from tenderwatch.config import ConfigError
from tenderwatch.config import load_settings
from tenderwatch.config import mask_url

PROJECT_SETTINGS = Path(__file__).resolve().parents[2] / "settings.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_project_settings_file_is_valid_and_equals_defaults(monkeypatch):
    for var in ("TENDERWATCH_SETTINGS", "TENDERWATCH_DATABASE__URL", "TENDERWATCH_TELEGRAM__TOKEN"):
        monkeypatch.delenv(var, raising=False)
    settings = load_settings(PROJECT_SETTINGS)
    assert settings.database.url == "sqlite:///var/tenderwatch.db"
    assert settings.crawler.base_url == "https://zakupki.gov.ru"
    assert settings.telegram.token.get_secret_value() == ""


def test_environment_beats_file_and_nests(tmp_path, monkeypatch):
    path = write(tmp_path, '[database]\nurl = "sqlite:///file.db"\nbatch_size = 7\n')
    monkeypatch.setenv("TENDERWATCH_DATABASE__URL", "postgresql+psycopg://u:secret@db/tw")
    settings = load_settings(path)
    assert settings.database.url == "postgresql+psycopg://u:secret@db/tw"
    assert settings.database.batch_size == 7  # the rest of the section still comes from the file


def test_settings_path_from_environment(tmp_path, monkeypatch):
    path = write(tmp_path, "[crawler]\nmax_pages = 3\n")
    monkeypatch.setenv("TENDERWATCH_SETTINGS", str(path))
    assert load_settings().crawler.max_pages == 3


def test_missing_named_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="settings file not found"):
        load_settings(tmp_path / "nope.toml")


def test_bad_value_names_the_key(tmp_path):
    path = write(tmp_path, "[crawler]\nconcurrent_requests = 0\n")
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert "crawler.concurrent_requests" in str(exc.value)
    assert "greater than or equal to 1" in str(exc.value)


def test_unknown_key_names_the_key(tmp_path):
    path = write(tmp_path, "[database]\nurll = 'x'\n")
    with pytest.raises(ConfigError, match=r"database\.urll: Extra inputs are not permitted"):
        load_settings(path)


def test_broken_toml_is_reported(tmp_path):
    path = write(tmp_path, "[database\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)


def test_mask_url_hides_password_only():
    assert mask_url("postgresql+psycopg://tw:s3cret@db:5432/tw") == "postgresql+psycopg://tw:***@db:5432/tw"
    assert mask_url("sqlite:///var/tenderwatch.db") == "sqlite:///var/tenderwatch.db"


def test_config_check_masks_secrets(tmp_path, monkeypatch):
    path = write(tmp_path, '[database]\nurl = "postgresql://tw:s3cret@db/tw"\n')
    monkeypatch.setenv("TENDERWATCH_TELEGRAM__TOKEN", "123456:SECRET-TOKEN")
    monkeypatch.setenv("TENDERWATCH_CRAWLER__EXPORT_TOKEN", "EXPORT-SECRET")
    result = CliRunner().invoke(app, ["--settings", str(path), "config", "check"])
    assert result.exit_code == 1, result.output  # the settings are fine; the database does not answer
    assert "postgresql://tw:***@db/tw" in result.output.split("settings OK")[0] + result.output
    assert "SECRET-TOKEN" not in result.output
    assert "EXPORT-SECRET" not in result.output
    assert "s3cret" not in result.output
    payload = json.loads(result.output[result.output.index("{") : result.output.rindex("}") + 1])
    assert payload["telegram"]["token"] == "***"
    assert payload["crawler"]["export_token"] == "***"
    assert payload["database"]["url"] == "postgresql://tw:***@db/tw"


def test_config_check_bad_file_exits_2_with_message(tmp_path):
    path = write(tmp_path, "[scheduler]\ncrawl_interval_minutes = -1\n")
    result = CliRunner().invoke(app, ["--settings", str(path), "config", "check"])
    assert result.exit_code == 2
    assert "scheduler.crawl_interval_minutes" in result.output


def test_unknown_search_filter_is_caught_by_config_check(tmp_path):
    path = write(tmp_path, "[crawler.search]\nbogus = 1\n")
    result = CliRunner().invoke(app, ["--settings", str(path), "config", "check"])
    assert result.exit_code == 2
    assert "crawler.search.bogus: unknown search filter (known: laws," in result.output


def test_bad_search_value_names_its_key(tmp_path):
    path = write(tmp_path, '[crawler.search]\nlaws = ["44-FZ"]\nprice_from = "abc"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert str(exc.value).splitlines()[1:] == [
        "  crawler.search.price_from: 'abc' is not an amount in roubles"
    ]


def test_valid_search_filters_are_kept_as_written(tmp_path):
    path = write(tmp_path, '[crawler.search]\nlaws = ["223-FZ"]\nprice_from = "1 000,50"\n')
    assert load_settings(path).crawler.search == {"laws": ["223-FZ"], "price_from": "1 000,50"}


def test_missing_ca_bundle_is_an_error(tmp_path):
    path = write(tmp_path, f'[crawler]\nca_bundle = "{tmp_path / "nope.pem"}"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert (
        str(exc.value).splitlines()[1] == f"  crawler.ca_bundle: '{tmp_path / 'nope.pem'}': no such PEM file"
    )


def test_existing_ca_bundle_is_accepted(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    path = write(tmp_path, f'[crawler]\nca_bundle = "{bundle}"\n')
    assert load_settings(path).crawler.ca_bundle == str(bundle)


def test_bad_environment_value_names_the_variable_not_the_file(tmp_path, monkeypatch):
    path = write(tmp_path, "[crawler]\nmax_pages = 3\n")
    monkeypatch.setenv("TENDERWATCH_CRAWLER__MAX_PAGES", "abc")
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    header, line = str(exc.value).splitlines()
    assert header == "environment (TENDERWATCH_CRAWLER__MAX_PAGES): invalid settings:"
    assert line.startswith("  crawler.max_pages: Input should be a valid integer")
    assert line.endswith("(from environment TENDERWATCH_CRAWLER__MAX_PAGES)")


def test_file_and_environment_errors_name_both(tmp_path, monkeypatch):
    path = write(tmp_path, "[crawler]\nconcurrent_requests = 0\n")
    monkeypatch.setenv("TENDERWATCH_DATABASE__BATCH_SIZE", "0")
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    lines = str(exc.value).splitlines()
    assert lines[0] == f"{path} or environment (TENDERWATCH_DATABASE__BATCH_SIZE): invalid settings:"
    assert lines[1:] == [
        "  database.batch_size: Input should be greater than or equal to 1"
        " (from environment TENDERWATCH_DATABASE__BATCH_SIZE)",
        "  crawler.concurrent_requests: Input should be greater than or equal to 1",
    ]


PROFILE = '[[profiles]]\nname = "it"\nokpd2 = ["26.20"]\n'


def test_profiles_whose_alerts_go_nowhere_are_an_error_in_config_check(tmp_path, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_TELEGRAM__TOKEN", "123456:SECRET-TOKEN")
    path = write(tmp_path, PROFILE + '[[profiles]]\nname = "paused"\nokpd2 = ["62"]\nactive = false\n')
    result = CliRunner().invoke(app, ["--settings", str(path), "config", "check"])
    assert result.exit_code == 1
    assert "profiles «it» have no chat to alert: telegram.default_chats is empty" in result.output
    assert "«paused»" not in result.output  # a paused profile sends nothing anyway
    routed = write(tmp_path, "[telegram]\ndefault_chats = [-100123]\n\n" + PROFILE)
    assert CliRunner().invoke(app, ["--settings", str(routed), "config", "check"]).exit_code == 0
    own = write(tmp_path, PROFILE + "chats = [-100456]\n")
    assert CliRunner().invoke(app, ["--settings", str(own), "config", "check"]).exit_code == 0


def test_without_a_token_alerts_of_profiles_without_chats_go_to_the_console(monkeypatch):
    for var in ("TENDERWATCH_SETTINGS", "TENDERWATCH_TELEGRAM__DEFAULT_CHATS", "TENDERWATCH_TELEGRAM__TOKEN"):
        monkeypatch.delenv(var, raising=False)
    shipped = load_settings(PROJECT_SETTINGS)
    assert shipped.unrouted_warning() is None and shipped.telegram.alert_chats == [CONSOLE_CHAT]
    monkeypatch.setenv("TENDERWATCH_TELEGRAM__TOKEN", "123456:SECRET-TOKEN")
    with_token = load_settings(PROJECT_SETTINGS)  # a token and still no chat: nowhere to go
    assert with_token.telegram.alert_chats == []
    assert "set telegram.default_chats" in (with_token.unrouted_warning() or "")


def test_match_warns_on_every_run_when_matches_have_no_chat(tmp_path, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_TELEGRAM__TOKEN", "123456:SECRET-TOKEN")
    path = write(tmp_path, f'[database]\nurl = "sqlite:///{tmp_path / "tw.db"}"\n\n' + PROFILE)
    assert CliRunner().invoke(app, ["--settings", str(path), "init"]).exit_code == 0
    result = CliRunner().invoke(app, ["--settings", str(path), "match"])
    assert result.exit_code == 0, result.output
    assert "warning: profiles «it» have no chat to alert" in result.stderr


def test_export_regions_are_region_codes(tmp_path):
    settings = load_settings(write(tmp_path, '[crawler]\nexport_regions = ["77", "5"]\n'))
    assert settings.crawler.export_regions == ["77", "05"]
    assert not settings.crawler.export_enabled
    with pytest.raises(ConfigError, match=r"crawler\.export_regions: .*'00' is no region code"):
        load_settings(write(tmp_path, '[crawler]\nexport_regions = ["00"]\n'))
