"""Fault injection for the replay server: what the real EIS does to a crawler on a bad day.

Grammar of a fault spec (``tenderwatch replay --faults SPEC``, ``start_replay(faults=SPEC)``,
``POST /_replay/faults``), comma-separated ``key=value`` pairs::

    5xx=3,429=2,retry-after=1,slow=1,delay=0.5,truncate=1,cut=0.3,maintenance=2,captcha=1,every=4,only=card

Fault kinds (value N, a whole number: the next N requests get it, then it is used up; value P,
strictly between 0 and 1: each request gets it with probability P, drawn from a seeded RNG, for
ever):

* ``5xx`` (alias ``503``): HTTP 503 with a short HTML body;
* ``429``: HTTP 429 with ``Retry-After: <retry-after>`` (whole seconds, default 1);
* ``403``, ``434``: the site refusing the client (a block; 434 is the EIS's own code for it);
* ``maintenance``: HTTP 200, an HTML «Технические работы» page instead of the document;
* ``captcha``: HTTP 200, an HTML captcha/WAF page instead of the document;
* ``truncate``: HTTP 200 with the normal document cut short at ``cut`` of its length (default
  0.5; Content-Length matches the cut body, so only a parser notices). A results page cut between
  two entries is still a valid page, only shorter: ``cut`` picks such points;
* ``slow``: the normal response, sent after sleeping ``delay`` seconds (default 1.0).

Modifiers: ``skip=K`` lets the first K eligible requests pass (``truncate=3,skip=1,only=list``:
page 1 is whole, page 2 and both its retries are cut); ``every=K`` faults only every K-th
eligible request (the others pass and consume nothing; default 1); ``only=card`` (or
``only=card+json``) limits faults to those path kinds (``list``, ``rss``, ``card``, ``json``,
``page``, ``export`` (the export service's SOAP requests), ``archive`` (its archive links), ``other``);
``seed=S`` seeds the probabilities.
When several kinds are pending, one request gets one fault, in the order the kinds are listed
above. The same keys work as a JSON object (``{"5xx": 3, "only": ["card"]}``).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from typing import Any

from crawler.replay.model import ReplayError

FAULT_KINDS = ("5xx", "429", "403", "434", "maintenance", "captcha", "truncate", "slow")
PATH_KINDS = ("list", "rss", "card", "json", "page", "export", "archive", "register", "other")
_ALIASES = {"503": "5xx", "retry_after": "retry-after"}


class FaultSpecError(ReplayError):
    """A fault spec that cannot be understood; the message names the bad key or value."""


@dataclass(frozen=True)
class FaultPlan:
    """Which faults to inject; counts (>= 1) or probabilities (0 < p < 1) per fault kind."""

    rates: Mapping[str, float] = field(default_factory=dict)
    retry_after: int = 1
    delay: float = 1.0
    cut: float = 0.5
    skip: int = 0
    every: int = 1
    only: frozenset[str] = frozenset()
    seed: int = 0

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        """``"5xx=3,429=2,retry-after=1"`` -> a plan; an empty spec is the plan with no faults."""
        pairs: dict[str, str] = {}
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep or not value.strip():
                raise FaultSpecError(f"fault spec {spec!r}: {part!r} is not key=value")
            pairs[key.strip()] = value.strip()
        return cls.from_mapping(pairs)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> FaultPlan:
        """The same keys as the string grammar, from JSON (values may be numbers or strings)."""
        rates: dict[str, float] = {}
        options: dict[str, Any] = {}
        for raw_key, value in data.items():
            key = _ALIASES.get(str(raw_key).strip().lower(), str(raw_key).strip().lower())
            if key in FAULT_KINDS:
                rate = _rate(key, value)
                if rate:
                    rates[key] = rate
            elif key == "retry-after":
                options["retry_after"] = _whole(key, value, minimum=0)
            elif key == "delay":
                options["delay"] = _seconds(key, value)
            elif key == "cut":
                options["cut"] = _fraction(key, value)
            elif key == "every":
                options["every"] = _whole(key, value, minimum=1)
            elif key == "skip":
                options["skip"] = _whole(key, value, minimum=0)
            elif key == "seed":
                options["seed"] = _whole(key, value, minimum=0)
            elif key == "only":
                options["only"] = _path_kinds(value)
            else:
                known = ", ".join(
                    (*FAULT_KINDS, "retry-after", "delay", "cut", "skip", "every", "only", "seed")
                )
                raise FaultSpecError(f"unknown fault key {raw_key!r} (known: {known})")
        return cls(rates=rates, **options)

    @classmethod
    def coerce(cls, value: FaultPlan | str | Mapping[str, object] | None) -> FaultPlan:
        if value is None:
            return cls()
        if isinstance(value, FaultPlan):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        return cls.from_mapping(value)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            kind: _number(self.rates[kind]) for kind in FAULT_KINDS if kind in self.rates
        }
        defaults = FaultPlan()
        for f in fields(self):
            if f.name == "rates" or getattr(self, f.name) == getattr(defaults, f.name):
                continue
            value = getattr(self, f.name)
            key = "retry-after" if f.name == "retry_after" else f.name
            out[key] = sorted(value) if isinstance(value, frozenset) else value
        return out

    def to_spec(self) -> str:
        """The plan in the string grammar (round-trips through ``parse``)."""
        parts = []
        for key, value in self.to_dict().items():
            text = "+".join(value) if isinstance(value, list) else str(value)
            parts.append(f"{key}={text}")
        return ",".join(parts)


class FaultInjector:
    """The run-time state of a plan: what is left of each count, shared by all request threads."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self.set_plan(plan or FaultPlan())

    def set_plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self.plan = plan
            self._remaining = {k: int(v) for k, v in plan.rates.items() if v >= 1}
            self._eligible = 0
            self._rng = random.Random(plan.seed)

    def remaining(self) -> dict[str, int]:
        with self._lock:
            return dict(self._remaining)

    def draw(self, path_kind: str) -> str | None:
        """The fault this request gets, if any; counts are used up as they are handed out."""
        with self._lock:
            plan = self.plan
            if not plan.rates or (plan.only and path_kind not in plan.only):
                return None
            self._eligible += 1
            if self._eligible <= plan.skip or (self._eligible - plan.skip) % plan.every:
                return None
            for kind in FAULT_KINDS:
                rate = plan.rates.get(kind)
                if rate is None:
                    continue
                if rate >= 1:
                    if self._remaining.get(kind, 0) > 0:
                        self._remaining[kind] -= 1
                        return kind
                elif self._rng.random() < rate:
                    return kind
            return None


