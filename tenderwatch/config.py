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

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bidder.profiles import validate_profiles

DEFAULT_SETTINGS_FILE = "settings.toml"


class ConfigError(Exception):
    """A settings file or environment value is unusable; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    url: str = "sqlite:///var/tenderwatch.db"
    echo: bool = False
    batch_size: int = Field(500, ge=1, le=100_000)


class CrawlerSettings(_Section):
    base_url: str = "https://zakupki.gov.ru"
    user_agent: str = "Tenderwatch/0.1 (+procurement monitoring; contact: ops@example.invalid)"
    ca_bundle: str | None = None
    concurrent_requests: int = Field(2, ge=1, le=32)
    download_delay: float = Field(1.0, ge=0)
    autothrottle: bool = True
    overlap_minutes: int = Field(60, ge=0)
    max_pages: int = Field(50, ge=1)
    error_rate_partial: float = Field(0.05, ge=0, le=1)
    error_rate_failed: float = Field(0.5, ge=0, le=1)
    timeout_seconds: int = Field(1800, ge=10)
    search: dict[str, Any] = Field(default_factory=dict)


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


class SchedulerSettings(_Section):
    crawl_interval_minutes: float = Field(30, gt=0)
    jitter_seconds: int = Field(60, ge=0)
    misfire_grace_seconds: int = Field(300, ge=1)
    reminders_interval_minutes: float = Field(15, gt=0)
    drain_interval_seconds: float = Field(10, gt=0)
    alert_on_first_run: bool = False
    sources: list[str] = Field(default_factory=lambda: ["eis"])


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
    profiles: list[dict[str, Any]] = Field(default_factory=list)
    settings_file: str | None = Field(default=None, exclude=True)

    @field_validator("profiles")
    @classmethod
    def _profiles_named(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = [p.get("name") for p in value]
        if any(not n for n in names):
            raise ValueError("every [[profiles]] entry needs a name")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate profile names: {', '.join(dupes)}")
        _, errors = validate_profiles(value)  # the full rules live with the profile model
        if errors:
            raise ValueError("\n".join(errors))
        return value

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
        data["database"]["url"] = mask_url(self.database.url)
        data["settings_file"] = self.settings_file
        return data


def mask_url(url: str) -> str:
    """Hide a password in a database URL (``postgresql://u:secret@h/db`` -> ``u:***@h``)."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{scheme}://{creds}@{host}"


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


def describe_validation_error(file: Path, exc: ValidationError) -> str:
    lines = [f"{file}: invalid settings:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {key}: {err['msg']}")
    return "\n".join(lines)
