"""Classical test theory on plain attempt data, so trainers can see which questions need rewriting.

Input is a list of attempts, each ``{"attempt_id", "total_percent",
"items": {question_id: {"fraction": 0..1, "chosen": [option keys]}}}``.

* Facility index = mean item fraction x 100 (Moodle's "facility index").
* Discrimination index = Pearson correlation between the item's fraction and the *rest-of-test* score
  of the same attempt, i.e. the mean fraction x 100 of the attempt's other items (the "corrected
  item-total correlation", as Moodle's discrimination index). Using the rest of the test, not the
  total, keeps an item from correlating with itself; using the mean, not the sum, keeps attempts
  with different drawn question sets comparable. Attempts with no other item are left out of it.
  It is None when fewer than two attempts qualify or either score has zero variance.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FACILITY_TOO_EASY = 90.0
FACILITY_TOO_HARD = 20.0
DISCRIMINATION_NEGATIVE = 0.0
DISCRIMINATION_LOW = 0.2

FLAG_TOO_EASY = "too_easy"
FLAG_TOO_HARD = "too_hard"
FLAG_NEGATIVE_DISCRIMINATION = "negative_discrimination"
FLAG_LOW_DISCRIMINATION = "low_discrimination"


@dataclass
class ItemStat:
    """Statistics for one question across attempts."""

    question_id: str
    n: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    option_counts: dict[str, int] = field(default_factory=dict)
    option_percent: dict[str, float] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


@dataclass
class ScoreSummary:
    """Whole-test summary of the attempts' total percents."""

    n: int
    mean: float | None
    median: float | None
    sd: float | None
    minimum: float | None
    maximum: float | None


@dataclass
class PersonGain:
    """One learner's pre/post comparison."""

    pre: float
    post: float
    gain: float
    normalized_gain: float | None


@dataclass
class LearningGain:
    """Per-person and cohort learning gain between a pretest and a posttest."""

    people: dict[Any, PersonGain]
    n: int
    mean_pre: float | None
    mean_post: float | None
    mean_gain: float | None
    mean_normalized_gain: float | None
    class_normalized_gain: float | None
    only_pre: list[Any]
    only_post: list[Any]


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Return Pearson's r, or None when it is undefined (n < 2 or a zero variance)."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def flags_for(facility: float | None, discrimination: float | None) -> list[str]:
    """Name what is wrong with an item; negative discrimination is not also reported as low."""
    flags = []
    if facility is not None:
        if facility > FACILITY_TOO_EASY:
            flags.append(FLAG_TOO_EASY)
        elif facility < FACILITY_TOO_HARD:
            flags.append(FLAG_TOO_HARD)
    if discrimination is not None:
        if discrimination < DISCRIMINATION_NEGATIVE:
            flags.append(FLAG_NEGATIVE_DISCRIMINATION)
        elif discrimination < DISCRIMINATION_LOW:
            flags.append(FLAG_LOW_DISCRIMINATION)
    return flags


