"""Certificate eligibility rules: every documented edge rule has a case here."""

from __future__ import annotations

import pytest

from certificates.rules import (
    Attempt,
    Evidence,
    Missing,
    Progress,
    Rule,
    Session,
    evaluate,
    merge_rule,
    percent_ge,
)

MODULES = [f"m{i}" for i in range(1, 10)]


def _only(evaluation, kind):
    reqs = [r for r in evaluation.requirements if r.kind == kind]
    assert len(reqs) == 1
    return reqs[0]


# --- nothing required -------------------------------------------------------------------------


def test_rule_with_nothing_required_is_met():
    result = evaluate(Rule(), Evidence())
    assert result.met is True
    assert result.requirements == []
    assert result.unmet == []


def test_empty_module_list_adds_no_requirement():
    assert evaluate(Rule(modules=[]), Evidence(course_modules=MODULES)).requirements == []


# --- modules ----------------------------------------------------------------------------------


def test_all_modules_progress_and_missing():
    ev = Evidence(course_modules=MODULES, completed_modules=set(MODULES[:7]))
    req = _only(evaluate(Rule(modules="all"), ev), "modules")
    assert not req.met
    assert str(req.progress) == "7/9"
    assert req.missing.modules == ("m8", "m9")
    assert req.evidence == tuple(MODULES[:7])
    assert req.label_params["all"] is True


def test_all_modules_completed():
    ev = Evidence(course_modules=MODULES, completed_modules=frozenset(MODULES) | {"old-module"})
    result = evaluate(Rule(modules="all"), ev)
    assert result.met
    assert not _only(result, "modules").missing


def test_all_modules_of_an_empty_version_is_met():
    req = _only(evaluate(Rule(modules="all"), Evidence()), "modules")
    assert req.met
    assert str(req.progress) == "0/0"


def test_explicit_modules_only_those_count():
    ev = Evidence(course_modules=MODULES, completed_modules={"m1", "m3"})
    assert evaluate(Rule(modules=["m1", "m3"]), ev).met
    assert not evaluate(Rule(modules=["m1", "m2"]), ev).met


def test_listed_module_missing_from_version_fails_closed():
    ev = Evidence(course_modules=MODULES, completed_modules=set(MODULES))
    req = _only(evaluate(Rule(modules=["m1", "retired"]), ev), "modules")
    assert not req.met
    assert req.missing.modules == ("retired",)
    assert req.label_params["unknown"] == ("retired",)
    assert req.missing.achievable is False


# --- quizzes and percent rounding -------------------------------------------------------------


@pytest.mark.parametrize(
    ("best", "minimum", "met"),
    [
        (70, 70, True),
        (69.999, 70, True),  # rounds to 70.00
        (69.995, 70, True),  # half up
        (69.994, 70, False),  # rounds to 69.99
        (69.99, 70, False),
        (100, 100, True),
        (0, 0, True),
        (85.5, 85.5, True),
        (85.49, 85.5, False),
    ],
)
def test_quiz_minimum_compared_at_two_decimals(best, minimum, met):
    ev = Evidence(quiz_results={"final": [(1, best, None)]})
    assert evaluate(Rule(quizzes={"final": minimum}), ev).met is met
    assert percent_ge(best, minimum) is met


def test_quiz_best_attempt_counts_and_is_the_evidence():
    ev = Evidence(
        quiz_results={"q1": [Attempt(11, 50.0, False), Attempt(12, 80.0, True), Attempt(13, 80.0, True)]},
        quiz_titles={"q1": "Titik kritis bahan"},
    )
    req = _only(evaluate(Rule(quizzes={"q1": 75}), ev), "quiz")
    assert req.met
    assert req.key == "q1"
    assert req.evidence == (12,)  # earliest of the tied best attempts
    assert req.label_params["title"] == "Titik kritis bahan"
    assert req.label_params["min_percent"] == 75
    assert str(req.progress) == "80%"


def test_quiz_points_needed_and_passed_flag_ignored():
    ev = Evidence(quiz_results={"q1": [(1, 62.0, True)]})
    req = _only(evaluate(Rule(quizzes={"q1": 70}), ev), "quiz")
    assert not req.met  # the rule's minimum wins over the engine's own pass flag
    assert req.missing.points == 8.0
    assert str(req.progress) == "62%"


