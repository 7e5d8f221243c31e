"""Capability profiles: what the company sells, where it can deliver, and on which terms.

A profile is written by a person in ``settings.toml`` (``[[profiles]]``), so validation is
forgiving about spelling (region names or codes, «44-ФЗ» or "44-FZ", one value or a list) and
strict about meaning: an unknown region, a code that is not on the OKPD2 hierarchy or a keyword
that can never match is refused with a message naming the profile and the key.

The matching semantics are in docs/profiles.md; this module only validates and normalizes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from typing import Literal
from typing import get_args

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError
from pydantic import field_validator
from pydantic import model_validator

from bidder import text
from bidder.auction.money import MAX_RUB
from bidder.errors import BidderError
from bidder.keywords import KeywordPattern
from bidder.keywords import parse_keyword
from bidder.synonyms import parse_line
from data.formatting import KIND_LABELS
from data.notice import Kind
from data.notice import Law
from data.notice import is_inn
from data.reference.regions import resolve_region

Smp = Literal["only", "exclude", "any"]

ANY = "any"

_OKPD2_PREFIX = re.compile(r"^\d{2}(\.\d(\d(\.\d(\d(\.\d{1,3})?)?)?)?)?$")
_KTRU_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{3}-\d{8}$")

_LAW_ALIASES = {"44": "44-FZ", "223": "223-FZ"}
_KIND_ALIASES = {
    **{label: kind for kind, label in KIND_LABELS.items()},  # what the alerts and reports write
    "электронный аукцион": "auction",
    "котировки": "quotation",
    "прочее": "other",
}


class ProfileError(BidderError, ValueError):
    """A profile is unusable; the message names the profile and the key."""


def law_of(value: object) -> str:
    """ "44-FZ" from «44-ФЗ», "44", "44fz"...; ``ValueError`` for anything else."""
    law = _LAW_ALIASES.get(re.sub(r"\D", "", str(value)))
    if law is None:
        raise ValueError(f"unknown law {value!r} (use 44-FZ or 223-FZ)")
    return law


def kind_of(value: object) -> str:
    """The ``Kind`` named by a code or a Russian name (people write «Электронный аукцион»)."""
    allowed = get_args(Kind)
    written = str(value).strip()
    kind = written if written in allowed else _KIND_ALIASES.get(" ".join(text.tokens(written)), written)
    if kind not in allowed:
        raise ValueError(f"unknown kind {value!r} (use one of {', '.join(allowed)})")
    return kind


def code_key(code: str) -> str:
    """The comparable form of an OKPD2/KTRU code: its digits (and the KTRU dash), dots dropped.

    The OKPD2 hierarchy is digit by digit (26 > 26.2 > 26.20 > 26.20.1 > 26.20.15 > ...), so a
    code lies within a prefix exactly when its key starts with the prefix's key. That holds only for
    codes on the hierarchy: «26.201» is refused as a profile prefix by validation and ignored on the
    notice side by the matcher, so it is never compared.
    """
    return code.strip().replace(".", "").replace(" ", "")


def _as_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str | int | Decimal | float):
        return [value]
    return value


def _resolve_regions(value: Any) -> list[str] | None:
    items = [str(v).strip() for v in _as_list(value)]
    if not items or any(v.lower() == ANY for v in items):
        if len(items) > 1:
            raise ValueError(f"'{ANY}' cannot be combined with other regions: {items}")
        return None
    codes: list[str] = []
    for item in items:
        region = resolve_region(item)
        if region is None:
            raise ValueError(
                f"unknown region {item!r} (use a subject code like '77' or a name like 'Москва')"
            )
        if region.code not in codes:
            codes.append(region.code)
    return codes


class Profile(BaseModel):
    """One capability: what we sell (codes, keywords), where, and on which terms.

    Region lists are subject codes after validation; ``None`` means any region. Everything that
    is unset does not restrict.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    active: bool = True
    regions: list[str] | None = None
    customer_regions: list[str] | None = None
    delivery_regions: list[str] | None = None
    okpd2: list[str] = Field(default_factory=list)
    ktru: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    synonyms: bool = True
    """Whether keywords and minus-words are widened by the shipped synonym dictionary."""
    synonyms_extra: list[str] = Field(default_factory=list)
    """The profile's own synonym groups, one per item, in the dictionary's line format."""
    price_min: Decimal | None = Field(default=None, ge=0)
    price_max: Decimal | None = Field(default=None, ge=0)
    laws: list[Law] = Field(default_factory=list)
    kinds: list[Kind] = Field(default_factory=list)
    min_days_left: int | None = Field(default=None, ge=0)
    smp: Smp = "any"
    max_bid_security: Decimal | None = Field(default=None, ge=0)
    customers_include: list[str] = Field(default_factory=list)
    customers_exclude: list[str] = Field(default_factory=list)
    chats: list[int] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the name is empty")
        return value

    @field_validator("regions", "customer_regions", "delivery_regions", mode="before")
    @classmethod
    def _regions(cls, value: Any) -> list[str] | None:
        return _resolve_regions(value)

    @field_validator("okpd2", mode="before")
    @classmethod
    def _okpd2(cls, value: Any) -> list[str]:
        codes = [str(v).strip() for v in _as_list(value)]
        for code in codes:
            if not _OKPD2_PREFIX.match(code):
                raise ValueError(
                    f"{code!r} is not an OKPD2 code or prefix on its hierarchy "
                    "(like 26, 26.2, 26.20, 26.20.1, 26.20.15, 26.20.15.110)"
                )
        return list(dict.fromkeys(codes))

    @field_validator("ktru", mode="before")
    @classmethod
    def _ktru(cls, value: Any) -> list[str]:
        codes = [str(v).strip() for v in _as_list(value)]
        for code in codes:
            if not (_OKPD2_PREFIX.match(code) or _KTRU_CODE.match(code)):
                raise ValueError(
                    f"{code!r} is not a KTRU code (26.20.15.000-00000001) or an OKPD2 prefix of one"
                )
        return list(dict.fromkeys(codes))

    @field_validator("keywords", "exclude", mode="before")
    @classmethod
    def _keywords(cls, value: Any) -> list[str]:
        words = [str(v) for v in _as_list(value)]
        return list(dict.fromkeys(parse_keyword(w).text for w in words))

    @field_validator("synonyms_extra", mode="before")
    @classmethod
    def _synonyms_extra(cls, value: Any) -> list[str]:
        lines = [" ".join(str(v).split()) for v in _as_list(value)]
        for number, line in enumerate(lines, start=1):
            try:
                group = parse_line(line)
            except ValueError as exc:
                raise ValueError(f"item {number}: {exc}") from None
            if group is None:
                raise ValueError(
                    f"item {number} is empty; write a group like «АРМ = автоматизированное рабочее место»"
                )
        return list(dict.fromkeys(lines))

    @field_validator("laws", mode="before")
    @classmethod
    def _laws(cls, value: Any) -> list[str]:
        return list(dict.fromkeys(law_of(item) for item in _as_list(value)))

    @field_validator("kinds", mode="before")
    @classmethod
    def _kinds(cls, value: Any) -> list[str]:
        return list(dict.fromkeys(kind_of(item) for item in _as_list(value)))

    @field_validator("price_min", "price_max", "max_bid_security", mode="before")
    @classmethod
    def _money(cls, value: Any) -> Any:
        if isinstance(value, float):
            # TOML floats are binary; go through their shortest repr so 1500.5 stays 1500.5.
            return Decimal(repr(value))
        return value

    @field_validator("price_min", "price_max", "max_bid_security")
    @classmethod
    def _money_limit(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value > MAX_RUB:
            raise ValueError(f"{value} is too large (at most {MAX_RUB:,.0f} rubles)".replace(",", " "))
        return value

    @field_validator("customers_include", "customers_exclude", mode="before")
    @classmethod
    def _inns(cls, value: Any) -> list[str]:
        inns = [str(v).strip() for v in _as_list(value)]
        for inn in inns:
            if not is_inn(inn):
                raise ValueError(f"{inn!r} is not an INN (10 or 12 digits)")
        return list(dict.fromkeys(inns))

    @field_validator("smp", mode="before")
    @classmethod
    def _smp(cls, value: Any) -> Any:
        return str(value).strip().lower() if value is not None else "any"

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        if not (self.okpd2 or self.ktru or self.keywords):
            raise ValueError("no capability: set okpd2, ktru or keywords, otherwise nothing can match")
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValueError(f"price_min {self.price_min} is greater than price_max {self.price_max}")
        both = sorted(set(self.customers_include) & set(self.customers_exclude))
        if both:
            raise ValueError(f"INN both included and excluded: {', '.join(both)}")
        return self

    @property
    def keyword_patterns(self) -> list[KeywordPattern]:
        return [parse_keyword(k) for k in self.keywords]

    @property
    def exclude_patterns(self) -> list[KeywordPattern]:
        return [parse_keyword(k) for k in self.exclude]


def _describe(raw: Mapping[str, Any], index: int, exc: ValidationError) -> list[str]:
    name = raw.get("name") or f"#{index + 1}"
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(profile)"
        message = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"profile «{name}»: {key}: {message}")
    return lines


