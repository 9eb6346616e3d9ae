"""A seeded generator of shop-like interaction logs, for trying fuserec at any size.

The log has what real shop logs have and what a model can learn from: power-law item popularity
and user activity, users who keep to a few topics, items that arrive over time and sell best
while new, and titles drawn from per-topic vocabularies, so that text carries the same signal as
the topics. It can also inject the faults real logs carry: exact duplicate events, a few bots with
a thousand times the median activity, items without text, and rows with a bad rating.

Output is a folder: ``events/part-*.parquet`` (``user``, ``item``, ``rating``, ``timestamp``),
``items.parquet`` (``item``, ``title``, ``category``, ``added``) and ``synth.json`` (the spec and
what was injected). Events are generated a block of users at a time, so memory follows the block,
not the log.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuserec.errors import UsageError
from fuserec.progress import progress

DAY = 86_400
START = 1_704_067_200  # 2024-01-01 UTC
SIZES = {  # name → (users, items, events); every other parameter is the same at every size
    "1M": (100_000, 20_000, 1_000_000),
    "10M": (1_000_000, 200_000, 10_000_000),
    "50M": (5_000_000, 1_000_000, 50_000_000),
}
SYLLABLES = ("ka", "lo", "mi", "ren", "to", "sa", "vel", "dun", "pri", "cor", "ash", "bel", "nor", "quin", "tir",
             "ul", "fen", "gar", "hol", "jas", "mor", "pet", "ros", "sil", "tam", "ver", "wen", "zor", "ly", "on")
GENERIC = ("new", "classic", "premium", "mini", "pro", "set", "pack", "edition", "original", "deluxe", "basic",
           "large", "small", "home", "travel", "eco", "smart", "soft", "plus", "max")


@dataclass(frozen=True)
class Faults:
    """Shares and counts of the faults to inject (all zero: a clean log)."""

    duplicate_share: float = 0.0  # events copied exactly once more
    bots: int = 0                 # users with ``bot_factor`` × the median activity, clicking at random
    bot_factor: int = 1000
    no_text_share: float = 0.0    # items whose title is empty
    bad_row_share: float = 0.0    # events whose rating is missing or out of the 1-5 scale

    @classmethod
    def all(cls) -> Faults:
        """Every fault, at the rates a messy production log shows."""
        return cls(duplicate_share=0.01, bots=5, no_text_share=0.02, bad_row_share=0.001)


@dataclass(frozen=True)
class SynthSpec:
    """The shape and behaviour of a generated log."""

    n_users: int
    n_items: int
    n_events: int
    n_topics: int = 50
    words_per_topic: int = 30
    days: int = 365
    new_item_share: float = 0.3   # items that arrive during the log rather than before it
    trend_days: int = 30          # how long an item counts as new
    trend_share: float = 0.25     # events that pick among the topic's new items
    topic_loyalty: tuple[float, float] = (0.6, 0.25)  # share of events in a user's first and second topic
    popularity_exponent: float = 0.9
    activity_sigma: float = 1.2
    seed: int = 0
    faults: Faults = field(default_factory=Faults)

    @classmethod
    def named(cls, size: str, **changes: object) -> SynthSpec:
        """One of the benchmark's fixed shapes (``SIZES``), with any parameter changed."""
        if size not in SIZES:
            raise UsageError(f"size must be one of {sorted(SIZES)}, not {size!r}")
        users, items, events = SIZES[size]
        return cls(n_users=users, n_items=items, n_events=events, **changes)  # type: ignore[arg-type]

    def check(self) -> None:
        """Raise ``UsageError`` naming the first parameter that cannot make a log."""
        if min(self.n_users, self.n_items, self.n_topics, self.words_per_topic, self.days) < 1:
            raise UsageError("n_users, n_items, n_topics, words_per_topic and days must be at least 1")
        if self.n_events < self.n_users:
            raise UsageError(f"n_events ({self.n_events:,}) must be at least n_users ({self.n_users:,}): "
                             "every user has an event")
        if sum(self.topic_loyalty) > 1 or min(self.topic_loyalty) < 0:
            raise UsageError("topic_loyalty must be two shares summing to at most 1")


@dataclass
class _Catalogue:
    topic: np.ndarray    # item → topic
    added: np.ndarray    # item → arrival time (seconds from the start)
    weight: np.ndarray   # item → popularity weight
    order: np.ndarray    # items sorted by (topic, added)
    key: np.ndarray      # topic · span + added, in that order: where a topic's items up to a time end
    cum: np.ndarray      # cumulative weight in that order, for sampling a range ∝ weight
    span: int