def test_quiz_without_attempts_needs_whole_minimum_and_an_attempt():
    req = _only(evaluate(Rule(quizzes={"q1": 70}), Evidence()), "quiz")
    assert not req.met
    assert req.missing.points == 70.0
    assert req.missing.attempts == 1
    assert req.evidence == ()
    assert req.label_params["title"] == "q1"  # falls back to the slug


def test_quiz_with_zero_minimum_still_needs_a_graded_attempt():
    assert not evaluate(Rule(quizzes={"q1": 0}), Evidence()).met
    assert evaluate(Rule(quizzes={"q1": 0}), Evidence(quiz_results={"q1": [(5, 0, False)]})).met


def test_ungraded_attempts_count_for_nothing_but_are_listed():
    ev = Evidence(quiz_results={"essay": [(7, None, None), (8, 40.0, None)]})
    req = _only(evaluate(Rule(quizzes={"essay": 60}), ev), "quiz")
    assert not req.met
    assert req.missing.awaiting_grading == (7,)
    assert req.evidence == (8,)


def test_every_quiz_must_pass():
    ev = Evidence(quiz_results={"a": [(1, 90, True)], "b": [(2, 50, False)]})
    result = evaluate(Rule(quizzes={"a": 70, "b": 70}), ev)
    assert not result.met
    assert [r.key for r in result.unmet] == ["b"]


# --- attendance -------------------------------------------------------------------------------


def _s(i, status, scheduled=60, present=None):
    return Session(i, f"Sesi {i}", scheduled, status, present)


@pytest.mark.parametrize(
    ("statuses", "minimum", "met", "pct"),
    [
        (["present"] * 4, 100, True, 100),
        (["present", "present", "present", "absent"], 75, True, 75),
        (["present", "present", "absent", "absent"], 75, False, 50),
        (["present", "late", "late", "absent"], 75, True, 75),  # late counts as attended
        (["present", "present", "present", "excused"], 100, True, 100),  # Izin leaves the denominator
        (["present", "present", "absent", "excused"], 66.67, True, 66.67),  # 2/3 = 66.666... -> 66.67
        (["present", "present", "absent", "excused"], 66.68, False, 66.67),
        (["excused", "excused"], 80, True, 100),  # nothing left to attend
        ([], 80, True, 100),  # zero sessions scheduled
        (["present", None, None, None], 50, False, 25),  # unrecorded sessions count as not attended
    ],
)
def test_attendance_by_sessions(statuses, minimum, met, pct):
    ev = Evidence(sessions=[_s(i, st) for i, st in enumerate(statuses, 1)])
    req = _only(evaluate(Rule(attendance_percent=minimum), ev), "attendance")
    assert req.met is met
    assert req.progress.done == pct
    assert req.progress.unit == "percent"


def test_attendance_evidence_and_sessions_needed():
    ev = Evidence(
        sessions=[_s(1, "present"), _s(2, "late"), _s(3, "absent"), _s(4, None), _s(5, None), _s(6, "excused")]
    )
    req = _only(evaluate(Rule(attendance_percent=80), ev), "attendance")
    assert not req.met
    assert req.evidence == (1, 2)
    assert req.label_params["counted"] == 5
    assert req.label_params["excused"] == 1
    assert req.missing.sessions == 2  # 4 of 5 = 80 %
    assert req.missing.achievable is True


def test_attendance_gap_that_remaining_sessions_cannot_close():
    ev = Evidence(sessions=[_s(1, "absent"), _s(2, "absent"), _s(3, "present"), _s(4, None)])
    req = _only(evaluate(Rule(attendance_percent=75), ev), "attendance")
    assert req.missing.sessions == 2
    assert req.missing.achievable is False


@pytest.mark.parametrize(
    ("sessions", "minimum", "met", "pct"),
    [
        ([_s(1, "present", 120, 120), _s(2, "present", 120, 60)], 75, True, 75),
        ([_s(1, "late", 120, 90), _s(2, "absent", 120, 120)], 40, False, 37.5),  # absent ignores minutes
        ([_s(1, "present", 100, None)], 100, True, 100),  # unrecorded minutes: full session
        ([_s(1, "present", 100, 500)], 100, True, 100),  # clamped to the scheduled length
        ([_s(1, "excused", 100), _s(2, "present", 50, 25)], 50, True, 50),
        ([_s(1, "present", 0, 0)], 90, True, 100),  # zero minutes scheduled
    ],
)
def test_attendance_by_minutes(sessions, minimum, met, pct):
    rule = Rule(attendance_percent=minimum, attendance_basis="minutes")
    req = _only(evaluate(rule, Evidence(sessions=sessions)), "attendance")
    assert req.met is met
    assert req.progress.done == pct


