"""Item analysis and learning gain on small datasets worked out by hand."""

from __future__ import annotations

import math

import pytest

from quizzes.itemstats import (
    DISCRIMINATION_LOW,
    FACILITY_TOO_EASY,
    FACILITY_TOO_HARD,
    flags_for,
    item_statistics,
    learning_gain,
    normalized_gain,
    pearson,
    score_summary,
)


def attempt(attempt_id: str, **fractions: float | tuple[float, list[str]]) -> dict:
    """Build an attempt; a value is a fraction or (fraction, chosen keys)."""
    items = {}
    for qid, value in fractions.items():
        frac, chosen = value if isinstance(value, tuple) else (value, [])
        items[qid] = {"fraction": frac, "chosen": chosen}
    total = 100.0 * sum(i["fraction"] for i in items.values()) / len(items)
    return {"attempt_id": attempt_id, "total_percent": total, "items": items}


# Four attempts, three items. By hand (rest-of-test = mean of the other two items x 100):
#   q1 = [1, 1, 0, 1], rest = [50, 0, 100, 100]  -> r = -37.5 / sqrt(0.75 * 6875) = -0.5222
#   q2 = [1, 0, 1, 1], rest = [50, 50, 50, 100]  -> r =  12.5 / sqrt(0.75 * 1875) =  0.3333
#   q3 = [0, 0, 1, 1], rest = [100, 50, 50, 100] -> r =   0 / ...                 =  0.0
DATASET = [
    attempt("A1", q1=(1.0, ["b"]), q2=(1.0, ["a", "c"]), q3=0.0),
    attempt("A2", q1=(1.0, ["b"]), q2=(0.0, ["d"]), q3=0.0),
    attempt("A3", q1=(0.0, ["a"]), q2=(1.0, ["a", "c"]), q3=1.0),
    attempt("A4", q1=(1.0, ["b"]), q2=(1.0, ["a", "c"]), q3=1.0),
]


@pytest.fixture(scope="module")
def stats():
    return item_statistics(DATASET)


def test_facility_index(stats):
    assert [stats[q].facility for q in ("q1", "q2", "q3")] == [75.0, 75.0, 50.0]
    assert all(stats[q].n == 4 for q in ("q1", "q2", "q3"))


def test_discrimination_against_rest_of_test(stats):
    assert stats["q1"].discrimination == pytest.approx(-37.5 / math.sqrt(0.75 * 6875), abs=1e-4)
    assert stats["q2"].discrimination == pytest.approx(1 / 3, abs=1e-4)
    assert stats["q3"].discrimination == 0.0


def test_flags(stats):
    assert stats["q1"].flags == ["negative_discrimination"]
    assert stats["q2"].flags == []
    assert stats["q3"].flags == ["low_discrimination"]


def test_standard_deviation_is_sample_sd_in_percent(stats):
    # q3 fractions 0, 0, 1, 1: sample variance 1/3.
    assert stats["q3"].sd == pytest.approx(100 * math.sqrt(1 / 3), abs=1e-3)


def test_option_frequencies(stats):
    assert stats["q1"].option_counts == {"b": 3, "a": 1}
    assert stats["q1"].option_percent == {"b": 75.0, "a": 25.0}
    assert stats["q2"].option_counts == {"a": 3, "c": 3, "d": 1}
    assert stats["q3"].option_counts == {}


def test_option_keys_list_options_nobody_chose():
    stats = item_statistics(DATASET, option_keys={"q1": ["a", "b", "c", "d"]})
    assert stats["q1"].option_counts == {"a": 1, "b": 3, "c": 0, "d": 0}
    assert stats["q1"].option_percent["c"] == 0.0


def test_item_order_follows_first_appearance(stats):
    assert list(stats) == ["q1", "q2", "q3"]


def test_zero_variance_gives_no_discrimination_and_no_division_error():
    data = [attempt(f"A{i}", easy=1.0, hard=0.0, mid=i % 2) for i in range(6)]
    stats = item_statistics(data)
    assert stats["easy"].facility == 100.0
    assert stats["easy"].discrimination is None
    assert stats["easy"].flags == ["too_easy"]
    assert stats["hard"].facility == 0.0
    assert stats["hard"].flags == ["too_hard"]
    assert stats["hard"].sd == 0.0
    # "mid" varies but its rest-of-test score (easy + hard) never does.
    assert stats["mid"].discrimination is None


def test_single_attempt():
    stats = item_statistics([attempt("only", q1=1.0, q2=0.5)])
    assert stats["q1"].n == 1
    assert stats["q1"].facility == 100.0
    assert stats["q1"].sd is None
    assert stats["q1"].discrimination is None
    assert stats["q2"].facility == 50.0


def test_no_attempts():
    assert item_statistics([]) == {}
    assert item_statistics([], option_keys={"q1": ["a"]})["q1"].n == 0
    assert item_statistics([], option_keys={"q1": ["a"]})["q1"].facility is None


