"""The compiled rules engine: profiles -> indexes; a notice -> matches with reasons in Russian.

A profile matches a notice when (docs/profiles.md has the details and examples)

    region AND (OKPD2/KTRU OR keywords) AND NOT exclude AND every condition that is set.

``compile_profiles`` builds three indexes once: lemma/word-prefix -> keywords -> profiles,
code prefix -> profiles, region -> profiles. ``CompiledMatcher.match`` analyses the notice once,
walks its words and the prefixes of its own codes through the indexes, and fully evaluates only
the candidate profiles that share a capability with it. So the cost grows with the notice's text
and codes, not with the number of profiles. ``explain`` evaluates every profile (it is for people
asking "why not?", not for the hot path) and says what failed.

Text matched: the title and the item names. The customer's name is deliberately left out: «ГБУЗ
... больница» would make every medical keyword fire on every purchase of a hospital, and customers
are selected by INN (``customers_include``) instead.

Layout: ``view`` (the notice analysed once), ``compiled`` (a profile compiled once), ``rules``
(each condition: judged, and worded as a reason), ``reasons`` (results and the Russian wording they
share), ``index`` (the matcher that finds the candidate profiles).
"""

from __future__ import annotations

from bidder.matcher.compiled import CompiledProfile
from bidder.matcher.index import CompiledMatcher
from bidder.matcher.index import compile_profiles
from bidder.matcher.index import match_naive
from bidder.matcher.reasons import SCORE_CODE
from bidder.matcher.reasons import SCORE_KEYWORD
from bidder.matcher.reasons import SCORE_PHRASE
from bidder.matcher.reasons import Explanation
from bidder.matcher.reasons import Match
from bidder.matcher.reasons import MatcherError
from bidder.matcher.rules import evaluate
from bidder.matcher.rules import passes
from bidder.matcher.view import NoticeView
from bidder.matcher.view import analyze

__all__ = [
    "SCORE_CODE",
    "SCORE_KEYWORD",
    "SCORE_PHRASE",
    "CompiledMatcher",
    "CompiledProfile",
    "Explanation",
    "Match",
    "MatcherError",
    "NoticeView",
    "analyze",
    "compile_profiles",
    "evaluate",
    "match_naive",
    "passes",
]
