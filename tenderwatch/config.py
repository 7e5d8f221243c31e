"""settings.toml + environment -> typed ``Settings``.

Precedence (highest first): environment (``TENDERWATCH_`` prefix, ``__`` for nesting, e.g.
``TENDERWATCH_DATABASE__URL``), then the settings file, then the defaults below. The file is
``settings.toml`` in the working directory unless ``--settings FILE`` or ``TENDERWATCH_SETTINGS``
names another; a missing default file is fine (defaults apply), a missing named file is an error.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import SecretStr
from pydantic import ValidationError
from pydantic import field_validator
from pydantic_settings import BaseSettings
from pydantic_settings import PydanticBaseSettingsSource
from pydantic_settings import SettingsConfigDict

from bidder.profiles import validate_profiles
from data.db import mask_url
from data.models import CONSOLE_CHAT
from data.notice import is_inn

DEFAULT_SETTINGS_FILE = "settings.toml"


class ConfigError(Exception):
    """A settings file or environment value is unusable; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyedValueError(ValueError):
    """A validator's complaint about one key below the field, so the message can name the full key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key
        self.problem = problem


class DatabaseSettings(_Section):
    url: str = "sqlite:///var/tenderwatch.db"
    echo: bool = False
    batch_size: int = Field(500, ge=1, le=100_000)


class CrawlerSettings(_Section):
    base_url: str = "https://zakupki.gov.ru"
    user_agent: str = "Tenderwatch/0.1 (+procurement monitoring; contact: ops@example.invalid)"
    ca_bundle: str | None = None
    concurrent_requests: int = Field(1, ge=1, le=32)
    download_delay: float = Field(3.5, ge=0)
    max_requests: int = Field(3000, ge=0)
    block_pause_minutes: float = Field(60, ge=0)
    proxy: SecretStr = SecretStr("")
    browser_headers: bool = False
    autothrottle: bool = True
    overlap_minutes: int = Field(60, ge=0)
    max_pages: int = Field(50, ge=1)
    error_rate_partial: float = Field(0.05, ge=0, le=1)
    error_rate_failed: float = Field(0.5, ge=0, le=1)
    timeout_seconds: int = Field(1800, ge=10)
    search: dict[str, Any] = Field(default_factory=dict)
    follow_days: int = Field(45, ge=1)
    """``eis_follow`` looks up the matched or taken notices published in this many days."""
    batch_size: int = Field(100, ge=1, le=10_000)
    """Notices per transaction while crawling: small, so a killed crawl loses little (the import's
    batches are ``database.batch_size``)."""
    card223_path: str = Field(
        "/api/mobile/proxy/223/purchase/public/purchase/info/common-info.html", pattern=r"^/\S+$"
    )
    export_url: str = Field(
        "https://int44.zakupki.gov.ru/eis-integration/services/getDocsIP", pattern=r"^https?://\S+$"
    )
    export_token: SecretStr = SecretStr("")
    """The export service's personal token; with one set, ``serve`` also reads whole days from it."""
    export_regions: list[str] = Field(default_factory=list)
    frontier_url: SecretStr = SecretStr("")
    """A Redis URL (``redis://host:6379/0``): the search crawls of every worker configured with it
    share one frontier (docs/scaling.md); empty: each crawl is one process, alone."""
    export_days: int = Field(3, ge=1, le=60)
    """How many whole days back the first ``eis_export`` crawl reads (later crawls: since the mark)."""

    @property
    def export_enabled(self) -> bool:
        """Whether the export service has a token to be asked with (``serve`` then adds ``eis_export``)."""
        return bool(self.export_token.get_secret_value())

    @field_validator("export_regions")
    @classmethod
    def _export_regions_known(cls, value: list[str]) -> list[str]:
        from data.reference.regions import subject_codes

        return subject_codes(value)

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle_exists(cls, value: str | None) -> str | None:
        # Checked here so `config check` catches it, not only the crawl subprocess much later.
        if value and not Path(value).is_file():
            raise ValueError(f"{value!r}: no such PEM file")
        return value or None

    @field_validator("search")
    @classmethod
    def _search_filters_valid(cls, value: dict[str, Any]) -> dict[str, Any]:
        # The crawler's own builder is the one authority on filters; imported here because
        # loading Scrapy costs most of a second and only a configured search needs it.
        from crawler.errors import CrawlerError
        from crawler.spiders.eis import search_filters

        for key in value:  # one key at a time, so the error can name it
            try:
                search_filters({key: value[key]})
            except CrawlerError as exc:
                raise KeyedValueError(key, _without_key_prefix(str(exc), key)) from None
        try:
            search_filters(value)  # rules that span several keys
        except CrawlerError as exc:
            raise ValueError(_without_key_prefix(str(exc), None)) from None
        return value


