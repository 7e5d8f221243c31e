"""Subjects of the Russian Federation and how to recognise them in EIS data.

The two-digit *subject code* (the EIS ``orgRegion``, the KLADR/GAR prefix, the first digits of a
tax-office code) is the one region key of the project: every lookup here answers that code as a
string, or ``None`` when the input does not say reliably where something is.

Known traps, all handled from ``regions.csv``:

* OKATO/OKTMO number the subjects differently (Moscow 45, Московская область 46,
  Санкт-Петербург 40); the okrugs inside a subject share its prefix (ХМАО and ЯНАО under
  Тюменская 71, НАО under Архангельская 11), so a few longer prefixes decide them.
* Codes of merged subjects (81 → 59, 84 and 88 → 24, 85 → 38, 80 → 75, 82 → 41) still appear in
  old KLADR codes and INNs: ``legacy_codes`` maps them to the current subject.
* Tax-office codes are not subject codes everywhere: 99xx are inter-regional inspectorates
  (largest taxpayers, Байконур), so INN/KPP "99…" answers ``None``; the tax office 2983 serves
  the Ненецкий АО, so INN/KPP "2983…" answers "83", not "29".
* Free addresses mention streets named after regions («Москворецкая ул.», «ул Московская»):
  names match whole words only, adjective names («Московская») only next to their type word
  («обл», «край», «Респ», «АО»), and a name right after a street word («ул», «пр-т») is a street.

A postal index (six digits) is deliberately not used: its first three digits follow the postal
network, not subject borders, and no verified table is available offline.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from data.reference import ReferenceDataError

REGIONS_CSV = Path(__file__).with_name("regions.csv")

_OKATO_SUBPREFIXES: dict[str, str | None] = {
    "71100": "86",  # OKATO: Ханты-Мансийский АО itself
    "71140": "89",  # OKATO: Ямало-Ненецкий АО itself
    "711": None,  # OKATO settlements of both okrugs: not reliably separable, say nothing
    "718": "86",  # OKTMO: municipalities of Ханты-Мансийский АО
    "719": "89",  # OKTMO: municipalities of Ямало-Ненецкий АО
    "111": "83",  # OKATO: Ненецкий АО
    "118": "83",  # OKTMO: municipalities of Ненецкий АО
}
"""Prefixes longer than two digits that override the subject prefix (longest match wins)."""

_TAX_OFFICE_SUBJECTS: dict[str, str | None] = {"2983": "83"}
"""Four-digit tax-office codes whose first two digits are not the organisation's subject."""

_NO_SUBJECT_TAX_PREFIX = "99"

_TYPE_WORDS: dict[tuple[str, ...], str] = {
    ("область",): "обл",
    ("обл",): "обл",
    ("республика",): "респ",
    ("респ",): "респ",
    ("край",): "край",
    ("автономный", "округ"): "ао",
    ("автономная", "область"): "ао",
    ("автономная", "обл"): "ао",
    ("аобл",): "ао",
    ("ао",): "ао",
    ("город",): "г",
    ("гор",): "г",
    ("г",): "г",
}
"""Spellings of the subject and city type words, folded to one token each."""

_CITY = "г"
_TYPES = frozenset(_TYPE_WORDS.values())
_STREET_WORDS = frozenset(
    "ул улица пр-т пр-кт проспект пр пер переулок ш шоссе наб набережная пл площадь б-р бульвар "
    "проезд туп тупик аллея".split()
)
_RESOLVE_NOISE = frozenset({"федерального", "значения"})
_TOKEN = re.compile(r"[0-9a-zа-я]+(?:-[0-9a-zа-я]+)*")
_PLACE_SEPARATOR = re.compile(r"[;\n]")


@dataclass(frozen=True, slots=True)
class Region:
    """A subject of the Russian Federation as the EIS numbers it."""

    code: str
    name: str
    okato: str | None
    aliases: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    """Main cities used as address hints; ``"г X"`` means X counts only next to a city marker."""
    legacy_codes: tuple[str, ...] = ()
    """Codes of former subjects merged into this one (still seen in old KLADR codes and INNs)."""
    within: str | None = None
    """Subject this one lies inside (the autonomous okrugs of Тюменская and Архангельская)."""