def _words(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct pseudo-words of two or three syllables."""
    words: set[str] = set()
    while len(words) < n:
        parts = rng.choice(SYLLABLES, size=(n, 3))
        lengths = rng.integers(2, 4, size=n)
        words.update("".join(p[:k]) for p, k in zip(parts, lengths, strict=True))
    return rng.permutation(np.array(sorted(words)))[:n]


def _catalogue(spec: SynthSpec, rng: np.random.Generator, fault_rng: np.random.Generator
               ) -> tuple[_Catalogue, pd.DataFrame]:
    n, span = spec.n_items, spec.days * DAY
    topic_size = rng.dirichlet(np.full(spec.n_topics, 2.0))
    topic = rng.choice(spec.n_topics, size=n, p=topic_size)
    added = np.where(rng.random(n) < spec.new_item_share, rng.integers(0, span, size=n), 0)
    weight = (rng.permutation(n) + 1.0) ** -spec.popularity_exponent
    order = np.lexsort((added, topic))
    cat = _Catalogue(topic, added, weight, order, topic[order].astype(np.int64) * span + added[order],
                     np.concatenate([[0.0], np.cumsum(weight[order])]), span)
    topic_words = _words(rng, spec.n_topics * spec.words_per_topic).reshape(spec.n_topics, spec.words_per_topic)
    n_words = rng.integers(2, 5, size=n)
    picks = topic_words[topic[:, None], rng.integers(0, spec.words_per_topic, size=(n, 4))]
    generic = np.array(GENERIC)[rng.integers(0, len(GENERIC), size=n)]
    titles = [f"{g} {' '.join(w[:k])}" for g, w, k in zip(generic, picks, n_words, strict=True)]
    categories = [" ".join(topic_words[t, :2]) for t in topic]
    if spec.faults.no_text_share:
        for i in np.flatnonzero(fault_rng.random(n) < spec.faults.no_text_share):
            titles[i] = categories[i] = ""
    items = pd.DataFrame({"item": np.arange(n, dtype=np.int64), "title": titles, "category": categories,
                          "added": START + added})
    return cat, items


def _pick(cat: _Catalogue, topic: np.ndarray, t: np.ndarray, since: np.ndarray, rng: np.random.Generator
          ) -> np.ndarray:
    """One item per event: in ``topic``, added in ``[since, t]``, drawn in proportion to weight; an
    empty range falls back to the topic's first items."""
    lo = np.searchsorted(cat.key, topic * cat.span + since, side="left")
    hi = np.searchsorted(cat.key, topic * cat.span + t, side="right")
    first = np.searchsorted(cat.key, topic * cat.span, side="left")
    empty = hi <= lo
    lo = np.where(empty, first, lo)
    hi = np.where(empty, np.minimum(first + 1, len(cat.key)), hi)
    u = cat.cum[lo] + rng.random(len(topic)) * (cat.cum[hi] - cat.cum[lo])
    pos = np.clip(np.searchsorted(cat.cum, u, side="right") - 1, lo, hi - 1)
    return cat.order[pos]


def _user_events(spec: SynthSpec, cat: _Catalogue, users: np.ndarray, counts: np.ndarray, prefs: np.ndarray,
                 rng: np.random.Generator) -> pd.DataFrame:
    """The events of one block of users, each user's in time order."""
    n = int(counts.sum())
    user = np.repeat(users, counts)
    begin = rng.integers(0, int(cat.span * 0.9), size=len(users))
    length = np.minimum(rng.exponential(cat.span / 3, size=len(users)).astype(np.int64) + DAY, cat.span - begin)
    t = np.repeat(begin, counts) + (rng.random(n) * np.repeat(length, counts)).astype(np.int64)
    t = t[np.lexsort((t, user))]
    mode = rng.random(n)
    first, second = spec.topic_loyalty
    topic_prefs = prefs[user - users[0]]
    topic = np.where(mode < first, topic_prefs[:, 0],
                     np.where(mode < first + second, topic_prefs[:, 1], rng.integers(0, spec.n_topics, size=n)))
    trend = rng.random(n) < spec.trend_share
    since = np.where(trend, np.maximum(t - spec.trend_days * DAY, 0), 0)
    item = _pick(cat, topic.astype(np.int64), t, since, rng)
    liked = (cat.topic[item] == topic_prefs[:, 0]).astype(np.float64)
    rating = np.clip(np.rint(3.2 + 0.8 * liked + rng.normal(0, 0.9, size=n)), 1, 5)
    return pd.DataFrame({"user": user.astype(np.int64), "item": item.astype(np.int64), "rating": rating,
                         "timestamp": START + t})


def _with_faults(events: pd.DataFrame, faults: Faults, rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, int]]:
    """``events`` with bad ratings and duplicate copies injected, and their counts."""
    found: dict[str, int] = {}
    if faults.bad_row_share:
        bad = np.flatnonzero(rng.random(len(events)) < faults.bad_row_share)
        rating = events["rating"].to_numpy(copy=True)
        rating[bad] = np.where(rng.random(len(bad)) < 0.5, np.nan, 99.0)
        events = events.assign(rating=rating)
        found["bad_rows"] = len(bad)
    if faults.duplicate_share:
        # copies of valid rows only, so that each fault is counted once, as loading finds it
        copy = (rng.random(len(events)) < faults.duplicate_share) & events["rating"].between(1, 5).to_numpy()
        dup = events.iloc[np.flatnonzero(copy)]
        events = pd.concat([events, dup]).sort_index(kind="stable")
        found["duplicate_events"] = len(dup)
    return events.reset_index(drop=True), found