def _parsed(key: str, value: object, convert: Callable[[str], float], what: str) -> float:
    try:
        return convert(str(value))
    except ValueError:
        raise FaultSpecError(f"{key}={value!r} is not {what}") from None


def _rate(key: str, value: object) -> float:
    number = _parsed(key, value, float, "a number")
    if number < 0 or number != number:
        raise FaultSpecError(f"{key}={value!r} must be a count (0, 1, 2, …) or a probability in (0, 1)")
    if number >= 1 and number != int(number):
        raise FaultSpecError(f"{key}={value!r}: a count must be whole; use a value below 1 for a probability")
    return number


def _whole(key: str, value: object, *, minimum: int) -> int:
    number = int(_parsed(key, value, int, "a whole number"))
    if number < minimum:
        raise FaultSpecError(f"{key}={value!r} must be {minimum} or more")
    return number


def _seconds(key: str, value: object) -> float:
    number = _parsed(key, value, float, "a number of seconds")
    if not 0 <= number <= 600:
        raise FaultSpecError(f"{key}={value!r} must be between 0 and 600 seconds")
    return number


def _fraction(key: str, value: object) -> float:
    number = _parsed(key, value, float, "a number")
    if not 0 < number < 1:
        raise FaultSpecError(f"{key}={value!r} must be strictly between 0 and 1 (a share of the body)")
    return number


def _path_kinds(value: object) -> frozenset[str]:
    items = (
        value if isinstance(value, list | tuple) else str(value).replace("+", " ").replace("|", " ").split()
    )
    kinds = frozenset(str(item).strip() for item in items if str(item).strip())
    unknown = sorted(kinds - set(PATH_KINDS))
    if unknown:
        raise FaultSpecError(
            f"only={value!r}: unknown path kind {unknown[0]!r} (known: {', '.join(PATH_KINDS)})"
        )
    return kinds


def _number(value: float) -> int | float:
    return int(value) if value >= 1 else value
