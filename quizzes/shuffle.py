"""Deterministic shuffles and draws: the display order of an attempt and the questions drawn from a bank.

Pure functions like :mod:`quizzes.grading` (which re-exports them): the order comes from hashing a seed,
so the same seed gives the same plan in any process and a stored attempt reviews stably.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

TAG_MATCH_MODES = ("any", "all")

# ---------------------------------------------------------------------------------------------------------
# Deterministic shuffles and draws


def _hash_key(seed: Any, *parts: Any) -> str:
    """Hash a seed and labels into a sort key: stable across processes and Python versions (not secret)."""
    raw = "\x1f".join(str(p) for p in (seed, *parts))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def shuffle_plan(
    question_ids: Sequence[str],
    option_counts: Mapping[str, int] | Sequence[int],
    seed: int | str,
    shuffle_questions: bool,
    shuffle_options: bool,
    groups: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """Return the display order for one attempt, the same for the same seed, so a stored draw reviews stably.

    The plan is JSON-ready: ``{"seed", "questions": [ids in display order],
    "options": {id: [canonical option indices in display order]}}``. Questions sharing a ``groups`` value
    (a case study) stay together in file order; each question's options are shuffled independently of the
    others, so adding a question to a quiz does not reorder the options of the rest.
    """
    if isinstance(option_counts, Mapping):
        counts = {qid: int(option_counts.get(qid, 0) or 0) for qid in question_ids}
    else:
        counts = {qid: int(n or 0) for qid, n in zip(question_ids, option_counts, strict=True)}
    units: list[list[str]] = []
    unit_of_group: dict[str, list[str]] = {}
    for qid in question_ids:
        group = (groups or {}).get(qid)
        if group:
            if group not in unit_of_group:
                unit_of_group[group] = []
                units.append(unit_of_group[group])
            unit_of_group[group].append(qid)
        else:
            units.append([qid])
    if shuffle_questions:
        units.sort(key=lambda unit: _hash_key(seed, "question", unit[0]))
    order = [qid for unit in units for qid in unit]
    options: dict[str, list[int]] = {}
    for qid in question_ids:
        indices = list(range(counts[qid]))
        if shuffle_options:
            indices.sort(key=lambda i, qid=qid: _hash_key(seed, "option", qid, i))
        options[qid] = indices
    return {"seed": str(seed), "questions": order, "options": options}


def apply_shuffle_plan(
    questions: Sequence[Mapping[str, Any]], plan: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Return copies of the questions in the plan's display order, options reordered (keys unchanged)."""
    by_id = {q["id"]: q for q in questions}
    shown = []
    for qid in plan["questions"]:
        if qid not in by_id:
            continue
        question = dict(by_id[qid])
        opts = question.get("options")
        order = plan.get("options", {}).get(qid)
        if isinstance(opts, list) and order is not None and sorted(order) == list(range(len(opts))):
            question["options"] = [opts[i] for i in order]
        shown.append(question)
    return shown


def questions_with_tags(
    bank: Iterable[Mapping[str, Any]], tags: Iterable[str] | None, match: str = "any"
) -> list[Mapping[str, Any]]:
    """Select bank questions by tag: ``any`` = has at least one of the tags, ``all`` = has every tag.

    No tags selects the whole bank. Duplicate ids keep their first occurrence.
    """
    if match not in TAG_MATCH_MODES:
        raise ValueError(f"unknown tag match mode {match!r}")
    wanted = set(tags or [])
    seen: set[str] = set()
    found = []
    for question in bank:
        qid = str(question.get("id"))
        if qid in seen:
            continue
        have = set(question.get("tags") or [])
        if not wanted or (wanted & have if match == "any" else wanted <= have):
            seen.add(qid)
            found.append(question)
    return found


def draw_questions(
    bank: Sequence[Mapping[str, Any]],
    count: int,
    tags: Iterable[str] | None,
    seed: int | str,
    match: str = "any",
) -> list[Mapping[str, Any]]:
    """Draw ``count`` questions carrying the tags, in a random order fixed by ``seed``.

    Each question's rank comes from hashing the seed with its id, so the draw for a seed does not depend
    on bank order, and adding a question to the bank changes a stored draw only if the new one ranks in.
    Returns every candidate when fewer than ``count`` exist.
    """
    candidates = questions_with_tags(bank, tags, match)
    ranked = sorted(candidates, key=lambda q: _hash_key(seed, "draw", q.get("id")))
    return ranked[: max(0, int(count))]
