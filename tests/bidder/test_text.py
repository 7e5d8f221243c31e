"""Russian normalization: the one definition of "the same word" shared by matcher and reports."""

from __future__ import annotations

from bidder import text


def test_normalize_lowercases_and_folds_yo() -> None:
    assert text.normalize("Ёлочные ИГРУШКИ, ещё") == "елочные игрушки, еще"


def test_tokens_split_punctuation_and_hyphens() -> None:
    assert text.tokens("Поставка мини-ПК (10 шт.); «Ноутбук» №5/2025") == [
        "поставка",
        "мини",
        "пк",
        "10",
        "шт",
        "ноутбук",
        "5",
        "2025",
    ]


def test_tokens_of_empty_and_punctuation_only() -> None:
    assert text.tokens("") == []
    assert text.tokens(" — ; ,") == []


def test_lemmas_of_inflected_words() -> None:
    assert text.lemmas("Поставку компьютерной техники и ноутбуков") == [
        "поставка",
        "компьютерный",
        "техника",
        "и",
        "ноутбук",
    ]


def test_lemma_has_no_yo() -> None:
    assert text.lemma("ёлки") == "елка"
    assert text.lemma_set("елки") == frozenset({"елка"})


def test_latin_and_digits_are_their_own_lemma() -> None:
    assert text.lemmas("USB 3.0 Wi-Fi") == ["usb", "3", "0", "wi", "fi"]


def test_ambiguous_text_word_keeps_all_normal_forms() -> None:
    # «стали»: a form of «стать» and of «сталь»; notice text keeps both for recall
    assert text.lemma_set("стали") == frozenset({"стать", "сталь"})
    assert text.lemma_set("мыла") == frozenset({"мыло", "мыть"})


def test_keyword_lemma_prefers_the_form_as_written() -> None:
    # a person writes the dictionary form; «мыло» stays «мыло», not the likelier parse
    assert text.lemma("мыло") == "мыло"
    assert text.lemma("сталь") == "сталь"
    # an inflected keyword falls back to the first parse
    assert text.lemma("ноутбуков") == "ноутбук"
    assert text.lemma("стали") == "стать"


def test_lemma_sets_follow_positions() -> None:
    assert text.lemma_sets("поставка стали") == [frozenset({"поставка"}), frozenset({"стать", "сталь"})]