def _fraction(item: Mapping[str, Any]) -> float:
    """Read an item's fraction, treating a missing one as 0 so one bad row does not break the report."""
    value = item.get("fraction")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def item_statistics(
    attempts: Sequence[Mapping[str, Any]],
    option_keys: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, ItemStat]:
    """Compute facility, discrimination, option frequencies and flags for every question seen.

    ``option_keys`` (question id -> keys) lists options nobody chose so they show up with 0.
    Questions appear in the order they are first met.
    """
    fractions: dict[str, list[float]] = {}
    pairs: dict[str, tuple[list[float], list[float]]] = {}
    counts: dict[str, dict[str, int]] = {}
    for qid, keys in (option_keys or {}).items():
        counts.setdefault(qid, {str(k): 0 for k in keys})
    for attempt in attempts:
        items = attempt.get("items") or {}
        item_fractions = {qid: _fraction(item) for qid, item in items.items()}
        total = sum(item_fractions.values())
        for qid, item in items.items():
            frac = item_fractions[qid]
            fractions.setdefault(qid, []).append(frac)
            per_option = counts.setdefault(qid, {})
            for key in dict.fromkeys(str(k) for k in item.get("chosen") or []):
                per_option[key] = per_option.get(key, 0) + 1
            if len(items) > 1:
                rest = 100.0 * (total - frac) / (len(items) - 1)
                xs, ys = pairs.setdefault(qid, ([], []))
                xs.append(frac)
                ys.append(rest)
    stats: dict[str, ItemStat] = {}
    for qid in dict.fromkeys([*fractions, *counts]):
        values = fractions.get(qid, [])
        n = len(values)
        facility = round(100.0 * sum(values) / n, 4) if n else None
        sd = round(100.0 * statistics.stdev(values), 4) if n >= 2 else None
        xs, ys = pairs.get(qid, ([], []))
        r = pearson(xs, ys)
        discrimination = round(r, 4) if r is not None else None
        option_counts = dict(counts.get(qid, {}))
        option_percent = {k: round(100.0 * c / n, 4) if n else 0.0 for k, c in option_counts.items()}
        stats[qid] = ItemStat(
            question_id=qid,
            n=n,
            facility=facility,
            sd=sd,
            discrimination=discrimination,
            option_counts=option_counts,
            option_percent=option_percent,
            flags=flags_for(facility, discrimination),
        )
    return stats


def score_summary(attempts: Sequence[Mapping[str, Any]]) -> ScoreSummary:
    """Summarise the attempts' ``total_percent`` values (sample standard deviation)."""
    totals = [float(a["total_percent"]) for a in attempts if a.get("total_percent") is not None]
    if not totals:
        return ScoreSummary(0, None, None, None, None, None)
    return ScoreSummary(
        n=len(totals),
        mean=round(statistics.fmean(totals), 4),
        median=round(statistics.median(totals), 4),
        sd=round(statistics.stdev(totals), 4) if len(totals) >= 2 else None,
        minimum=min(totals),
        maximum=max(totals),
    )


def normalized_gain(pre: float, post: float) -> float | None:
    """Hake's normalised gain (post - pre) / (100 - pre); None when there was nothing left to gain."""
    if pre >= 100.0:
        return None
    return (post - pre) / (100.0 - pre)


def learning_gain(pre: Mapping[Any, float], post: Mapping[Any, float]) -> LearningGain:
    """Compare pretest and posttest percents for the learners who sat both.

    ``mean_normalized_gain`` averages the individual gains (skipping learners with pre = 100);
    ``class_normalized_gain`` is Hake's <g> computed from the cohort means.
    """
    both = [uid for uid in pre if uid in post]
    people = {}
    for uid in both:
        p, q = float(pre[uid]), float(post[uid])
        g = normalized_gain(p, q)
        people[uid] = PersonGain(
            pre=p, post=q, gain=round(q - p, 4), normalized_gain=None if g is None else round(g, 4)
        )
    n = len(people)
    if not n:
        return LearningGain(people, 0, None, None, None, None, None,
                            [u for u in pre if u not in post], [u for u in post if u not in pre])
    mean_pre = statistics.fmean(p.pre for p in people.values())
    mean_post = statistics.fmean(p.post for p in people.values())
    gains = [p.normalized_gain for p in people.values() if p.normalized_gain is not None]
    class_g = normalized_gain(mean_pre, mean_post)
    return LearningGain(
        people=people,
        n=n,
        mean_pre=round(mean_pre, 4),
        mean_post=round(mean_post, 4),
        mean_gain=round(mean_post - mean_pre, 4),
        mean_normalized_gain=round(statistics.fmean(gains), 4) if gains else None,
        class_normalized_gain=None if class_g is None else round(class_g, 4),
        only_pre=[u for u in pre if u not in post],
        only_post=[u for u in post if u not in pre],
    )
