"""``tenderwatch profiles list|show|check|test|suggest``: see, validate, try and improve the profiles.

``test`` is how a bid manager tunes a profile without waiting for a real tender: it builds a
made-up notice from the command line and shows, for every profile, why it would or would not match.

All four see the profiles ``match`` uses: with a database, the settings' profiles synced into it
plus the ones made in the bot (each marked with its origin); without one, the settings alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import time
from decimal import Decimal
from decimal import InvalidOperation

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from bidder.auction.money import MAX_RUB
from bidder.matcher import SCORE_CODE
from bidder.matcher import SCORE_KEYWORD
from bidder.matcher import SCORE_PHRASE
from bidder.matcher import CompiledMatcher
from bidder.matcher import Explanation
from bidder.matcher import compile_profiles
from bidder.near_miss import closeness
from bidder.profiles import Profile
from bidder.profiles import ProfileError
from bidder.profiles import kind_of
from bidder.profiles import law_of
from bidder.profiles import parse_profiles
from bidder.profiles import profile_warnings
from bidder.suggest import MIN_SHARE
from bidder.suggest import MIN_SKIPPED
from bidder.suggest import CodeSuggestions
from bidder.suggest import Suggestions
from bidder.suggest import code_suggestions
from bidder.suggest import keyword_neighbours
from bidder.suggest import suggest
from data.db import make_engine
from data.db import session_scope
from data.db import sqlite_file
from data.db import upgrade
from data.errors import StoreError
from data.formatting import format_money
from data.notice import Notice
from data.notice import is_inn
from data.reference.okpd2 import normalize_okpd2
from data.reference.regions import region_name
from data.reference.regions import resolve_region
from data.store import get_notice
from data.store.triage import taken_near_misses
from data.store.triage import triaged_notices
from tenderwatch.clikit import console
from tenderwatch.clikit import err_console
from tenderwatch.clikit import fail
from tenderwatch.clikit import parse_moment
from tenderwatch.clikit import settings_of
from tenderwatch.commands.storage import open_database
from tenderwatch.config import mask_url
from tenderwatch.matching import SourcedProfile
from tenderwatch.matching import profiles_with_origin

DEFAULT_DEADLINE_TIME = time(9, 0)
"""A deadline given as a date means 09:00 Moscow time, the usual EIS submission cut-off."""


def load_profiles(ctx: typer.Context) -> list[Profile]:
    """The validated profiles of the settings; fails cleanly on the CLI."""
    try:
        return parse_profiles(settings_of(ctx).profiles)
    except ProfileError as exc:
        fail(str(exc))


def _database_exists(url: str) -> bool:
    """A SQLite file that is there, or any server database (whether it answers is tried next)."""
    path = sqlite_file(url)
    return path is None or path.exists()


def sourced_profiles(ctx: typer.Context) -> list[SourcedProfile]:
    """The profiles ``match`` uses, marked with their origin; the settings alone without a database.

    A database that exists but cannot be read is reported and the settings are used, so a bid
    manager can still check the file while the server is down.
    """
    settings_profiles = load_profiles(ctx)
    url = settings_of(ctx).database.url
    if not _database_exists(url):
        return [SourcedProfile(p, "settings") for p in settings_profiles]
    try:
        engine = make_engine(url)
        try:
            upgrade(engine)
            sourced, errors = profiles_with_origin(engine, settings_profiles)
        finally:
            engine.dispose()
    except (StoreError, SQLAlchemyError) as exc:
        err_console.print(
            f"[yellow]warning:[/] database {mask_url(url)} unreadable ({exc.__class__.__name__}); "
            "showing the settings' profiles only",
            highlight=False,
        )
        return [SourcedProfile(p, "settings") for p in settings_profiles]
    for error in errors:
        err_console.print(f"[yellow]skipped stored profile:[/] {error}", highlight=False)
    return sourced


def _regions(codes: list[str] | None) -> str:
    if codes is None:
        return "any"
    return ", ".join(f"{c} {region_name(c) or ''}".strip() for c in codes)


def _price(p: Profile) -> str:
    low = format_money(p.price_min) if p.price_min is not None else ""
    high = format_money(p.price_max) if p.price_max is not None else ""
    return f"{low} – {high}" if low or high else "any"


def _print_list(sourced: list[SourcedProfile]) -> None:
    table = Table(title=f"{len(sourced)} profile(s)")
    table.add_column("name", no_wrap=True)
    for column in ("origin", "active", "regions", "codes", "keywords", "NMCK", "laws / kinds", "chats"):
        table.add_column(column, overflow="fold")
    for p, origin in ((s.profile, s.origin) for s in sourced):
        regions = [
            f"{label}: {_regions(codes)}"
            for label, codes in (
                ("any of", p.regions),
                ("customer", p.customer_regions),
                ("delivery", p.delivery_regions),
            )
            if codes is not None
        ]
        keywords = ", ".join(p.keywords) + (f" (minus: {', '.join(p.exclude)})" if p.exclude else "")
        keywords += "" if p.synonyms else "\nsynonym dictionary: off"
        keywords += "".join(f"\nown synonyms: {group}" for group in p.synonyms_extra)
        table.add_row(
            p.name,
            origin,
            "yes" if p.active else "no",
            "\n".join(regions) or "any",
            ", ".join([*p.okpd2, *p.ktru]),
            keywords,
            _price(p),
            " ".join([*p.laws, *p.kinds]) or "any",
            ", ".join(map(str, p.chats)) or "default",
        )
    console.print(table)


def _parse_money(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        fail(f"{option} {value!r}: not an amount of rubles (like 1500000 or 1500000,50)")
    if not amount.is_finite() or amount < 0:
        fail(f"{option} {value!r}: must be a non-negative amount")
    if amount > MAX_RUB:
        fail(f"{option} {value!r}: too large (at most {MAX_RUB:,.0f} rubles)".replace(",", " "))
    return amount


def _codes(values: list[str], option: str, *, ktru: bool) -> list[str]:
    """The notice's codes, refused unless on the OKPD2 hierarchy (a KTRU code also needs its position)."""
    for value in values:
        if normalize_okpd2(value) is None or (ktru and "-" not in value):
            shape = "26.20.15.000-00000001" if ktru else "26.20.11.110"
            fail(f"{option} {value!r}: not a valid {option[2:].upper()} code (like {shape})")
    return values