class TelegramSettings(_Section):
    token: SecretStr = SecretStr("")
    base_url: str = "https://api.telegram.org/bot"
    admins: list[int] = Field(default_factory=list)
    allowed_users: list[int] = Field(default_factory=list)
    allowed_chats: list[int] = Field(default_factory=list)
    default_chats: list[int] = Field(default_factory=list)
    digest_threshold: int = Field(5, ge=2)
    reminder_days: list[int] = Field(default_factory=lambda: [3, 1])
    reminder_hours: list[int] = Field(default_factory=lambda: [3])

    @property
    def alert_chats(self) -> list[int]:
        """Where alerts of a profile without chats go: ``default_chats``; without a token and
        without default chats, the console (``CONSOLE_CHAT``), so a first run shows its alerts."""
        if self.default_chats or self.token.get_secret_value():
            return list(self.default_chats)
        return [CONSOLE_CHAT]


class MatchingSettings(_Section):
    near_misses: bool = True
    """Look for notices whose title means what a profile's keywords say (``bidder.near_miss``)."""
    near_miss_threshold: float = Field(0.55, gt=0, le=1)
    """Cosine of a title word and a keyword at or above which the notice is a near miss."""

    @property
    def threshold(self) -> float | None:
        """The threshold ``run_match`` takes, ``None`` when near misses are off."""
        return self.near_miss_threshold if self.near_misses else None


class SchedulerSettings(_Section):
    crawl_interval_minutes: float = Field(30, gt=0)
    jitter_seconds: int = Field(60, ge=0)
    misfire_grace_seconds: int = Field(300, ge=1)
    reminders_interval_minutes: float = Field(15, gt=0)
    drain_interval_seconds: float = Field(10, gt=0)
    alert_on_first_run: bool = False
    near_miss_digest_hour: int | None = Field(9, ge=0, le=23)
    """Moscow hour of the daily «Возможно, интересно» digest of near misses; None: no digest."""
    sources: list[str] = Field(default_factory=lambda: ["eis"])
    intervals: dict[str, float] = Field(default_factory=lambda: {"eis_follow": 360.0})
    """Minutes between crawls of the sources named here, instead of ``crawl_interval_minutes``."""

    def interval_minutes(self, source: str) -> float:
        return self.intervals.get(source, self.crawl_interval_minutes)


class CompanySettings(_Section):
    inn: str = ""
    """Our own company's INN: looked up in the register of unfair suppliers first by every
    ``eis_rnp`` crawl, and what ``serve`` reports at start. Blank: none."""

    @field_validator("inn")
    @classmethod
    def _inn_digits(cls, value: str) -> str:
        value = value.strip()
        if value and not is_inn(value):
            raise ValueError(f"{value!r} is not an INN (10 digits, 12 for a person)")
        return value