def test_attempts_with_a_single_item_are_left_out_of_discrimination_only():
    data = [*DATASET, {"attempt_id": "solo", "total_percent": 0.0, "items": {"q1": {"fraction": 0.0}}}]
    stats = item_statistics(data)
    assert stats["q1"].n == 5
    assert stats["q1"].facility == 60.0
    assert stats["q1"].discrimination == pytest.approx(-0.5222, abs=1e-4)


def test_partial_fractions_and_drawn_question_sets():
    data = [
        {"attempt_id": "1", "total_percent": 75, "items": {"a": {"fraction": 0.5}, "b": {"fraction": 1.0}}},
        {"attempt_id": "2", "total_percent": 25, "items": {"a": {"fraction": 0.0}, "c": {"fraction": 0.5}}},
        {"attempt_id": "3", "total_percent": 100, "items": {"a": {"fraction": 1.0}, "c": {"fraction": 1.0}}},
    ]
    stats = item_statistics(data)
    assert stats["a"].facility == 50.0
    # a = [0.5, 0, 1] against rest [100, 50, 100]
    assert stats["a"].discrimination == pytest.approx(pearson([0.5, 0, 1], [100, 50, 100]), abs=1e-4)
    assert stats["b"].n == 1 and stats["c"].n == 2


@pytest.mark.parametrize(("facility", "discrimination", "flags"), [
    (FACILITY_TOO_EASY + 0.1, 0.5, ["too_easy"]),
    (FACILITY_TOO_EASY, 0.5, []),
    (FACILITY_TOO_HARD - 0.1, 0.5, ["too_hard"]),
    (FACILITY_TOO_HARD, 0.5, []),
    (50.0, -0.01, ["negative_discrimination"]),
    (50.0, 0.0, ["low_discrimination"]),
    (50.0, DISCRIMINATION_LOW - 0.01, ["low_discrimination"]),
    (50.0, DISCRIMINATION_LOW, []),
    (95.0, -0.3, ["too_easy", "negative_discrimination"]),
])
def test_flag_thresholds(facility, discrimination, flags):
    assert flags_for(facility, discrimination) == flags


def test_pearson_edge_cases():
    assert pearson([1.0], [2.0]) is None
    assert pearson([1.0, 1.0], [2.0, 3.0]) is None
    assert pearson([1.0, 2.0], [2.0, 4.0]) == pytest.approx(1.0)
    assert pearson([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == pytest.approx(-1.0)


def test_score_summary():
    summary = score_summary(DATASET)
    # totals: A1 66.67, A2 33.33, A3 66.67, A4 100
    assert summary.n == 4
    assert summary.mean == pytest.approx(66.6667, abs=1e-3)
    assert summary.median == pytest.approx(66.6667, abs=1e-3)
    assert summary.minimum == pytest.approx(33.3333, abs=1e-3)
    assert summary.maximum == 100.0
    assert summary.sd == pytest.approx(27.2166, abs=1e-3)
    assert score_summary([]).mean is None
    assert score_summary(DATASET[:1]).sd is None


# ---------------------------------------------------------------------------------------------------------
# learning gain


def test_learning_gain_per_person_and_cohort():
    pre = {"u1": 40.0, "u2": 100.0, "u3": 60.0, "u4": 50.0}
    post = {"u1": 70.0, "u2": 90.0, "u3": 80.0, "u5": 90.0}
    result = learning_gain(pre, post)
    assert result.n == 3
    assert result.people["u1"].gain == 30.0
    assert result.people["u1"].normalized_gain == 0.5
    assert result.people["u2"].gain == -10.0
    assert result.people["u2"].normalized_gain is None  # pre = 100: nothing left to gain
    assert result.people["u3"].normalized_gain == 0.5
    assert result.mean_pre == pytest.approx(66.6667, abs=1e-4)
    assert result.mean_post == 80.0
    assert result.mean_gain == pytest.approx(13.3333, abs=1e-4)
    assert result.mean_normalized_gain == 0.5
    assert result.class_normalized_gain == pytest.approx(0.4, abs=1e-4)
    assert result.only_pre == ["u4"]
    assert result.only_post == ["u5"]


def test_learning_gain_negative_and_empty():
    result = learning_gain({"a": 80.0}, {"a": 60.0})
    assert result.people["a"].normalized_gain == -1.0
    empty = learning_gain({"a": 10.0}, {"b": 20.0})
    assert empty.n == 0
    assert empty.mean_gain is None
    assert empty.mean_normalized_gain is None
    assert (empty.only_pre, empty.only_post) == (["a"], ["b"])


def test_learning_gain_everyone_perfect_on_pretest():
    result = learning_gain({"a": 100.0, "b": 100.0}, {"a": 100.0, "b": 90.0})
    assert result.mean_normalized_gain is None
    assert result.class_normalized_gain is None


@pytest.mark.parametrize(("pre", "post", "gain"), [
    (0.0, 100.0, 1.0), (50.0, 75.0, 0.5), (99.0, 100.0, 1.0), (100.0, 100.0, None), (20.0, 20.0, 0.0),
])
def test_normalized_gain(pre, post, gain):
    assert normalized_gain(pre, post) == (pytest.approx(gain) if gain is not None else None)
