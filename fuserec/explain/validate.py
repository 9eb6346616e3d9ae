"""Accept generated wording only when everything it names comes from the reasons it was given.

A language model asked to reword reasons may add a film the user never saw, a genre the item does
not have, a number, or a claim ("award-winning", "popular") that nothing supports; a tiny model
does so often. The validator reads a generated text against the explanation's reasons and the
whole catalogue, and lists every problem:

- a catalogue title, or a catalogue term (genre, tag, keyword), that the reasons do not hold;
- a number, or a capitalised name, outside the reasons' titles and terms;
- a claim whose reason is absent ("popular" without a popularity reason, "new" without a new
  item) or that no reason can support (awards, ratings, critics, prices);
- the wrong language, too long, more than two sentences, unfinished, or none of the cited titles
  named.

Text is compared by words (lower case; each Chinese character a word of its own), so a title
counts with or without its year and with a trailing article moved to the front
("Lion King, The (1994)" as "The Lion King").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD = re.compile(rf"[{CJK}]|[^\W_{CJK}]+")
YEAR = re.compile(r"\s*\(\d{4}\)\s*$")
ARTICLE = re.compile(r"^(.*), (The|A|An|Les|Le|La|L'|Il|El|Der|Die|Das)$")
DIGIT = re.compile(r"\d")
LATIN = re.compile(r"[A-Za-z]")
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$|[\"'”’」』》)])|[。！？]+")

# Words and phrases of a claim, by the reason kind that supports it; UNSUPPORTED claims no reason
# supports. Chinese phrases are matched character by character.
CLAIMS: dict[str, tuple[str, ...]] = {
    "popular": ("popular", "popularity", "trending", "hit", "hits", "everyone", "everybody", "viral", "bestseller",
                "bestselling", "热门", "受欢迎", "流行", "火爆", "大家都", "很多人"),
    "new_item": ("new", "newly", "latest", "fresh", "added", "arrival", "新上架", "新品", "刚上", "最新", "新上线"),
    "history": ("liked", "like", "likes", "enjoyed", "enjoy", "loved", "love", "watched", "seen", "saw", "read",
                "listened", "bought", "favourite", "favorite", "喜欢", "看过", "爱看", "听过", "买过", "读过"),
}
UNSUPPORTED = ("award", "awards", "oscar", "oscars", "acclaimed", "critic", "critics", "critically", "masterpiece",
               "best", "rated", "rating", "ratings", "stars", "starring", "star", "review", "reviews", "guaranteed",
               "price", "cheap", "discount", "sale", "buy", "free", "percent", "million", "billion", "ignore",
               "instructions", "奖", "评分", "影评", "杰作", "价格", "打折", "折扣", "免费", "购买", "买下", "最好",
               "忽略", "指令")
LIMITS = {"en": 280, "zh": 120}
MAX_SENTENCES = 2


def words(text: str) -> list[str]:
    """Lower-case words; each Chinese character is a word of its own."""
    return WORD.findall(text.lower())


def _said(tokens: list[str], phrases: Iterable[str]) -> str | None:
    """The first of ``phrases`` that occurs, word for word, in ``tokens``."""
    joined = " " + " ".join(tokens) + " "
    for phrase in phrases:
        if f" {' '.join(words(phrase))} " in joined:
            return phrase
    return None


def natural_title(title: str) -> str:
    """A catalogue title with a trailing article moved to the front: "Matrix, The (1999)" is
    "The Matrix (1999)"; other titles as they are."""
    bare = YEAR.sub("", title).strip()
    moved = ARTICLE.match(bare)
    if not moved:
        return title
    return f"{moved.group(2)} {moved.group(1)} {title[len(bare):].strip()}".strip()


def title_variants(title: str) -> list[tuple[str, ...]]:
    """The word sequences a text may use for a title: as written, without its year, and with a
    trailing article moved to the front."""
    bare = YEAR.sub("", title).strip()
    year = title[len(bare):].strip()
    forms = {title, bare}
    short = re.sub(r"\s*\([^)]*\)", "", bare).strip()  # "Independence Day (ID4)" without its other name
    if short and short != bare:
        forms |= {short, f"{short} {year}".strip()}
    moved = ARTICLE.match(bare)
    if moved:  # "Sting, The (1973)" is also "The Sting" and "Sting (1973)"
        forms |= {f"{moved.group(2)} {moved.group(1)}", f"{moved.group(1)} {year}".strip(), natural_title(title)}
        if len(words(moved.group(1))) > 1:  # one word alone ("War") is too common to be this title
            forms.add(moved.group(1))
    return [w for w in (tuple(words(f)) for f in forms) if w]


@dataclass
class Grounds:
    """What an explanation's reasons hold: the titles and terms a text may name, the claims it may
    make, and the titles it must name at least one of."""

    titles: list[str]
    cited: list[str]
    terms: list[str]
    kinds: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, explanation: dict[str, Any]) -> Grounds:
        titles, cited, terms, kinds = [str(explanation["title"])], [], [], set()
        for reason in explanation["reasons"]:
            kinds.add(reason["kind"])
            if reason["kind"] == "history":
                cited += [str(i["title"]) for i in reason["items"]]
            elif reason["kind"] == "new_item":
                cited.append(str(reason["like"]["title"]))
            elif reason["kind"] == "shared_terms":
                terms += [str(t) for t in reason["terms"]]
        return cls(titles + cited, cited, terms, kinds)


class _Phrases:
    """Word sequences indexed by their first word, found in a text by one pass over its words.

    A one-word sequence added as ``capitalised`` counts only where the text capitalises it: a
    title such as "Them!" or "Heat" is also an everyday word.
    """

    def __init__(self) -> None:
        self.by_first: dict[str, list[tuple[tuple[str, ...], int, bool]]] = defaultdict(list)

    def add(self, sequence: tuple[str, ...], label: int, capitalised: bool = False) -> None:
        self.by_first[sequence[0]].append((sequence, label, capitalised and len(sequence) == 1))

    def find(self, tokens: Sequence[str], originals: Sequence[str] | None = None) -> list[tuple[int, int, int]]:
        """Every (start, end, label) where a sequence occurs in ``tokens`` (lower case; ``originals``
        as written, for the capitalised ones)."""
        found = []
        for start, token in enumerate(tokens):
            for sequence, label, capitalised in self.by_first.get(token, ()):
                end = start + len(sequence)
                if tuple(tokens[start:end]) != sequence:
                    continue
                if capitalised and originals is not None and not originals[start][:1].isupper():
                    continue
                found.append((start, end, label))
        return found


class Validator:
    """Checks generated wording against the reasons it was asked to say.

    Parameters
    ----------
    titles : sequence of str
        Every title in the catalogue, so that naming one the reasons do not hold is caught.
    terms : iterable of str
        Every genre, category, tag or keyword in the catalogue.
    limits : dict of str to int, optional
        The most characters per language.
    """

    def __init__(self, titles: Sequence[str], terms: Iterable[str], limits: dict[str, int] | None = None) -> None:
        self.limits = {**LIMITS, **(limits or {})}
        self._titles = _Phrases()
        for n, title in enumerate(titles):
            for variant in title_variants(str(title)):
                self._titles.add(variant, n, capitalised=True)
        self._title_text = [str(t) for t in titles]
        self._terms = _Phrases()
        self._term_text: list[str] = []
        for term in sorted({str(t) for t in terms if str(t).strip()}):
            sequence = tuple(words(term))
            if sequence:
                self._terms.add(sequence, len(self._term_text))
                self._term_text.append(term)

    @classmethod
    def for_items(cls, items: Any) -> Validator:
        """From an `ItemInfo`: its titles and every item's terms."""
        return cls(items.titles, (t for ts in items.terms for t in ts))

    def problems(self, text: str, explanation: dict[str, Any], lang: str) -> list[str]:
        """Everything wrong with ``text`` as wording of ``explanation`` in ``lang``; empty when it is accepted."""
        grounds = Grounds.of(explanation)
        text = text.strip()
        if not text:
            return ["empty"]
        problems: list[str] = []
        if "\ufffd" in text:
            problems.append("malformed text (undecodable characters)")
        spans = list(WORD.finditer(text))
        tokens = [m.group().lower() for m in spans]
        covered = [False] * len(tokens)
        named_cited = set()
        cited = {v: t for t in grounds.cited for v in title_variants(t)}
        allowed = {v for t in grounds.titles for v in title_variants(t)} | {tuple(words(t)) for t in grounds.terms}
        for variant in sorted(allowed, key=len, reverse=True):
            for start in range(len(tokens) - len(variant) + 1):
                if tuple(tokens[start:start + len(variant)]) == variant:
                    covered[start:start + len(variant)] = [True] * len(variant)
                    if variant in cited:
                        named_cited.add(cited[variant])
        for start, end, label in self._titles.find(tokens, [m.group() for m in spans]):
            if not all(covered[start:end]):
                problems.append(f"names an item not in the reasons: {self._title_text[label]!r}")
        for start, end, label in self._terms.find(tokens):
            if not all(covered[start:end]):
                problems.append(f"names a term not in the reasons: {self._term_text[label]!r}")
        free = [t for t, c in zip(tokens, covered, strict=True) if not c]
        if any(DIGIT.search(t) for t in free):
            problems.append("a number not in the reasons")
        for kind, claims in CLAIMS.items():
            said = _said(free, claims)
            if said and kind not in grounds.kinds and not (kind == "history" and "new_item" in grounds.kinds):
                problems.append(f"claims {kind.replace('_', ' ')} ({said!r}) without that reason")
        unsupported = _said(free, UNSUPPORTED)
        if unsupported:
            problems.append(f"a claim no reason supports: {unsupported!r}")
        limit = self.limits.get(lang, LIMITS["en"])
        if len(self._masked(text, spans, covered, collapse=True)) > limit:  # titles and terms count as one character
            problems.append(f"longer than {limit} characters besides its titles and terms")
        problems += self._names(text, spans, covered)
        problems += self._language(free, lang)
        if self._sentences(text, spans, covered) > MAX_SENTENCES:
            problems.append(f"more than {MAX_SENTENCES} sentences")
        if not re.search(r"[.!?。！？」』》)\"'”’]$", text):
            problems.append("unfinished (no closing punctuation)")
        if grounds.cited and not named_cited:
            problems.append("names none of the cited items")
        return problems

    def accepts(self, text: str, explanation: dict[str, Any], lang: str) -> bool:
        return not self.problems(text, explanation, lang)

    @staticmethod
    def _masked(text: str, spans: list[re.Match[str]], covered: list[bool], collapse: bool = False) -> str:
        """``text`` with the reasons' titles and terms blanked, punctuation inside them included
        (each to one ``x`` with ``collapse``)."""
        chars = list(text)
        runs: list[list[int]] = []
        for n, c in enumerate(covered):
            if c:
                if runs and runs[-1][1] == n - 1:
                    runs[-1][1] = n
                else:
                    runs.append([n, n])
        for first, last in reversed(runs):
            start, end = spans[first].start(), spans[last].end()
            if end < len(text) and text[end] == ")":  # a title's closing bracket
                end += 1
            chars[start:end] = ["x"] * (1 if collapse else end - start)
        return "".join(chars)

    def _names(self, text: str, spans: list[re.Match[str]], covered: list[bool]) -> list[str]:
        """A capitalised word in mid-sentence that is none of the reasons' titles or terms: a name
        the reasons do not hold (an actor, a place, an invented title)."""
        masked = self._masked(text, spans, covered)
        for match, c in zip(spans, covered, strict=True):
            word = match.group()
            if c or not word[0].isupper() or word == "I":
                continue
            before = masked[:match.start()].rstrip()
            if before and before[-1] not in ".!?:;\"'“‘(《「。！？":
                return [f"names something not in the reasons: {word!r}"]
        return []

    def _sentences(self, text: str, spans: list[re.Match[str]], covered: list[bool]) -> int:
        body = self._masked(text, spans, covered).strip()
        return len([part for part in SENTENCE_END.split(body) if part.strip(" \"'”’」』》)")])

    @staticmethod
    def _language(free: list[str], lang: str) -> list[str]:
        cjk = sum(1 for t in free if re.fullmatch(f"[{CJK}]", t))
        latin = sum(len(LATIN.findall(t)) for t in free)
        if lang == "en" and cjk:
            return ["not in English"]
        if lang == "zh" and (cjk < 4 or latin > cjk):
            return ["not in Chinese"]
        return []