class Settings(BaseSettings):
    """Everything configurable. See settings.toml for what each key means."""

    model_config = SettingsConfigDict(
        env_prefix="TENDERWATCH_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    crawler: CrawlerSettings = Field(default_factory=CrawlerSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    matching: MatchingSettings = Field(default_factory=MatchingSettings)
    company: CompanySettings = Field(default_factory=CompanySettings)
    profiles: list[dict[str, Any]] = Field(default_factory=list)
    settings_file: str | None = Field(default=None, exclude=True)

    @field_validator("profiles")
    @classmethod
    def _profiles_named(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = [str(p.get("name") or "") for p in value]
        if any(not n for n in names):
            raise ValueError("every [[profiles]] entry needs a name")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate profile names: {', '.join(dupes)}")
        _, errors = validate_profiles(value)  # the full rules live with the profile model
        if errors:
            raise ValueError("\n".join(errors))
        return value

    def profiles_without_chats(self) -> list[str]:
        """Active profiles whose alerts have no chat to go to: they set no ``chats`` and
        ``telegram.default_chats`` is empty while a token is set (without one they print to the
        console), so their matches are stored and never sent."""
        if self.telegram.alert_chats:
            return []
        return [str(p["name"]) for p in self.profiles if p.get("active", True) and not p.get("chats")]

    def unrouted_warning(self) -> str | None:
        """The line every command that sends alerts prints when some would go nowhere."""
        names = self.profiles_without_chats()
        if not names:
            return None
        shown = ", ".join(f"«{n}»" for n in names)
        return (
            f"profiles {shown} have no chat to alert: telegram.default_chats is empty and they set no "
            "chats, so their matches are stored but never sent (set telegram.default_chats, or chats "
            "in each profile; the bot's /start in a chat tells its id)"
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init kwargs; the environment must beat them.
        return (env_settings, init_settings)

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data, with secrets replaced by a mask."""
        data = self.model_dump(mode="json")
        token = self.telegram.token.get_secret_value()
        data["telegram"]["token"] = "***" if token else ""
        data["crawler"]["export_token"] = "***" if self.crawler.export_token.get_secret_value() else ""
        data["database"]["url"] = mask_url(self.database.url)
        data["crawler"]["frontier_url"] = mask_url(self.crawler.frontier_url.get_secret_value())
        data["settings_file"] = self.settings_file
        return data


def resolve_settings_path(explicit: str | Path | None) -> tuple[Path, bool]:
    """Which file to read, and whether it was named explicitly (then it must exist)."""
    if explicit:
        return Path(explicit), True
    env = os.environ.get("TENDERWATCH_SETTINGS")
    if env:
        return Path(env), True
    return Path(DEFAULT_SETTINGS_FILE), False


def load_settings(path: str | Path | None = None) -> Settings:
    """Read and validate the settings; raise ``ConfigError`` naming the bad key."""
    file, explicit = resolve_settings_path(path)
    raw: dict[str, Any] = {}
    if file.exists():
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    elif explicit:
        raise ConfigError(f"{file}: settings file not found")
    try:
        settings = Settings(**raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(file, exc)) from None
    settings.settings_file = str(file) if file.exists() else None
    return settings


def _without_key_prefix(message: str, key: str | None) -> str:
    """The crawler's message minus its own ``crawler.search[.key]: `` prefix (the caller adds the key)."""
    for prefix in ([f"crawler.search.{key}: "] if key else []) + ["crawler.search: "]:
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def describe_validation_error(file: Path, exc: ValidationError) -> str:
    """One line per bad key, blaming the environment variable when that is where the value came from."""
    lines: list[str] = []
    from_env: list[str] = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        message = err["msg"]
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, KeyedValueError):
            loc.append(cause.key)
            message = cause.problem
        elif err["type"] == "value_error" and cause is not None:
            message = str(cause)  # our validators' own words, without pydantic's "Value error, "
        variable = environment_source(err["loc"])
        if variable:
            from_env.append(variable)
        key = ".".join(loc) or "(top level)"
        lines.append(f"  {key}: {message}" + (f" (from environment {variable})" if variable else ""))
    if not from_env:
        origin = str(file)
    elif len(from_env) == len(lines):
        origin = f"environment ({', '.join(from_env)})"
    else:
        origin = f"{file} or environment ({', '.join(from_env)})"
    return "\n".join([f"{origin}: invalid settings:", *lines])


def environment_source(loc: tuple[int | str, ...]) -> str | None:
    """The ``TENDERWATCH_...`` variable that set the value at ``loc`` (or a section holding it), if any.

    pydantic-settings matches variable names case-insensitively, so this does too.
    """
    names = {name.upper(): name for name in os.environ}
    parts = [str(p).upper() for p in loc]
    for depth in range(len(parts), 0, -1):
        name = names.get("TENDERWATCH_" + "__".join(parts[:depth]))
        if name is not None:
            return name
    return None