@dataclass(frozen=True, slots=True)
class _Form:
    """One way a subject or city is written: name tokens plus the type word it needs, if any."""

    tokens: tuple[str, ...]
    type_word: str | None
    code: str
    is_city: bool


@dataclass(frozen=True, slots=True)
class _Index:
    regions: tuple[Region, ...]
    by_code: dict[str, Region]
    legacy: dict[str, str]
    okato: dict[str, str]
    keys: dict[str, str]
    forms: dict[str, tuple[_Form, ...]]


# --------------------------------------------------------------------------- text


def _tokens(text: str) -> list[str]:
    """Lower-cased words with type words folded; hyphenated names stay one word.

    A local fold (not bidder.text): data may not import bidder, and place names need only
    case, ё and punctuation folding, never lemmas.
    """
    folded = text.lower().replace("ё", "е")
    words = _TOKEN.findall(folded)
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = tuple(words[i : i + 2])
        if len(pair) == 2 and pair in _TYPE_WORDS:
            out.append(_TYPE_WORDS[pair])
            i += 2
            continue
        out.append(_TYPE_WORDS.get((words[i],), words[i]))
        i += 1
    return out


def _key(text: str) -> str:
    return " ".join(t for t in _tokens(text) if t not in _TYPES and t not in _RESOLVE_NOISE)


def _form(text: str, code: str, *, is_city: bool) -> _Form | None:
    tokens = _tokens(text)
    type_word: str | None = None
    if tokens and tokens[0] in _TYPES:
        type_word = tokens.pop(0)
    elif tokens and tokens[-1] in _TYPES:
        type_word = tokens.pop()
    if not tokens or any(t in _TYPES for t in tokens):
        return None
    if is_city and type_word not in (None, _CITY):
        return None
    if not is_city and type_word == _CITY:
        type_word = None  # «Москва г» is as safe as «Москва»
    return _Form(tuple(tokens), type_word, code, is_city)


def _alternatives(name: str) -> list[str]:
    """«Республика Татарстан (Татарстан)» → itself, «Республика Татарстан», «Татарстан»."""
    out = [name]
    inner = re.findall(r"\(([^)]*)\)", name)
    outer = re.sub(r"\([^)]*\)", " ", name)
    for part in [*re.split(r"\s[—–-]\s", outer), *inner]:
        if part.strip() and part.strip() != name:
            out.append(part.strip())
    return out


# --------------------------------------------------------------------------- loading


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (cell or "").split("|") if p.strip())


def _region_from_row(row: dict[str, str], line: int) -> Region:
    code = (row.get("code") or "").strip()
    name = (row.get("name") or "").strip()
    if not re.fullmatch(r"\d{2}", code) or not name:
        raise ReferenceDataError(f"{REGIONS_CSV.name}:{line}: needs a two-digit code and a name, got {row!r}")
    okato = (row.get("okato") or "").strip() or None
    if okato is not None and not re.fullmatch(r"\d{2}", okato):
        raise ReferenceDataError(f"{REGIONS_CSV.name}:{line}: okato must be two digits, got {okato!r}")
    return Region(
        code=code,
        name=name,
        okato=okato,
        aliases=_split(row.get("aliases")) + _split(row.get("exact_aliases")),
        cities=_split(row.get("cities")),
        legacy_codes=_split(row.get("legacy_codes")),
        within=(row.get("within") or "").strip() or None,
    )


def _add_key(keys: dict[str, str], text: str, code: str) -> None:
    key = _key(text)
    if not key:
        return
    if keys.setdefault(key, code) != code:
        raise ReferenceDataError(
            f"{REGIONS_CSV.name}: {text!r} of subject {code} collides with subject {keys[key]}"
        )


