"""``tenderwatch simulate``: the auction simulator for a stored notice or for a bare NMCK.

With REG_NUMBER the NMCK, law, kind and securities come from the stored notice, and the
competitors are calibrated on the stored results of its market segment (``bidder.market``)
unless ``--competitors N`` asks for the assumption model; without REG_NUMBER, ``--nmck`` (plus
``--law`` and ``--kind``) describes the purchase and the assumption model is used. Output is a
Rich table, or JSON with ``--json`` (money as strings to the kopeck); ``--chart FILE.png`` also
draws the ladder and the win-probability curve.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import typer
from rich.table import Table

from bidder.auction import CompetitorModel
from bidder.auction import SecurityTerms
from bidder.auction import SimulationParams
from bidder.auction import SimulationResult
from bidder.auction import simulate
from bidder.auction.money import as_decimal
from bidder.auction.montecarlo import Strategy
from bidder.auction.securities import DEFAULT_GUARANTEE_DAYS
from bidder.auction.securities import DEFAULT_GUARANTEE_RATE_PERCENT
from bidder.errors import BidderError
from data.formatting import format_money
from data.notice import Notice
from tenderwatch.clikit import console
from tenderwatch.clikit import fail
from tenderwatch.clikit import legend_of
from tenderwatch.clikit import money_axis
from tenderwatch.clikit import png_figure
from tenderwatch.clikit import require_database
from tenderwatch.clikit import settings_of

if TYPE_CHECKING:  # the database stack is imported only when a stored notice is simulated
    from bidder.market import Calibration


class StrategyOption(StrEnum):
    min_step = "min-step"
    aggressive = "aggressive"
    sniper = "sniper"
    mixed = "mixed"


STRATEGIES: dict[StrategyOption, Strategy] = {
    StrategyOption.min_step: "min_step",
    StrategyOption.aggressive: "aggressive",
    StrategyOption.sniper: "sniper",
    StrategyOption.mixed: "mixed",
}


LawOption = StrEnum("LawOption", {"fz44": "44-FZ", "fz223": "223-FZ"})


class KindOption(StrEnum):
    auction = "auction"
    competition = "competition"
    quotation = "quotation"
    single_supplier = "single_supplier"
    other = "other"


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    def simulate_command(
        ctx: typer.Context,
        reg_number: str | None = typer.Argument(None, help="Registry number of a stored notice."),
        cost: str | None = typer.Option(None, "--cost", help="Our full cost, RUB (e.g. 612345.67)."),
        margin: str | None = typer.Option(
            None, "--margin", help="Minimum margin over --cost, PERCENT (10 = 10%; default 0)."
        ),
        floor: str | None = typer.Option(None, "--floor", help="Our lowest price, RUB (instead of --cost)."),
        step: str = typer.Option("0.5", "--step", help="Our step, PERCENT of NMCK (0.5..5 under 44-FZ)."),
        competitors: int | None = typer.Option(
            None,
            "--competitors",
            help="Number of competitors (the assumption model). Default: calibrated on the stored results "
            "of the notice's market segment, else 3.",
        ),
        strategy: StrategyOption = typer.Option(
            StrategyOption.mixed, "--strategy", help="Competitors' bidding."
        ),
        runs: int = typer.Option(100_000, "--runs", help="Monte Carlo auctions to simulate."),
        seed: int | None = typer.Option(None, "--seed", help="Random seed: same seed, same figures."),
        as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
        chart: Path | None = typer.Option(None, "--chart", help="Save a PNG chart to this file."),
        nmck: str | None = typer.Option(None, "--nmck", help="NMCK, RUB, when no notice is stored."),
        law: LawOption | None = typer.Option(None, "--law", help="Law with --nmck (default 44-FZ)."),
        kind: KindOption | None = typer.Option(
            None, "--kind", help="Procurement kind with --nmck (default auction)."
        ),
        contract_security: str | None = typer.Option(
            None,
            "--contract-security",
            help="Contract security, PERCENT of NMCK (with --nmck, or instead of the notice's).",
        ),
        guarantee_rate: str = typer.Option(
            str(DEFAULT_GUARANTEE_RATE_PERCENT),
            "--guarantee-rate",
            help="Bank guarantee fee, PERCENT a year.",
        ),
        guarantee_days: int = typer.Option(
            DEFAULT_GUARANTEE_DAYS, "--guarantee-days", help="Bank guarantee term, days."
        ),
        smp_exempt: bool = typer.Option(
            False,
            "--smp-exempt",
            help="We are an SMP/SONKO with three penalty-free contracts (Art. 96 ч.8.1).",
        ),
        good_faith: bool = typer.Option(
            False, "--good-faith", help="We can prove good faith instead of x1.5 security (Art. 37 ч.2)."
        ),
    ) -> None:
        """Simulate the electronic auction: ladder, anti-dumping, securities, win probability, walk-away."""
        if (reg_number is None) == (nmck is None):
            fail("give either REG_NUMBER of a stored notice or --nmck, not both or neither")
        if reg_number is not None and (law is not None or kind is not None):
            fail("--law and --kind describe a purchase given by --nmck; a stored notice has its own")
        if cost is not None and floor is not None:
            fail("give either --cost (with --margin) or --floor, not both")
        if cost is None and floor is None:
            fail("give --cost (with an optional --margin) or --floor")
        if floor is not None and margin is not None:
            fail("--margin applies to --cost; with --floor the floor already is the lowest price")
        if seed is not None and seed < 0:
            fail(f"--seed {seed}: must be a non-negative integer")
        try:
            overrides: dict[str, Any] = {
                "cost": _amount(cost, "--cost"),
                "margin_percent": as_decimal(margin or "0", "--margin"),
                "floor": _amount(floor, "--floor"),
                "step_percent": as_decimal(step, "--step"),
                "competitors": CompetitorModel(
                    count=3 if competitors is None else competitors, strategy=STRATEGIES[strategy]
                ),
                "runs": runs,
                "seed": seed,
            }
            if reg_number is not None:
                notice, calibration = _stored_notice(ctx, reg_number, STRATEGIES[strategy])
                if competitors is None and calibration is not None:
                    overrides["competitors"] = calibration.competitors
                params = SimulationParams.from_notice(notice, **overrides)
            else:
                assert nmck is not None  # checked above: exactly one of REG_NUMBER and --nmck
                params = SimulationParams(
                    nmck=as_decimal(nmck, "--nmck"),
                    law=(law or LawOption.fz44).value,
                    kind=(kind or KindOption.auction).value,
                    **overrides,
                )
            params = replace(
                params,
                securities=_security_terms(
                    params.securities,
                    contract_security,
                    guarantee_rate,
                    guarantee_days,
                    smp_exempt,
                    good_faith,
                ),
            )
            result = simulate(params)
        except BidderError as exc:
            fail(str(exc))
        if chart is not None:
            _save_chart(result, chart)
        if as_json:
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        else:
            _print_tables(result)
            if chart is not None:
                console.print(f"chart saved to {chart}", highlight=False)


def _security_terms(
    terms: SecurityTerms,
    contract_percent: str | None,
    rate: str,
    days: int,
    smp_exempt: bool,
    good_faith: bool,
) -> SecurityTerms:
    """The notice's (or a bare NMCK's empty) security terms with the command line's facts applied."""
    changes: dict[str, Any] = {
        "guarantee_rate_percent": as_decimal(rate, "--guarantee-rate"),
        "guarantee_days": days,
        "smp_exempt": smp_exempt or terms.smp_exempt,
        "good_faith_proof": good_faith or terms.good_faith_proof,
    }
    if contract_percent is not None:
        changes.update(
            contract_percent=as_decimal(contract_percent, "--contract-security"), contract_amount=None
        )
    return replace(terms, **changes)


