"""Fuzzing the entry point: whatever the bytes, ``parse_document`` returns notices or raises
``ParseError``, never anything else.

Runs are derandomized (the same examples every run, so CI is stable) and capped at 200 examples
per test, 40 per sample file for the mutation tests. Those take every document in
``../shared/eis_samples`` (all formats: 44-FZ and 223-FZ XML, mobile JSON, HTML, RSS) and skip
visibly when that folder is absent.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from crawler.parsers import ParseError
from crawler.parsers import parse_document
from data.notice import Notice
from tests.conftest import SAMPLES_DIR

FUZZ = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,  # no timing assertions: a slow shared CI machine must not fail the run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PER_SAMPLE = settings(FUZZ, max_examples=40)  # per sample file: ~1,300 mutated documents in all

SAMPLES = (
    {
        path.name: path.read_bytes()
        for path in sorted(SAMPLES_DIR.iterdir())
        if path.suffix in {".xml", ".json", ".html"}
    }
    if SAMPLES_DIR.is_dir()
    else {}
)
needs_samples = pytest.mark.skipif(
    not SAMPLES,
    reason=f"real EIS samples folder {SAMPLES_DIR} not found (shared/ is not beside the checkout)",
)


def parses_or_refuses(data: bytes, url: str = "fuzz://input") -> None:
    try:
        notices = parse_document(data, url=url)
    except ParseError as exc:
        assert str(exc).startswith(f"{url}: ") and exc.problem
        return
    assert isinstance(notices, list) and all(isinstance(notice, Notice) for notice in notices)


# --- bytes from nowhere ----------------------------------------------------------------------------

OPENINGS = [
    b"",
    b"<",
    b"<export>",
    b"<fcsNotificationEF>",
    b"<purchaseNotice>",
    b"<rss>",
    b"<html>",
    b"{",
    b"[",
]


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes) -> None:
    parses_or_refuses(data)


@FUZZ
@given(st.sampled_from(OPENINGS), st.text(max_size=512))
def test_random_text_behind_a_format_opening(opening: bytes, text: str) -> None:
    parses_or_refuses(opening + text.encode("utf-8", errors="surrogatepass"))


# --- mutated real samples --------------------------------------------------------------------------

# Mutations are drawn as small operations and applied afterwards, so a failing example prints as
# «sample name + a few operations» rather than as a 100 KB byte string.
SCALE = 1_000_000  # positions are drawn as a fraction of the document length, in millionths

byte_operations = st.lists(
    st.tuples(
        st.sampled_from(["flip", "truncate", "insert", "delete"]),
        st.integers(0, SCALE - 1),
        st.binary(min_size=1, max_size=64),
    ),
    min_size=1,
    max_size=4,
)


def apply_byte_operations(data: bytes, operations: list[tuple[str, int, bytes]]) -> bytes:
    """Flip a byte, cut the tail, insert junk or delete a stretch, at the drawn positions."""
    result = bytearray(data)
    for kind, fraction, payload in operations:
        at = fraction * len(result) // SCALE
        if kind == "flip" and at < len(result):
            result[at] = payload[0]
        elif kind == "truncate":
            del result[at:]
        elif kind == "insert":
            result[at:at] = payload
        else:
            del result[at : at + 8 * len(payload)]
    return bytes(result)


TRICKY_VALUES = [
    "",
    " ",
    "NaN",
    "-Infinity",
    "1e999999999",
    "-0",
    "12,50",
    "2025-13-45T99:99:99+03:00",
    "2025-11-05+25:00",
    "0000000000000000000",
    "01234567890123456789012",
    "~",
    "^",
    "CU",
    "RA",
    "PVS33044",
]
_TEXT_NODE = re.compile(rb">([^<>]{1,300})<")
_LEAF = re.compile(rb"<([\w.:-]+)[^<>]*>[^<>]*</\1>")

value_operations = st.lists(
    st.tuples(
        st.sampled_from(["replace", "drop"]),
        st.integers(0, SCALE - 1),
        st.sampled_from(TRICKY_VALUES)
        | st.text(alphabet=st.characters(blacklist_characters="<&"), max_size=40),
    ),
    min_size=1,
    max_size=6,
)


def apply_value_operations(data: bytes, operations: list[tuple[str, int, str]]) -> bytes:
    """Keep the document well-formed while its values turn odd: replace a text node, or drop a leaf
    element. This is what reaches the extractors rather than the XML parser's error path."""
    for kind, fraction, value in operations:
        matches = list((_TEXT_NODE if kind == "replace" else _LEAF).finditer(data))
        if not matches:
            continue
        match = matches[fraction * len(matches) // SCALE]
        if kind == "replace":
            data = (
                data[: match.start(1)] + value.encode("utf-8", errors="surrogatepass") + data[match.end(1) :]
            )
        else:
            data = data[: match.start()] + data[match.end() :]
    return data


@needs_samples
@pytest.mark.parametrize("name", sorted(SAMPLES))
@PER_SAMPLE
@given(operations=byte_operations)
def test_samples_with_mutated_bytes(name: str, operations: list[tuple[str, int, bytes]]) -> None:
    parses_or_refuses(apply_byte_operations(SAMPLES[name], operations), url=f"{SAMPLES_DIR}/{name}")


@needs_samples
@pytest.mark.parametrize("name", sorted(SAMPLES))
@PER_SAMPLE
@given(operations=value_operations)
def test_samples_with_odd_values(name: str, operations: list[tuple[str, int, str]]) -> None:
    parses_or_refuses(apply_value_operations(SAMPLES[name], operations), url=f"{SAMPLES_DIR}/{name}")


@needs_samples
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_truncation_point_of_a_sample_head(name: str) -> None:
    """The first KB cut at every 16th byte: the detector and parsers see every partial prolog."""
    data = SAMPLES[name]
    for end in range(0, min(len(data), 1024), 16):
        parses_or_refuses(data[:end], url=f"{SAMPLES_DIR}/{name}")
