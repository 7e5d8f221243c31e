"""Compiled matcher vs naive loops over every profile, on generated realistic profiles and notices.

Run: ``.venv/bin/python benchmarks/bench_match.py`` (quick: 1,000 profiles x 10,000 notices) or
``--full`` (1,000 x 100,000, the figure the issue asks for). Everything runs in this process on
the same data with the same rule code. Two baselines, both timed on a subset of the notices and
extrapolated (the output says by how much):

* naive A: every profile through ``bidder.matcher.passes`` (boolean, cheapest test first,
  stops at the first failure): the strongest loop without an index;
* naive B: every profile through ``bidder.matcher.evaluate`` (all rules, reasons and near
  misses), which is what ``explain`` does.

CPU time is printed next to wall time: on a shared machine it is the steadier figure, and each
contender runs ``--rounds`` times (3) and reports its least. The first analysis of every notice's
text (lemmatizing each new title and position name) is timed on its own before them: it is the
same for every matcher, and a match run pays it once per new text.

The generator builds titles the way EIS customers write them («Поставка портативных компьютеров для
нужд ...»), with inflected words (pymorphy3), item names, OKPD2 codes from the same product family,
regions skewed to Moscow and the big subjects, log-uniform NMCK and realistic law/method shares.
Profiles pick one or two product families and restrict region, price, law, method and deadline
the way a sales team would.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bidder.matcher import analyze
from bidder.matcher import compile_profiles
from bidder.matcher import evaluate
from bidder.matcher import match_naive
from bidder.near_miss import NearMissFinder
from bidder.profiles import Profile
from bidder.profiles import parse_profiles
from bidder.synonyms import NO_SYNONYMS
from data.notice import Notice
from data.notice import NoticeItem

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

# (OKPD2 codes, nouns, adjectives): what one product or service family is called in notices.
FAMILIES: list[tuple[list[str], list[str], list[str]]] = [
    (
        ["26.20.11.110", "26.20.15.000"],
        ["ноутбук", "компьютер", "моноблок", "планшет"],
        ["портативный", "персональный"],
    ),
    (["26.20.18.000", "26.20.16.120"], ["принтер", "мфу", "сканер"], ["лазерный", "цветной", "струйный"]),
    (["26.20.40.110", "26.20.21.110"], ["картридж", "накопитель", "диск"], ["оригинальный", "твердотельный"]),
    (
        ["26.30.11.190", "26.30.30.000"],
        ["коммутатор", "маршрутизатор", "телефон"],
        ["сетевой", "управляемый"],
    ),
    (
        ["26.40.20.110", "26.40.33.110"],
        ["телевизор", "проектор", "видеокамера"],
        ["цифровой", "мультимедийный"],
    ),
    (["27.40.39.110", "27.40.25.123"], ["светильник", "прожектор", "лампа"], ["светодиодный", "уличный"]),
    (
        ["27.11.31.000", "27.12.10.110"],
        ["генератор", "трансформатор", "выключатель"],
        ["дизельный", "силовой"],
    ),
    (
        ["28.25.12.130", "28.25.14.110"],
        ["кондиционер", "вентилятор", "фильтр"],
        ["настенный", "промышленный"],
    ),
    (
        ["29.10.22.000", "29.10.30.110"],
        ["автомобиль", "автобус", "микроавтобус"],
        ["легковой", "пассажирский"],
    ),
    (["45.20.11.000", "45.20.30.000"], ["техобслуживание", "шиномонтаж"], ["автомобильный"]),
    (
        ["31.01.11.150", "31.01.12.160"],
        ["стол", "стул", "шкаф", "кресло"],
        ["офисный", "металлический", "ученический"],
    ),
    (["17.12.14.110", "17.23.13.191"], ["бумага", "блокнот", "тетрадь", "конверт"], ["офисный", "писчий"]),
    (["32.99.12.120", "22.29.25.000"], ["ручка", "карандаш", "маркер"], ["шариковый", "канцелярский"]),
    (["21.20.10.181", "21.20.10.131"], ["препарат", "раствор", "вакцина"], ["лекарственный", "инъекционный"]),
    (
        ["32.50.13.110", "32.50.50.190"],
        ["шприц", "катетер", "перчатка"],
        ["одноразовый", "медицинский", "стерильный"],
    ),
    (
        ["26.60.12.110", "26.60.11.111"],
        ["аппарат", "томограф", "монитор"],
        ["ультразвуковой", "диагностический"],
    ),
    (
        ["20.59.52.199", "21.20.23.110"],
        ["реагент", "реактив", "тест-система"],
        ["диагностический", "лабораторный"],
    ),
    (["10.51.11.000", "10.71.11.110"], ["молоко", "хлеб", "масло"], ["пастеризованный", "сливочный"]),
    (
        ["10.13.14.000", "10.12.10.110"],
        ["колбаса", "мясо", "курица"],
        ["вареный", "замороженный", "охлажденный"],
    ),
    (["01.13.51.120", "01.24.10.000"], ["овощ", "фрукт", "картофель", "яблоко"], ["свежий"]),
    (
        ["20.41.32.110", "20.41.31.130"],
        ["средство", "мыло", "порошок"],
        ["моющий", "хозяйственный", "жидкий"],
    ),
    (["22.22.11.000", "22.22.12.000"], ["мешок", "пакет", "пленка"], ["полиэтиленовый", "мусорный"]),
    (
        ["23.61.11.000", "23.63.10.000"],
        ["плита", "бетон", "кирпич"],
        ["тротуарный", "бетонный", "облицовочный"],
    ),
    (["24.10.31.110", "24.20.13.110"], ["труба", "лист", "арматура"], ["стальной", "профильный"]),
    (
        ["42.11.20.000", "42.11.10.120"],
        ["дорога", "покрытие", "тротуар"],
        ["автомобильный", "асфальтобетонный"],
    ),
    (["43.39.11.000", "43.34.10.000"], ["ремонт", "отделка", "покраска"], ["капитальный", "косметический"]),
    (["43.22.12.140", "43.21.10.140"], ["монтаж", "система", "сеть"], ["инженерный", "вентиляционный"]),
    (
        ["71.12.12.000", "71.11.22.000"],
        ["проектирование", "документация", "изыскание"],
        ["проектный", "инженерный"],
    ),
    (["80.10.12.000", "80.20.10.000"], ["охрана", "сигнализация"], ["физический", "пультовый", "охранный"]),
    (["81.21.10.000", "81.29.12.000"], ["уборка", "клининг", "дезинфекция"], ["влажный", "профессиональный"]),
    (["56.29.20.000", "56.21.19.000"], ["питание", "обед"], ["горячий", "школьный", "диетический"]),
    (
        ["62.01.29.000", "62.02.30.000"],
        ["программа", "лицензия", "сопровождение"],
        ["программный", "антивирусный"],
    ),
    (["63.11.13.000", "61.10.30.000"], ["хостинг", "связь", "интернет"], ["облачный", "широкополосный"]),
    (["82.19.11.000", "18.12.19.000"], ["копирование", "печать", "полиграфия"], ["типографский", "цифровой"]),
    (
        ["85.42.19.000", "85.41.91.000"],
        ["обучение", "курс", "повышение"],
        ["дистанционный", "профессиональный"],
    ),
    (
        ["14.12.30.160", "15.20.32.120"],
        ["костюм", "куртка", "обувь"],
        ["защитный", "форменный", "специальный"],
    ),
    (["19.20.21.100", "19.20.21.300"], ["бензин", "топливо", "дизель"], ["автомобильный", "дизельный"]),
    (["35.11.10.110", "35.30.11.111"], ["электроэнергия", "теплоэнергия"], ["электрический", "тепловой"]),
    (["49.39.11.000", "49.41.19.000"], ["перевозка", "грузоперевозка"], ["пассажирский", "грузовой"]),
    (["33.12.19.000", "33.13.12.000"], ["оборудование", "установка"], ["медицинский", "технологический"]),
]
TEMPLATES = [
    "Поставка {} для нужд учреждения",
    "Закупка {}",
    "Приобретение {} в 2025 году",
    "Оказание услуг: {}",
]
ABBREVIATED = {
    "26.20.11.110": "Поставка ПК для нужд учреждения",
    "26.20.18.000": "Закупка МФУ и расходных материалов",
    "45.20.11.000": "ТО служебных автомобилей",
    "19.20.21.100": "Поставка ГСМ",
}
"""Titles written with an abbreviation (every 20th notice of these families): what only the
synonym dictionary matches by words (the codes may still match)."""
VETO = ["ремонт", "аренда", "обслуживание", "б/у", "утилизация"]
BIG_REGIONS = ["77", "50", "78", "47", "16", "23", "66", "54", "02", "52"]
ALL_REGIONS = [f"{n:02d}" for n in range(1, 90) if n not in (80, 81, 82, 84, 85, 88)]
REGION_NAMES = {"77": "Москва", "50": "Московская область", "78": "Санкт-Петербург", "16": "Татарстан"}
LAWS = ["44-FZ"] * 85 + ["223-FZ"] * 15
KINDS = ["auction"] * 60 + ["quotation"] * 20 + ["competition"] * 8 + ["single_supplier"] * 7 + ["other"] * 5


class Forms:
    """Inflected forms from pymorphy3, computed once per word (the generator, not the matcher)."""

    def __init__(self) -> None:
        import pymorphy3

        self._morph = pymorphy3.MorphAnalyzer()
        self._cache: dict[tuple[str, frozenset[str]], str] = {}

    def inflect(self, word: str, grammemes: set[str]) -> str:
        key = (word, frozenset(grammemes))
        if key not in self._cache:
            parse = self._morph.parse(word)[0]
            form = parse.inflect(grammemes)
            self._cache[key] = form.word if form else word
        return self._cache[key]

    def phrase(self, adj: str, noun: str, case: str, number: str) -> str:
        noun_form = self.inflect(noun, {case, number})
        gender = self._morph.parse(noun)[0].tag.gender or "masc"
        adj_tags = {case, number} if number == "plur" else {case, number, gender}
        return f"{self.inflect(adj, adj_tags)} {noun_form}"


def region(rng: random.Random) -> str:
    return rng.choice(BIG_REGIONS) if rng.random() < 0.55 else rng.choice(ALL_REGIONS)


def make_notice(rng: random.Random, forms: Forms, n: int) -> Notice:
    codes, nouns, adjs = rng.choice(FAMILIES)
    noun, adj = rng.choice(nouns), rng.choice(adjs)
    title = rng.choice(TEMPLATES).format(forms.phrase(adj, noun, "gent", "plur"))
    if rng.random() < 0.08:
        title = f"{rng.choice(VETO).capitalize()} и {title.lower()}"
    if n % 20 == 0 and codes[0] in ABBREVIATED:
        title = ABBREVIATED[codes[0]]
    items = [
        NoticeItem(
            name=f"{forms.inflect(it_noun, {'nomn', 'sing'}).capitalize()} {rng.choice(adjs)}",
            okpd2=rng.choice(codes) if rng.random() < 0.9 else None,
        )
        for it_noun in rng.sample(nouns, k=min(len(nouns), rng.randint(1, 3)))
    ]
    customer = region(rng)
    roll = rng.random()
    delivery = [customer] if roll < 0.7 else [] if roll < 0.9 else [region(rng)]
    nmck = Decimal(round(10 ** rng.uniform(4.7, 7.7), 2)).quantize(Decimal("0.01"))
    return Notice(
        reg_number=f"03732000{n:011d}",
        law=rng.choice(LAWS),
        kind=rng.choice(KINDS),
        title=title,
        customer_region=customer,
        customer_inn=f"77{rng.randint(10_000_000, 99_999_999)}",
        delivery_regions=delivery,
        nmck=nmck,
        okpd2=sorted({i.okpd2 for i in items if i.okpd2}),
        items=items,
        submission_deadline=NOW + timedelta(hours=rng.randint(-24, 24 * 30)),
        smp_only=rng.random() < 0.4,
        bid_security=(nmck / 100).quantize(Decimal("0.01")) if nmck > 1_000_000 else None,
    )


def _code_prefix(rng: random.Random, code: str) -> str:
    return rng.choice([code[:5], code[:5], code[:7], code[:8], code[:4]]).rstrip(".")


def make_profile(rng: random.Random, forms: Forms, n: int) -> dict:
    spec: dict = {"name": f"profile-{n:04d}", "chats": [-1000 - n % 7]}
    families = rng.sample(FAMILIES, k=rng.choice([1, 1, 2]))
    keywords: list[str] = []
    okpd2: list[str] = []
    for codes, nouns, adjs in families:
        if rng.random() < 0.7:
            okpd2 += [_code_prefix(rng, c) for c in rng.sample(codes, k=rng.randint(1, len(codes)))]
        for noun in rng.sample(nouns, k=rng.randint(1, len(nouns))):
            style = rng.random()
            if style < 0.55:
                keywords.append(noun)
            elif style < 0.8 and len(noun) > 6:
                keywords.append(noun[: max(4, len(noun) - 2)] + "*")
            else:
                keywords.append(forms.phrase(rng.choice(adjs), noun, "nomn", "sing"))
    spec["keywords"] = keywords
    spec["okpd2"] = okpd2
    if rng.random() < 0.4:
        spec["exclude"] = rng.sample(VETO[:3], k=rng.randint(1, 2))
    roll = rng.random()
    picked = [REGION_NAMES.get(c, c) for c in {region(rng) for _ in range(rng.randint(1, 5))}]
    if roll < 0.55:
        spec["regions"] = picked
    elif roll < 0.7:
        spec["customer_regions"] = picked
        spec["delivery_regions"] = "any"
    elif roll < 0.8:
        spec["delivery_regions"] = picked
    if rng.random() < 0.6:
        spec["price_min"] = rng.choice([50_000, 100_000, 300_000, 1_000_000])
    if rng.random() < 0.5:
        spec["price_max"] = rng.choice([3_000_000, 10_000_000, 50_000_000])
    if rng.random() < 0.5:
        spec["laws"] = ["44-FZ"]
    if rng.random() < 0.3:
        spec["kinds"] = ["auction", "quotation"]
    if rng.random() < 0.3:
        spec["min_days_left"] = rng.randint(1, 5)
    spec["smp"] = rng.choice(["any", "any", "only", "exclude"])
    if rng.random() < 0.2:
        spec["max_bid_security"] = rng.choice([10_000, 100_000])
    return spec


def generate(profiles: int, notices: int, seed: int) -> tuple[list[Profile], list[Notice]]:
    rng = random.Random(seed)
    forms = Forms()
    specs = [make_profile(rng, forms, i) for i in range(profiles)]
    return parse_profiles(specs), [make_notice(rng, forms, i) for i in range(notices)]


class Clock:
    """Wall and CPU time of a block: on a shared machine the CPU time is the steadier figure."""

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


T = TypeVar("T")


def best_of(rounds: int, block: Callable[[], T]) -> tuple[Clock, T]:
    """The round with the least CPU, and its result: on a shared machine a round can lose 15 % to
    a neighbour, never gain it, so the least is the steadiest figure of the code itself."""
    timed: list[tuple[Clock, T]] = []
    for _ in range(rounds):
        with Clock() as clock:
            result = block()
        timed.append((clock, result))
    return min(timed, key=lambda t: t[0].cpu)


def run(profiles: list[Profile], notices: list[Notice], naive_sample: int, rounds: int) -> None:
    with Clock() as compiling:
        matcher = compile_profiles(profiles)
    plain = compile_profiles(profiles, NO_SYNONYMS)
    # A notice's text is lemmatized once, the first time any matcher sees it (pymorphy3, then a
    # cache per title and position name): the same cost for every contender below, so it is timed
    # here on its own, and the contenders run on warm caches.
    with Clock() as first_sight:
        for notice in notices:
            analyze(notice)
    n = len(notices)
    sample = notices[:naive_sample]

    def compiled_pass() -> list[list[str]]:
        return [sorted(m.profile for m in matcher.match(notice, now=NOW)) for notice in notices]

    compiled, compiled_names = best_of(rounds, compiled_pass)
    counts = [len(names) for names in compiled_names]

    with Clock() as loading:
        finder = NearMissFinder(matcher)

    def near_miss_pass() -> int:
        total = 0
        for notice in notices:
            view = analyze(notice)
            names = [m.profile for m in matcher.match_view(view, now=NOW)]
            total += len(finder.find(view, now=NOW, matched=names))
        return total

    with_near_misses, near_total = best_of(rounds, near_miss_pass)
    without_synonyms, plain_counts = best_of(
        rounds, lambda: [len(plain.match(notice, now=NOW)) for notice in notices]
    )
    naive, naive_names = best_of(
        rounds, lambda: [sorted(match_naive(matcher.profiles, n, now=NOW)) for n in sample]
    )
    scale = n / len(sample)

    full_sample = notices[: max(1, naive_sample // 10)]

    def explain_pass() -> None:
        for notice in full_sample:
            view = analyze(notice)
            for cp in matcher.profiles:
                evaluate(cp, view, now=NOW)

    explaining, _ = best_of(1, explain_pass)
    full_scale = n / len(full_sample)

    disagreements = sum(a != b for a, b in zip(compiled_names, naive_names, strict=False))
    print(f"profiles: {len(profiles):,}  notices: {n:,}  compile: {compiling.cpu:.2f} s CPU")
    print(f"each contender: the least CPU of {rounds} rounds, on warm text caches")
    print(
        f"first sight of the texts (every title and position name lemmatized once, whatever the "
        f"matcher): {first_sight.cpu:.2f} s CPU ({first_sight.cpu / n * 1e6:.0f} µs CPU/notice)"
    )
    print(
        f"compiled matcher: {compiled.wall:.2f} s wall, {compiled.cpu:.2f} s CPU for all {n:,} notices "
        f"({compiled.cpu / n * 1e6:.0f} µs CPU/notice), reasons included; "
        f"with the first sight {compiled.cpu + first_sight.cpu:.2f} s CPU"
    )
    print(
        f"with the near-miss pass (word vectors, threshold {finder.threshold}): "
        f"{with_near_misses.cpu:.2f} s CPU "
        f"({with_near_misses.cpu / n * 1e6:.0f} µs CPU/notice; the pass adds "
        f"{with_near_misses.cpu / compiled.cpu - 1:+.0%}); {near_total:,} near misses; vectors loaded and "
        f"{len(finder.keywords)} keywords embedded in {loading.wall:.2f} s (once per process and run)"
    )
    print(
        f"the same without the synonym dictionary: {without_synonyms.cpu:.2f} s CPU "
        f"({without_synonyms.cpu / n * 1e6:.0f} µs CPU/notice; synonyms cost "
        f"{compiled.cpu / without_synonyms.cpu - 1:+.0%}); matches {sum(plain_counts):,} without, "
        f"{sum(counts):,} with"
    )
    print(
        f"naive loop A (every profile through the short-circuit check `passes`, cheapest test first): "
        f"{naive.cpu:.2f} s CPU for {len(sample):,} notices, extrapolated x{scale:.0f} to "
        f"{naive.cpu * scale:.1f} s CPU -> compiled is {naive.cpu * scale / compiled.cpu:.1f}x faster"
    )
    print(
        f"naive loop B (every profile through the full `evaluate`, as `explain` does): "
        f"{explaining.cpu:.2f} s CPU for {len(full_sample):,} notices, extrapolated x{full_scale:.0f} to "
        f"{explaining.cpu * full_scale:.1f} s CPU -> compiled is "
        f"{explaining.cpu * full_scale / compiled.cpu:.0f}x faster"
    )
    print(
        f"matches per notice: mean {statistics.mean(counts):.2f}, max {max(counts)}; "
        f"notices with at least one match: {sum(1 for c in counts if c) / n:.0%}"
    )
    print(f"compiled vs naive disagreements on the sample: {disagreements} of {len(sample)}")
    if disagreements:
        raise SystemExit("the compiled matcher and the naive loop disagree: the index is wrong")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="1,000 profiles x 10,000 notices (default)")
    size.add_argument("--full", action="store_true", help="1,000 profiles x 100,000 notices")
    parser.add_argument("--seed", type=int, default=20250303)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per contender; the least CPU counts")
    args = parser.parse_args()
    notices = 100_000 if args.full else 10_000
    t0 = time.perf_counter()
    profiles, generated = generate(1_000, notices, args.seed)
    print(f"generated in {time.perf_counter() - t0:.1f} s (not part of the figures)")
    # The generated input stays alive for the whole run; without this the cyclic GC re-scans its
    # millions of objects over and over, which a real run (batches of notices) never does.
    gc.collect()
    gc.freeze()
    run(profiles, generated, naive_sample=500 if args.full else 200, rounds=args.rounds)


if __name__ == "__main__":
    main()
