"""A simulated market of finished auctions, whose truth is known: the double of the EIS's results
for the backtest's tests and benchmark.

Each segment has its own walk-away distribution (a competitor's deepest discount ~ Beta, with a
mean unlike the assumption model's 25 %) and its own number of bidders. An auction ends the
way a descending auction does: one minimum step (0.5 % of NMCK) below the runner-up's walk-away,
never below the winner's own; one bidder alone gets the contract at NMCK. The results come out as
what the parsers produce from real documents (``Notice`` and ``ProtocolResult`` of an
``epProtocolEF2020Final``), so they are stored through the same ``upsert_notices`` and
``upsert_results`` as imported ones, or written as ``epProtocolEF2020Final`` XML
(``write_protocols``, ``render_results``) for ``tenderwatch import``. ``results_of`` gives the
auctions of a replay snapshot their results (the demo's market history, and what the replay
serves: the export service's protocol XML, the site's results tab and bid list).
"""

from __future__ import annotations

import random
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal
from pathlib import Path

from data.notice import MOSCOW
from data.notice import Notice
from data.results import Bid
from data.results import ProtocolResult

STEP = 0.005
KOPECK = Decimal("0.01")


@dataclass(frozen=True)
class SegmentTruth:
    okpd2: str
    region: str
    alpha: float
    beta: float
    """A competitor's walk-away discount ~ Beta(alpha, beta)."""
    bidders: tuple[int, ...]
    """Drawn uniformly: how many apply to one auction."""


TRUTH = (
    SegmentTruth("26.20.11.110", "77", 1.5, 14.0, (2, 3, 3, 4, 5)),  # laptops in Moscow: mean 9.7 %
    SegmentTruth("43.21.10.290", "50", 4.0, 9.0, (3, 4, 5, 6, 7)),  # electrical works, Moscow region: 31 %
    SegmentTruth("21.20.10.190", "41", 1.2, 20.0, (1, 2, 2, 3)),  # medicines in Kamchatka: 5.7 %
)


SUPPLIERS_PER_SEGMENT = 6
CUSTOMERS_PER_SEGMENT = 2


def supplier_of(truth: SegmentTruth, index: int) -> tuple[str, str]:
    """(INN, name) of the segment's supplier ``index``: registered in the segment's region."""
    return (
        f"{truth.region}{int(truth.okpd2[:2]):02d}{index:06d}",
        f"ООО «{truth.okpd2[:5]}-поставщик {index + 1}»",
    )


def customer_of(truth: SegmentTruth, index: int) -> tuple[str, str]:
    return (
        f"{truth.region}{int(truth.okpd2[:2]):02d}9{index:05d}",
        f"ГКУ «Заказчик {truth.region}-{index + 1}»",
    )


def simulated_auctions(
    *, per_segment: int = 120, seed: int = 1, start: datetime = datetime(2025, 1, 1, 10, tzinfo=MOSCOW)
) -> list[tuple[Notice, ProtocolResult]]:
    """``per_segment`` auctions of every ``TRUTH`` segment, one a day per segment, oldest first."""
    rng = random.Random(seed)
    auctions = []
    for day in range(per_segment):
        for index, truth in enumerate(TRUTH):
            number = f"03{index}73{seed % 100:02d}00000{day:07d}"
            moment = start + timedelta(days=day, minutes=index)
            auctions.append(_auction(rng, truth, number, moment))
    return auctions


def _auction(
    rng: random.Random, truth: SegmentTruth, number: str, moment: datetime
) -> tuple[Notice, ProtocolResult]:
    nmck = Decimal(rng.randrange(500_000_00, 1_000_000_00)) / 100
    protocol = auction_result(rng, truth, number, nmck, moment)
    customer_inn, customer_name = customer_of(truth, rng.randrange(CUSTOMERS_PER_SEGMENT))
    notice = Notice(
        reg_number=number,
        law="44-FZ",
        version=1,
        method_code="EAP20",
        method="Электронный аукцион",
        kind="auction",
        title=f"Поставка по ОКПД2 {truth.okpd2}",
        customer_name=customer_name,
        customer_inn=customer_inn,
        customer_region=truth.region,
        nmck=nmck,
        currency="RUB",
        okpd2=[truth.okpd2],
        published_at=moment - timedelta(days=14),
        updated_at=moment - timedelta(days=14),
        submission_deadline=moment - timedelta(days=4),
        source="market-simulation",
    )
    return notice, protocol