def test_attendance_minutes_needed():
    ev = Evidence(sessions=[_s(1, "present", 100, 50), _s(2, None, 100)])
    req = _only(evaluate(Rule(attendance_percent=75, attendance_basis="minutes"), ev), "attendance")
    assert req.missing.minutes == 100
    assert req.missing.achievable is True


def test_unknown_attendance_status_is_refused():
    with pytest.raises(ValueError, match="unknown attendance status"):
        evaluate(Rule(attendance_percent=50), Evidence(sessions=[_s(1, "hadir")]))


# --- post-test --------------------------------------------------------------------------------


def test_posttest_by_pass_flag():
    rule = Rule(posttest_required=True)
    req = _only(evaluate(rule, Evidence(posttest_attempts=[(1, 55.0, False), (2, None, None)])), "posttest")
    assert not req.met
    assert req.missing.attempts == 1
    assert req.missing.awaiting_grading == (2,)
    req = _only(evaluate(rule, Evidence(posttest_attempts=[(1, 55.0, False), (3, 91.0, True)])), "posttest")
    assert req.met
    assert req.evidence == (3,)


def test_posttest_by_percent():
    rule = Rule(posttest_required=True, posttest_min_percent=80)
    assert evaluate(rule, Evidence(posttest_attempts=[(1, 79.999, False)])).met
    req = _only(evaluate(rule, Evidence(posttest_attempts=[(1, 72.5, True)])), "posttest")
    assert not req.met
    assert req.missing.points == 7.5


def test_everything_together():
    rule = Rule(
        modules="all", quizzes={"q1": 70}, attendance_percent=80, posttest_required=True, posttest_min_percent=70
    )
    ev = Evidence(
        course_modules=MODULES,
        completed_modules=MODULES,
        quiz_results={"q1": [(1, 70, True)]},
        sessions=[_s(1, "present"), _s(2, "late"), _s(3, "present"), _s(4, "present"), _s(5, "excused")],
        posttest_attempts=[(9, 88, True)],
    )
    result = evaluate(rule, ev)
    assert result.met
    assert [r.kind for r in result.requirements] == ["modules", "quiz", "attendance", "posttest"]


# --- small types ------------------------------------------------------------------------------


def test_progress_and_missing_render():
    assert str(Progress(7, 9, "count")) == "7/9"
    assert str(Progress(62.5, 70, "percent")) == "62.5%"
    assert not Missing()
    assert Missing(points=0.5)


# --- rule validation and merging --------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"modules": "some"},
        {"modules": [""]},
        {"quizzes": {"q": 101}},
        {"quizzes": {"q": "70"}},
        {"quizzes": {"q": True}},
        {"attendance_percent": -1},
        {"attendance_percent": float("nan")},
        {"attendance_basis": "hours"},
        {"posttest_required": "yes"},
        {"posttest_min_percent": 120},
    ],
)
def test_invalid_rules_are_refused(kwargs):
    with pytest.raises(ValueError):
        Rule(**kwargs)


def test_merge_rule_override_replaces_individual_keys():
    course = {"modules": "all", "quizzes": {"q1": 70, "q2": 60}, "attendance_percent": 80, "posttest_required": True}
    rule = merge_rule(course, {"attendance_percent": 90, "quizzes": {"q1": 75}})
    assert rule.modules == "all"
    assert rule.quizzes == {"q1": 75}  # replaced wholesale, q2 dropped
    assert rule.attendance_percent == 90
    assert rule.attendance_basis == "sessions"
    assert rule.posttest_required is True


def test_merge_rule_none_override_and_explicit_none():
    course = {"modules": ["m1"], "attendance_percent": 80, "attendance_basis": "minutes"}
    assert merge_rule(course, None) == Rule(modules=("m1",), attendance_percent=80, attendance_basis="minutes")
    assert merge_rule(course, {"attendance_percent": None}).attendance_percent is None
    assert merge_rule({}, {}) == Rule()


@pytest.mark.parametrize(
    ("course", "override"),
    [({"module": "all"}, None), ({}, {"attendance": 80}), ({}, {"quizzes": {"q": 200}}), ({}, ["modules"])],
)
def test_merge_rule_rejects_unknown_keys_and_bad_values(course, override):
    with pytest.raises(ValueError):
        merge_rule(course, override)
