"""Facts about the real EIS that the crawler relies on and the replay enforces (docs/eis-site.md).

``RESULT_CAP``: the extended search lists at most this many records of a query, however many it
states: public scrapers report a cap of about 1,000 and split their queries by date and price to
stay under it (issue 11's reading of them; the exact figure is not verified). A query over it is
read as far as the site lets, and the crawl says its listing was cut (the mark stays).

``SUBJECT_IDS``: the EIS's internal ids of federal subjects, as its search form sends them beside
the codes. The extended search filters a region only when it receives the subject's internal id
(``customerPlace`` / ``delKladrIds``) together with its code (``customerPlaceCodes`` /
``delKladrIdsCodes``); every real search URL found pairs the two. The ids below are the ones public
scrapers' URLs show next to a known code (docs/eis-site.md, "Search filters"); the two parameters
share one id space (Crimea 8408974 and Sevastopol 8408975 appear in both). A subject not listed
here cannot be filtered by the site: the crawl then reads the whole search and filters locally.

No OKPD2 id (``okpd2Ids``) is evidenced at all, so OKPD2 is always filtered locally.
"""

from __future__ import annotations

RESULT_CAP = 1000

REGISTER_SEARCH_PATH = "/epz/dishonestsupplier/search/results.html"
REGISTER_FEED_PATH = "/epz/dishonestsupplier/search/rss"
"""The register of unfair suppliers' search page and its feed: the feed answers a bare 404
without the session cookie the page hands out and without a browser's User-Agent (a public
project's live captures of 13 August 2026, crawler.spiders.eis_rnp)."""

SUBJECT_IDS: dict[str, str] = {
    "01": "5277349",  # Adygea: customerPlace=5277349,…&customerPlaceCodes=01000000000,… (a PHP RSS scraper)
    "14": "5277400",  # Sakha (Yakutia): customerPlace=5277400&customerPlaceCodes=14000000000 (a plan scraper)
    "17": "5277386",  # Tyva: customerPlace=5277386&customerPlaceCodes=17000000000 (a Python scraper)
    "23": "5277353",  # Krasnodar Krai: same URL as Adygea
    "50": "5277327",  # Moscow Oblast: customerPlace=5277335,5277327&customerPlaceCodes=77…,50… (PHP)
    "77": "5277335",  # Moscow: same URL, and customerPlace=5277335&customerPlaceCodes=77000000000 (another)
    "91": "8408974",  # Crimea: the Adygea URL, and a script's note "delKladrIds": "8408974" - Крым
    "92": "8408975",  # Sevastopol: the Adygea URL, and "delKladrIds": "8408975" - Место поставки Севастополь
}


def subject_ids(codes: list[str]) -> list[str] | None:
    """The ids of 11-digit subject codes (``77000000000``), or None if any of them is unknown."""
    ids = [SUBJECT_IDS.get(code[:2]) for code in codes]
    return None if any(i is None for i in ids) else [i for i in ids if i]


def subject_code(subject_id: str) -> str | None:
    """The two-digit subject code of an id (the replay reads the ids the site would)."""
    return next((code for code, known in SUBJECT_IDS.items() if known == subject_id), None)