def auction_result(
    rng: random.Random, truth: SegmentTruth, number: str, nmck: Decimal, moment: datetime
) -> ProtocolResult:
    """How one auction of the segment ended (see the module docstring), published at ``moment``."""
    count = rng.choice(truth.bidders)
    walks = sorted((rng.betavariate(truth.alpha, truth.beta) for _ in range(count)), reverse=True)
    who = [
        supplier_of(truth, i)
        for i in rng.sample(range(SUPPLIERS_PER_SEGMENT), min(count, SUPPLIERS_PER_SEGMENT))
    ]
    if len(walks) == 1:
        inn, name = who[0]
        bids = [Bid(app_number="1", participant_inn=inn, participant_name=name, price=nmck, admitted=True)]
        outcome = "single_application"
    else:
        final = min(walks[0], walks[1] + STEP)
        bids = [
            Bid(
                app_number=str(rank),
                participant_inn=who[rank - 1][0] if rank <= len(who) else None,
                participant_name=who[rank - 1][1] if rank <= len(who) else None,
                price=_price(nmck, discount),
                admitted=True,
                rank=rank,
            )
            for rank, discount in enumerate([final, *walks[1:]], start=1)
        ]
        outcome = "winner"
    return ProtocolResult(
        law="44-FZ",
        purchase_number=number,
        document="epProtocolEF2020Final",
        doc_id=str(zlib.crc32(number.encode())),
        version=1,
        published_at=moment,
        outcome=outcome,
        bids=bids,
    )


def _price(nmck: Decimal, discount: float) -> Decimal:
    return (nmck * (1 - Decimal(str(round(discount, 6))))).quantize(KOPECK, rounding=ROUND_HALF_UP)


BIDDER_SETS = ((1, 2, 2, 3), (2, 3, 3, 4, 5), (3, 4, 5, 6, 7), (2, 2, 3, 4))


def truth_for(okpd2: str | None, region: str | None) -> SegmentTruth:
    """The made-up truth of any OKPD2 class: a mean walk-away discount between 4 and 30 % and a
    bidder count set, fixed by the class code (so every run of the demo sees the same market)."""
    code = (okpd2 or "00.00")[:5]
    key = zlib.crc32(code[:2].encode())
    mean, strength = 0.04 + (key % 27) / 100, 8 + key % 7
    return SegmentTruth(
        code, region or "77", mean * strength, (1 - mean) * strength, BIDDER_SETS[key % len(BIDDER_SETS)]
    )


REVIEW_DAYS = 3
"""A protocol comes out this long after the submission deadline (the replay's review time)."""


def results_of(notices: Iterable[Notice], *, now: datetime, seed: int = 1) -> list[ProtocolResult]:
    """The protocols of the 44-FZ auctions among ``notices`` whose review is over by ``now``."""
    rng = random.Random(seed)
    results = []
    for notice in sorted(notices, key=lambda n: n.reg_number):
        deadline = notice.submission_deadline
        if notice.law != "44-FZ" or notice.kind != "auction" or notice.nmck is None or deadline is None:
            continue
        decided = deadline + timedelta(days=REVIEW_DAYS)
        if decided > now or notice.cancelled:
            continue
        truth = truth_for(next(iter(notice.okpd2), None), notice.customer_region)
        results.append(auction_result(rng, truth, notice.reg_number, notice.nmck, decided))
    return results


def protocol_document(protocol: ProtocolResult) -> tuple[str, bytes]:
    """(file name, XML) of a protocol as the EIS export names and writes it (``<type>_<number>_<id>.xml``)."""
    from crawler.replay.render_results import render_protocol

    name = f"{protocol.document}_{protocol.purchase_number}_{protocol.doc_id}.xml"
    return name, render_protocol(protocol, publisher_inn=None, publisher_name=None)


def write_protocols(protocols: Iterable[ProtocolResult], dest: Path) -> Path:
    """A ZIP of the protocols, named as the EIS export names its files."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for protocol in protocols:
            archive.writestr(*protocol_document(protocol))
    return dest