def _inn(value: str | None) -> str | None:
    if value is not None and not is_inn(value):
        fail(f"--inn {value!r}: not an INN (10 or 12 digits)")
    return value.strip() if value else None


def _region_code(value: str, option: str) -> str:
    region = resolve_region(value)
    if region is None:
        fail(f"{option} {value!r}: unknown region (use a subject code like 77 or a name like Москва)")
    return region.code


def _near_miss_report(explained: dict[str, Explanation]) -> dict[str, object]:
    matched = sorted(
        (e for e in explained.values() if e.matched),
        key=lambda e: (-e.score, e.profile),
    )
    return {
        "matched": [e.profile for e in matched],
        "reasons": {e.profile: list(e.reasons) for e in matched},
        "near_misses": {name: list(e.failures) for name, e in explained.items() if not e.matched},
    }


SCORE_NOTE = (
    f"score: the weight of what matched (an OKPD2/KTRU code {SCORE_CODE:.2f}, a phrase {SCORE_PHRASE:.2f}, "
    f"a keyword {SCORE_KEYWORD:.2f}, added up); it only orders the profiles when several match"
)


def _print_explanations(explained: dict[str, Explanation]) -> None:
    if any(e.matched for e in explained.values()):
        console.print(SCORE_NOTE, style="dim", highlight=False, soft_wrap=True)
    for e in sorted(explained.values(), key=lambda e: (not e.matched, -e.score, e.profile)):
        if e.matched:
            console.print(f"[green]✓ {e.profile}[/] (score {e.score:.2f})", highlight=False)
            for reason in e.reasons:
                console.print(f"    {reason}", markup=False, highlight=False, soft_wrap=True)
        else:
            console.print(f"[red]✗ {e.profile}[/]", highlight=False)
            for failure in e.failures:
                console.print(f"    не подходит: {failure}", markup=False, highlight=False, soft_wrap=True)
            for reason in e.reasons:
                console.print(f"    подходит: {reason}", markup=False, highlight=False, soft_wrap=True)


def _explain_stored(
    ctx: typer.Context, matcher: CompiledMatcher, reg_numbers: list[str], now: datetime
) -> int:
    """Explain stored notices by registry number; the number of registry numbers not found."""
    engine, _ = open_database(settings_of(ctx))
    missing = 0
    try:
        with session_scope(engine) as session:
            for reg in reg_numbers:
                try:
                    notice = get_notice(session, reg_number=reg)
                except StoreError as exc:
                    console.print(f"[red]{reg}: {exc}[/]", highlight=False)
                    missing += 1
                    continue
                if notice is None:
                    console.print(f"[red]{reg}: no such notice in the database[/]", highlight=False)
                    missing += 1
                    continue
                console.rule(f"{notice.law} {notice.reg_number}: {notice.title[:80]}")
                _print_explanations(matcher.explain(notice, now=now))
    finally:
        engine.dispose()
    return missing