def _build(regions: list[Region], exact: dict[str, set[str]]) -> _Index:
    by_code: dict[str, Region] = {}
    legacy: dict[str, str] = {}
    okato: dict[str, str] = {}
    keys: dict[str, str] = {}
    forms: dict[str, list[_Form]] = {}
    for region in regions:
        if region.code in by_code or region.code in legacy:
            raise ReferenceDataError(f"{REGIONS_CSV.name}: subject code {region.code} listed twice")
        by_code[region.code] = region
        for old in region.legacy_codes:
            legacy[old] = region.code
        if region.okato and (region.within is None or region.okato not in okato):
            okato[region.okato] = region.code
        texts = [*_alternatives(region.name), *region.aliases]
        for text in texts:
            _add_key(keys, text, region.code)
            form = _form(text, region.code, is_city=False)
            if form and text not in exact[region.code]:
                forms.setdefault(form.tokens[0], []).append(form)
        for city in region.cities:
            _add_key(keys, city, region.code)
            form = _form(city, region.code, is_city=True)
            if form is None:
                raise ReferenceDataError(f"{REGIONS_CSV.name}: city {city!r} of {region.code} is unusable")
            forms.setdefault(form.tokens[0], []).append(form)
    for region in by_code.values():
        if region.within is not None and region.within not in by_code:
            raise ReferenceDataError(f"{REGIONS_CSV.name}: {region.code} lies within unknown {region.within}")
    return _Index(
        regions=tuple(sorted(by_code.values(), key=lambda r: r.code)),
        by_code=by_code,
        legacy=legacy,
        okato=okato,
        keys=keys,
        forms={first: tuple(sorted(fs, key=lambda f: -len(f.tokens))) for first, fs in forms.items()},
    )


@cache
def _index() -> _Index:
    regions: list[Region] = []
    exact: dict[str, set[str]] = {}
    with REGIONS_CSV.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            region = _region_from_row(row, line)
            regions.append(region)
            exact[region.code] = set(_split(row.get("exact_aliases")))
    return _build(regions, exact)


# --------------------------------------------------------------------------- lookups


def all_regions() -> list[Region]:
    """Every subject, ordered by code (a fresh list: callers may sort or filter it)."""
    return list(_index().regions)


def region_by_code(code: str) -> Region | None:
    """The subject for a current or legacy two-digit code ("7" is read as "07")."""
    index = _index()
    code = code.strip()
    if not code.isdigit() or len(code) > 2:
        return None
    code = code.zfill(2)
    return index.by_code.get(index.legacy.get(code, code))


def subject_codes(values: Iterable[str]) -> list[str]:
    """Two-digit subject codes as written in settings ("7" is "07"); ``ValueError`` names the first
    value that is no subject code."""
    codes = [str(v).strip().zfill(2) for v in values]
    for code in codes:
        if region_by_code(code) is None:
            raise ValueError(f"{code!r} is no region code (two digits, 01-99)")
    return codes


def region_name(code: str) -> str | None:
    region = region_by_code(code)
    return region.name if region else None


def resolve_region(text_or_code: str) -> Region | None:
    """Read a region the way a user types it in a profile: a code, a name, an alias or a capital.

    The whole input must name one subject («Москва», «г. Москва», «московская область»,
    «Респ. Татарстан», «77», «7»); for free text with streets and houses use
    :func:`region_from_address`.
    """
    text = text_or_code.strip()
    if text.isdigit():
        if len(text) <= 2:
            return region_by_code(text)
        code = region_from_kladr(text) if len(text) >= 11 else None
        return region_by_code(code) if code else None
    code = _index().keys.get(_key(text))
    return region_by_code(code) if code else None


def _digits(code: str | None) -> str | None:
    if code is None:
        return None
    digits = code.strip().replace(" ", "")
    return digits if digits.isdigit() and len(digits) >= 2 else None


def _current(code: str) -> str | None:
    region = region_by_code(code)
    return region.code if region else None


def region_from_kladr(code: str | None) -> str | None:
    """Subject of a KLADR/GAR-style code: its first two digits («25000001000» → "25")."""
    digits = _digits(code)
    return _current(digits[:2]) if digits else None


def region_from_okato(code: str | None) -> str | None:
    """Subject of an OKATO or OKTMO code (same first two digits: «45…» → "77", «46…» → "50")."""
    digits = _digits(code)
    if digits is None:
        return None
    for length in (5, 4, 3):
        if digits[:length] in _OKATO_SUBPREFIXES:
            return _OKATO_SUBPREFIXES[digits[:length]]
    return _index().okato.get(digits[:2])