def validate_profiles(raw: Iterable[Mapping[str, Any]]) -> tuple[list[Profile], list[str]]:
    """Validate every profile; return the good ones and one message per problem (all, not the first)."""
    profiles: list[Profile] = []
    errors: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors.append(f"profile #{index + 1}: expected a table of keys, got {type(item).__name__}")
            continue
        try:
            profile = Profile.model_validate(dict(item))
        except ValidationError as exc:
            errors.extend(_describe(item, index, exc))
            continue
        if profile.name in seen:
            errors.append(f"profile «{profile.name}»: name: duplicate profile name")
            continue
        seen.add(profile.name)
        profiles.append(profile)
    return profiles, errors


def parse_profiles(raw: Iterable[Mapping[str, Any] | Profile]) -> list[Profile]:
    """Validated profiles, or ``ProfileError`` listing every problem found."""
    items = [p.model_dump() if isinstance(p, Profile) else p for p in raw]
    profiles, errors = validate_profiles(items)
    if errors:
        raise ProfileError("\n".join(errors))
    return profiles


def profile_warnings(profile: Profile) -> list[str]:
    """Things that are valid but probably not what the author meant (for ``profiles check``)."""
    warnings = []
    own = {p.parts for p in profile.keyword_patterns}
    for pattern in profile.exclude_patterns:
        if pattern.parts in own:
            warnings.append(
                f"profile «{profile.name}»: exclude «{pattern.text}» vetoes its own keyword, "
                "so it can match only by code"
            )
    if not profile.active:
        warnings.append(f"profile «{profile.name}»: inactive, it is not matched")
    if not profile.chats:
        warnings.append(f"profile «{profile.name}»: no chats, its alerts go to the default chats")
    return warnings