def register(app: typer.Typer) -> None:
    profiles_app = typer.Typer(help="See, validate and try the capability profiles.", no_args_is_help=True)

    @profiles_app.command("list")
    def list_(ctx: typer.Context) -> None:
        """All profiles (settings and bot-made), one row each."""
        _print_list(sourced_profiles(ctx))

    @profiles_app.command("show")
    def show(ctx: typer.Context, name: str = typer.Argument(..., help="Profile name.")) -> None:
        """One profile as validated JSON (regions as subject codes, money as strings)."""
        profiles = {s.profile.name: s for s in sourced_profiles(ctx)}
        if name not in profiles:
            fail(f"no profile named {name!r} (have: {', '.join(profiles) or 'none'})")
        data = {"origin": profiles[name].origin, **profiles[name].profile.model_dump(mode="json")}
        console.print_json(json.dumps(data, ensure_ascii=False))

    @profiles_app.command("check")
    def check(
        ctx: typer.Context,
        reg_numbers: list[str] = typer.Argument(None, help="Registry numbers of stored notices to explain."),
        now: str | None = typer.Option(None, "--now", help="Clock for days-left (ISO); default: now."),
    ) -> None:
        """Validate the profiles; with registry numbers, explain each stored notice against every profile.

        Exit code 0 when everything is fine, 1 when a registry number is not stored.
        """
        profiles = [s.profile for s in sourced_profiles(ctx)]
        for warning in (w for p in profiles for w in profile_warnings(p)):
            console.print(f"[yellow]warning:[/] {warning}", highlight=False)
        console.print(f"[green]{len(profiles)} profile(s) OK[/]", highlight=False)
        if reg_numbers:
            clock = parse_moment(now, "--now", day_time=DEFAULT_DEADLINE_TIME) or datetime.now(UTC)
            missing = _explain_stored(ctx, compile_profiles(profiles), reg_numbers, clock)
            raise typer.Exit(1 if missing else 0)

    @profiles_app.command("test")
    def test(
        ctx: typer.Context,
        title: str = typer.Argument(..., help="The made-up notice's title (what is bought)."),
        okpd2: list[str] = typer.Option([], "--okpd2", help="OKPD2 code of the notice (repeatable)."),
        ktru: list[str] = typer.Option([], "--ktru", help="KTRU code of the notice (repeatable)."),
        region: str | None = typer.Option(None, "--region", help="Customer region (code or name)."),
        delivery: list[str] = typer.Option(
            [], "--delivery-region", help="Delivery region (repeatable; default: the customer's)."
        ),
        nmck: str | None = typer.Option(None, "--nmck", help="NMCK in rubles."),
        law: str = typer.Option("44-FZ", "--law", help="44-FZ or 223-FZ."),
        kind: str = typer.Option("auction", "--kind", help="auction, competition, quotation, ..."),
        deadline: str | None = typer.Option(
            None,
            "--deadline",
            help="Submission deadline, dd.mm.yyyy or yyyy-mm-dd (a bare day: 09:00 Moscow).",
        ),
        smp: bool = typer.Option(False, "--smp", help="The purchase is only for SMP."),
        bid_security: str | None = typer.Option(None, "--bid-security", help="Bid security in rubles."),
        inn: str | None = typer.Option(None, "--inn", help="Customer INN."),
        now: str | None = typer.Option(None, "--now", help="Clock for days-left (ISO); default: now."),
        as_json: bool = typer.Option(False, "--json", help="Print matched/reasons/near_misses as JSON."),
    ) -> None:
        """Which profiles would match a made-up notice, and why or why not."""
        profiles = [s.profile for s in sourced_profiles(ctx)]
        try:
            notice = Notice(
                reg_number="test",
                law=_option(law_of, law, "--law"),
                kind=_option(kind_of, kind, "--kind"),
                title=title,
                okpd2=_codes(okpd2, "--okpd2", ktru=False),
                ktru=_codes(ktru, "--ktru", ktru=True),
                customer_region=_region_code(region, "--region") if region else None,
                delivery_regions=[_region_code(d, "--delivery-region") for d in delivery],
                customer_inn=_inn(inn),
                nmck=_parse_money(nmck, "--nmck"),
                submission_deadline=parse_moment(deadline, "--deadline", day_time=DEFAULT_DEADLINE_TIME),
                smp_only=smp,
                bid_security=_parse_money(bid_security, "--bid-security"),
                source="cli-test",
            )
        except ValueError as exc:
            fail(f"the made-up notice is invalid: {exc}")
        clock = parse_moment(now, "--now", day_time=DEFAULT_DEADLINE_TIME) or datetime.now(UTC)
        explained = compile_profiles(profiles).explain(notice, now=clock)
        if as_json:
            typer.echo(json.dumps(_near_miss_report(explained), ensure_ascii=False, indent=2))
        else:
            _print_explanations(explained)

    @profiles_app.command("suggest")
    def suggest_(
        ctx: typer.Context,
        name: str = typer.Argument(..., help="Profile name."),
        limit: int = typer.Option(10, "--limit", min=1, help="At most this many minus-words."),
    ) -> None:
        """Minus-words learnt from how people triaged the profile's alerts, keywords from the near
        misses they took, words close in meaning to its keywords and OKPD2 codes; nothing is changed.

        A minus-word is in at least 3 skipped alerts (and a fifth of them) and in none that someone took.
        A keyword is the word that brought a near miss («возможно, интересно») somebody took.
        """
        sourced = {s.profile.name: s for s in sourced_profiles(ctx)}
        if name not in sourced:
            fail(f"no profile named {name!r} (have: {', '.join(sourced) or 'none'})")
        engine, _ = open_database(settings_of(ctx))
        try:
            with session_scope(engine) as session:
                triaged = triaged_notices(session, profile=name)
                taken_near = taken_near_misses(session, profile=name)
        finally:
            engine.dispose()
        found = suggest(sourced[name].profile, triaged, taken_near=taken_near, limit=limit)
        _print_suggestions(found, sourced[name].origin)
        _print_neighbours(keyword_neighbours(sourced[name].profile))
        _print_codes(code_suggestions(sourced[name].profile))

    app.add_typer(profiles_app, name="profiles")