def _amount(value: str | None, option: str) -> Decimal | None:
    return None if value is None else as_decimal(value, option)


def _stored_notice(
    ctx: typer.Context, reg_number: str, strategy: Strategy
) -> tuple[Notice, Calibration | None]:
    """The stored notice and the competitor model of its market segment (None: no history to
    calibrate on, the assumption model stays)."""
    # Imported here: only this path needs the database stack.
    from sqlalchemy.exc import SQLAlchemyError

    from bidder.market import calibrate_notice
    from data.db import make_engine
    from data.db import session_scope
    from data.errors import StoreError
    from data.store import get_notice

    settings = settings_of(ctx)
    require_database(settings)
    url = settings.database.url
    try:
        engine = make_engine(url)
        try:
            with session_scope(engine) as session:
                notice = get_notice(session, reg_number=reg_number, law=None)
                if notice is None:
                    fail(f"notice {reg_number} is not stored; crawl it first or give --nmck")
                calibration = calibrate_notice(session, notice, strategy=strategy)
        finally:
            engine.dispose()
    except StoreError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(
            f"cannot read notice {reg_number} from the database "
            f"(run `tenderwatch init`?): {exc.__class__.__name__}"
        )
    return notice, calibration


def _print_tables(result: SimulationResult) -> None:
    data = result.to_dict()
    title = f"Auction simulation {result.reg_number or ''} ({result.law}, {result.kind})".replace("  ", " ")
    summary = Table(title=title, show_header=False)
    summary.add_column("what")
    summary.add_column("value", justify="right")
    rows = [
        ("NMCK", rub(data["nmck"])),
        ("cost / floor", f"{rub(data['cost'])} / {rub(data['floor'])}"),
        ("step", f"{rub(data['step'])} ({data['step_percent']}%)"),
        (
            "steps to floor",
            f"{data['steps_to_floor']} (~{data['ladder_duration_minutes']} min at full timer)",
        ),
        (
            "anti-dumping from",
            f"{rub(data['antidumping_threshold'], 'n/a')} (step {data['antidumping_step']})",
        ),
        ("anti-dumping at floor", _antidumping_text(result)),
        ("contract security at floor", rub(data["contract_security"], "unknown")),
        (
            "extra security / guarantee fee",
            f"{rub(data['extra_security'])} / {rub(data['extra_security_guarantee_cost'])}",
        ),
        (
            "bid security",
            rub(data["bid_security"], None)
            or f"band {rub(data['bid_security_band'][0])} .. {rub(data['bid_security_band'][1])}",
        ),
        ("competitors / strategy", f"{data['competitors']} / {data['strategy']}"),
        ("competitor model", data["prior"]),
        ("runs / seed", f"{data['runs']} / {data['seed']}"),
        ("win probability", f"{result.win_probability:.1%}"),
        ("expected price if we win", rub(data["expected_price"])),
        ("expected profit", rub(data["expected_profit"])),
        (
            "recommended walk-away",
            f"{rub(data['recommended_walk_away'])} (win {result.recommended_win_probability:.1%}, "
            f"profit {rub(data['recommended_expected_profit'])})",
        ),
    ]
    for name, value in rows:
        summary.add_row(name, str(value))
    console.print(summary)
    curve = Table(title="Win probability by walk-away price")
    for column in ("walk-away", "win", "expected profit"):
        curve.add_column(column, justify="right")
    for point in result.curve:
        curve.add_row(
            format_money(point.walk_away), f"{point.win_probability:.1%}", format_money(point.expected_profit)
        )
    console.print(curve)
    for note in result.notes:
        console.print(f"[dim]note: {note}[/]", highlight=False)