def _region_from_tax_code(value: str | None, lengths: tuple[int, ...]) -> str | None:
    text = (value or "").strip()
    if len(text) not in lengths or not text[:4].isdigit():
        return None
    if text[:4] in _TAX_OFFICE_SUBJECTS:
        return _TAX_OFFICE_SUBJECTS[text[:4]]
    if text.startswith(_NO_SUBJECT_TAX_PREFIX):
        return None
    return _current(text[:2])


def region_from_kpp(kpp: str | None) -> str | None:
    """Subject of the tax office a KPP names (the organisation's current registration)."""
    text = (kpp or "").strip()
    if not re.fullmatch(r"\d{4}[0-9A-Z]{2}\d{3}", text):
        return None
    return _region_from_tax_code(text, (9,))


def region_from_inn(inn: str | None) -> str | None:
    """Subject of the tax office that issued an INN (where the organisation first registered)."""
    text = (inn or "").strip()
    if not text.isdigit():
        return None
    return _region_from_tax_code(text, (10, 12))


# --------------------------------------------------------------------------- addresses


def _matches(tokens: list[str], start: int, form: _Form) -> bool:
    end = start + len(form.tokens)
    if tuple(tokens[start:end]) != form.tokens:
        return False
    before = tokens[start - 1] if start > 0 else None
    after = tokens[end] if end < len(tokens) else None
    if before in _STREET_WORDS:  # «ул Татарстан», «пр-т Москва»: a street named after the place
        return False
    return form.type_word is None or form.type_word in (before, after)


def _hits(tokens: list[str]) -> list[_Form]:
    hits: list[_Form] = []
    forms = _index().forms
    for start, token in enumerate(tokens):
        for form in forms.get(token, ()):
            if _matches(tokens, start, form):
                hits.append(form)
                break
    return hits


def region_from_address(text: str | None) -> str | None:
    """The subject a free address names, or ``None`` when nothing in it is reliable.

    A subject name beats a city name (a city can share its name with a town elsewhere); among
    subject names the earliest wins, except that an okrug beats the subject it lies in
    («Тюменская обл, Ханты-Мансийский АО, г Сургут» → "86").
    """
    if not text:
        return None
    hits = _hits(_tokens(text))
    subjects = [h for h in hits if not h.is_city] or hits
    if not subjects:
        return None
    by_code = _index().by_code
    found = {h.code for h in subjects}
    parents = {by_code[c].within for c in found}
    for hit in subjects:
        if hit.code not in parents:
            return hit.code
    return subjects[0].code


def regions_from_text(text: str | None) -> list[str]:
    """Subjects of a text listing several places separated by «;» or new lines (order kept)."""
    if not text:
        return []
    return _unique(region_from_address(part) for part in _PLACE_SEPARATOR.split(text))


def _unique(codes: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(c for c in codes if c))


def derive_regions(
    *,
    kladr_codes: Iterable[str] = (),
    okato_codes: Iterable[str] = (),
    addresses: Iterable[str] = (),
    inn: str | None = None,
    kpp: str | None = None,
) -> list[str]:
    """Subjects of a notice's places or organisation, from the most reliable source that has any.

    Precedence, first non-empty tier wins (a less reliable tier would only add noise):

    1. explicit codes: KLADR/GAR codes, then OKATO/OKTMO codes: structured data chosen from
       a classifier, so their first digits are exact;
    2. address text: typed by humans, so only whole names and known cities are trusted;
    3. KPP: the tax office the organisation reports to now (moves with the organisation);
    4. INN: the tax office where the organisation was first registered, possibly years and
       a region ago; the last resort.

    Within a tier every subject found is kept, in input order, without repeats.
    """
    tiers = (
        lambda: [region_from_kladr(c) for c in kladr_codes] + [region_from_okato(c) for c in okato_codes],
        lambda: [code for a in addresses for code in regions_from_text(a)],
        lambda: [region_from_kpp(kpp)],
        lambda: [region_from_inn(inn)],
    )
    for tier in tiers:
        found = _unique(tier())
        if found:
            return found
    return []