def _bots(spec: SynthSpec, median: float, rng: np.random.Generator) -> pd.DataFrame:
    """Users ``n_users, n_users + 1, ...`` who click items at random, ``bot_factor`` × the median."""
    per_bot = int(max(median, 1) * spec.faults.bot_factor)
    n = per_bot * spec.faults.bots
    return pd.DataFrame({"user": np.repeat(np.arange(spec.n_users, spec.n_users + spec.faults.bots), per_bot),
                         "item": rng.integers(0, spec.n_items, size=n), "rating": rng.integers(1, 6, size=n) * 1.0,
                         "timestamp": START + np.sort(rng.integers(0, spec.days * DAY, size=n))})


def synthesize(spec: SynthSpec, out: str | Path, shard_events: int = 2_000_000) -> dict[str, Any]:
    """Write a generated log to the folder ``out`` and return what was written.

    Parameters
    ----------
    spec : SynthSpec
        Sizes, behaviour, seed and faults. The same spec writes the same files.
    out : str or Path
        A folder, created if absent; its ``events/`` shards are replaced.
    shard_events : int
        Events per Parquet shard, and so the block of users generated at once.

    Returns
    -------
    dict
        The spec, the files, and the count of each injected fault.
    """
    spec.check()
    folder = Path(out)
    (folder / "events").mkdir(parents=True, exist_ok=True)
    for old in (folder / "events").glob("part-*.parquet"):
        old.unlink()
    rng = np.random.default_rng(spec.seed)
    # faults draw from a generator of their own: a log with faults is the clean log of the same
    # seed with the faults added, so a run on it can be compared with the clean run
    fault_rng = np.random.default_rng([spec.seed, 1])
    cat, items = _catalogue(spec, rng, fault_rng)
    items.to_parquet(folder / "items.parquet", index=False)
    activity = rng.lognormal(0.0, spec.activity_sigma, size=spec.n_users)
    counts = rng.multinomial(spec.n_events - spec.n_users, activity / activity.sum()) + 1
    topic_share = np.bincount(cat.topic, minlength=spec.n_topics) / spec.n_items
    prefs = np.stack([rng.choice(spec.n_topics, size=spec.n_users, p=topic_share) for _ in range(2)], axis=1)
    ends = np.searchsorted(np.cumsum(counts), np.arange(shard_events, spec.n_events + shard_events, shard_events))
    bounds = np.unique(np.concatenate([[0], np.minimum(ends + 1, spec.n_users)]))
    found: dict[str, int] = {"duplicate_events": 0, "bad_rows": 0}
    shards = []
    for s, (a, b) in enumerate(progress(list(zip(bounds[:-1], bounds[1:], strict=True)), "synth: events by shard")):
        events = _user_events(spec, cat, np.arange(a, b), counts[a:b], prefs[a:b], rng)
        if s == len(bounds) - 2 and spec.faults.bots:
            events = pd.concat([events, _bots(spec, float(np.median(counts)), fault_rng)], ignore_index=True)
        events, injected = _with_faults(events, spec.faults, fault_rng)
        for key, value in injected.items():
            found[key] += value
        path = folder / "events" / f"part-{s:05d}.parquet"
        events.to_parquet(path, index=False)
        shards.append(path.name)
    found["bots"] = spec.faults.bots
    found["items_without_text"] = int((items["title"] == "").sum())
    written: dict[str, Any] = {"spec": asdict(spec), "events": shards, "items": "items.parquet", "faults": found}
    (folder / "synth.json").write_text(json.dumps(written, indent=2) + "\n")
    return written