def rub(amount: str | None, missing: str | None = "-") -> str | None:
    """A money string of ``to_dict`` (kopeck-exact) as people read it: ``1 874 308,15 ₽``."""
    return format_money(Decimal(amount)) if amount else missing


def _antidumping_text(result: SimulationResult) -> str:
    sec = result.at_floor
    if not sec.antidumping:
        return "no"
    text = "yes: contract security x1.5"
    if sec.good_faith_alternative:
        text += " or proof of good faith"
    return f"{text} (P={result.antidumping_probability:.1%})"


def _save_chart(result: SimulationResult, path: Path) -> None:
    """Ladder with floor and anti-dumping lines on the left, win probability and profit on the right."""
    ladder = result.ladder
    with png_figure(path, columns=2, size=(12, 4.5)) as (left, right):
        left.step(
            [s.index for s in ladder.steps], [s.price for s in ladder.steps], where="post", label="цена шага"
        )
        left.axhline(
            result.floor, color="tab:red", linestyle="--", label=f"наш минимум {format_money(result.floor)}"
        )
        if result.antidumping_threshold is not None:
            left.axhline(
                result.antidumping_threshold,
                color="tab:orange",
                linestyle=":",
                label="порог антидемпинга (75 % НМЦК)",
            )
        minutes = ladder.timer.total_seconds() / 60
        left.set_xlabel(f"шаг ({format_money(ladder.step)}, {minutes:.0f} мин на шаг)")
        left.set_ylabel("цена, ₽")
        money_axis(left.yaxis)
        left.set_title("Лестница цен")
        legend_of(left)
        walk = [p.walk_away for p in result.curve]
        right.plot(walk, [p.win_probability for p in result.curve], marker="o", label="вероятность победы")
        right.set_xlabel("наша минимальная цена, ₽")
        money_axis(right.xaxis)
        right.tick_params(axis="x", rotation=30)
        right.set_ylabel("вероятность победы")
        right.set_ylim(0, 1)
        right.axvline(result.recommended_walk_away, color="tab:green", linestyle="--", label="рекомендуемая")
        if result.antidumping_threshold is not None:
            right.axvline(
                result.antidumping_threshold, color="tab:orange", linestyle=":", label="порог антидемпинга"
            )
        profit_axis = right.twinx()
        profit_axis.plot(
            walk, [p.expected_profit for p in result.curve], color="tab:purple", label="ожидаемая прибыль"
        )
        profit_axis.set_ylabel("ожидаемая прибыль, ₽")
        money_axis(profit_axis.yaxis)
        right.set_title("Вероятность победы и ожидаемая прибыль")
        legend_of(right, profit_axis)