def _print_codes(found: CodeSuggestions) -> None:
    if found.codes_for_keywords:
        table = Table(title="OKPD2 subclasses and groups whose names carry a keyword (prefixes to consider)")
        table.add_column("keyword", no_wrap=True)
        table.add_column("OKPD2", overflow="fold")
        for keyword, codes in found.codes_for_keywords:
            table.add_row(keyword, "\n".join(f"{code} {name}" for code, name in codes))
        console.print(table)
    if found.words_for_codes:
        table = Table(title="words of the names of the profile's codes (keywords to consider)")
        table.add_column("okpd2", no_wrap=True)
        table.add_column("read from", overflow="fold")
        table.add_column("words", overflow="fold")
        for prefix, source, words in found.words_for_codes:
            table.add_row(prefix, source, ", ".join(words))
        console.print(table)


def _print_neighbours(neighbours: list[tuple[str, list[tuple[str, float]]]]) -> None:
    if not neighbours:
        return
    table = Table(title="words close in meaning to the keywords (keywords to consider)")
    table.add_column("keyword", no_wrap=True)
    table.add_column("close words (cosine)", overflow="fold")
    for keyword, near in neighbours:
        table.add_row(keyword, ", ".join(f"{word} {sim:.2f}" for word, sim in near))
    console.print(table)


def _print_suggestions(found: Suggestions, origin: str) -> None:
    console.print(
        f"«{found.profile}»: {found.skipped + found.taken} alert(s) decided "
        f"({found.skipped} skipped, {found.taken} taken)",
        highlight=False,
    )
    if found.minus_words:
        table = Table(title="minus-words the triage suggests")
        table.add_column("word", no_wrap=True)
        table.add_column("in skipped alerts", justify="right")
        table.add_column("for example", overflow="fold")
        for word in found.minus_words:
            table.add_row(word.word, f"{word.skipped} of {found.skipped}", "\n".join(word.examples))
        console.print(table)
    else:
        console.print(
            f"no minus-word stands out yet: a word must be in at least {MIN_SKIPPED} skipped alerts "
            f"(and {MIN_SHARE:.0%} of them) and in none that someone took",
            highlight=False,
        )
    if found.keywords:
        table = Table(title=f"keywords from the {found.near_misses_taken} near miss(es) people took")
        table.add_column("word", no_wrap=True)
        table.add_column("taken", justify="right")
        table.add_column("close to", overflow="fold")
        table.add_column("for example", overflow="fold")
        for keyword in found.keywords:
            close = closeness(keyword.close_to, keyword.similarity)
            table.add_row(keyword.word, str(keyword.taken), close, "\n".join(keyword.examples))
        console.print(table)
    if not (found.minus_words or found.keywords):
        return
    keys = "`keywords` or `exclude`" if found.keywords else "`exclude`"
    where = "/filter in the bot" if origin == "bot" else f"{keys} of the profile in settings.toml"
    console.print(f"Nothing was changed: add the words you agree with to {where}.", highlight=False)


def _option(convert: Callable[[str], str], value: str, option: str) -> str:
    try:
        return convert(value)
    except ValueError as exc:
        fail(f"{option}: {exc}")
