"""Russian word vectors for what words miss: navec's news model, read from the natasha wheel.

natasha ships ``navec_news_v1_1B_250K_300d_100q.tar`` (250,000 words x 300 dimensions, product-
quantized to 26 MB) inside its package, so nothing is downloaded at run time; loading takes about
0.6 s and is done once per process, on first use. The vocabulary holds word forms as well as
lemmas («ноутбук», «ноутбуков»): a word is looked up by its lemma first, then as written.

Similarities on this model, for scale: «ноутбук»/«компьютер» 0.68, «планшет»/«ноутбук» 0.73,
«бензин»/«топливо» 0.65, «принтер»/«мфу» 0.45, «монитор»/«компьютер» 0.41, unrelated words about 0.
"""

from __future__ import annotations

import importlib.resources
import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bidder import text
from bidder.errors import BidderError

if TYPE_CHECKING:
    from navec import Navec

MODEL = "data/emb/navec_news_v1_1B_250K_300d_100q.tar"
"""The model's path inside the natasha package."""
DIMENSIONS = 300

Vector = npt.NDArray[np.float32]

_model: Navec | None = None
_lock = threading.Lock()


class EmbeddingError(BidderError):
    """The word vectors cannot be loaded (natasha or navec missing, the model file unreadable)."""


def _navec() -> Navec:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                try:
                    from navec import Navec

                    path = importlib.resources.files("natasha") / MODEL
                    with importlib.resources.as_file(path) as file:
                        _model = Navec.load(str(file))
                except (ImportError, OSError, ValueError) as exc:
                    raise EmbeddingError(f"cannot load the word vectors natasha/{MODEL}: {exc}") from exc
    return _model


@lru_cache(maxsize=100_000)
def word_vector(word: str) -> Vector | None:
    """The unit vector of a normalized word (its lemma's, else its own), ``None`` if unknown."""
    model = _navec()
    for form in (text.lemma(word), word):
        if form in model:
            vector = np.asarray(model[form], dtype=np.float32)
            norm = float(np.linalg.norm(vector))
            if norm > 0:
                return vector / norm
    return None


def mean_vector(words: list[str]) -> Vector | None:
    """The unit mean of the words' vectors (the meaning of a phrase), ``None`` if none is known."""
    vectors = [v for v in map(word_vector, words) if v is not None]
    if not vectors:
        return None
    mean = np.mean(vectors, axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm > 0 else None


def nearest_words(word: str, *, limit: int = 5) -> list[tuple[str, float]]:
    """The words of the whole vocabulary closest to ``word``, as distinct Russian nouns and
    adjectives (lemmas), itself and its forms left out (for ``profiles suggest``)."""
    vector = word_vector(word)
    if vector is None:
        return []
    scores = _similarities(vector)
    own = {text.lemma(word), word}
    found: list[tuple[str, float]] = []
    words = _navec().vocab.words
    for index in np.argsort(-scores)[: limit * 20]:
        candidate = words[int(index)]
        lemma = text.lemma(candidate) if _RUSSIAN.fullmatch(candidate) else ""
        if len(lemma) < 3 or lemma in own or text.part_of_speech(lemma) not in _WHAT_IS_BOUGHT:
            continue
        own.add(lemma)
        found.append((lemma, float(scores[int(index)])))
        if len(found) == limit:
            break
    return found


_RUSSIAN = re.compile(r"[а-яё]+")
_WHAT_IS_BOUGHT = {"NOUN", "ADJF"}
"""Nouns and adjectives name goods and services; a verb («воткнуть» near «шприц») does not."""


def _similarities(unit: Vector) -> npt.NDArray[np.float32]:
    """Cosine of ``unit`` with every word of the vocabulary, on the quantized codes themselves: per
    sub-space, the query's dot product with each of the 256 centroids, then one table lookup per
    word and sub-space (25 million lookups instead of unpacking a 300 MB matrix)."""
    pq = _navec().pq
    parts = unit.reshape(pq.qdim, -1)  # qdim x subdim
    table = np.einsum("qcs,qs->qc", pq.codes, parts)  # qdim x centroids
    scores = table[pq.qdims, pq.indexes].sum(axis=1)
    return (scores / np.where(pq.norm > 0, pq.norm, 1)).astype(np.float32)
