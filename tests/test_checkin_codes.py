"""Rotating check-in codes, check-in windows and the outcome a consultant is told."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from attendance.codes import (
    ALPHABET,
    CODE_LENGTH,
    CheckinOutcome,
    CheckinPolicy,
    checkin_status,
    code_for,
    current_step,
    evaluate_checkin,
    find_session_for_code,
    normalise_code,
    seconds_until_rotation,
    verify_code,
    window_state,
)
from attendance.zones import format_date_id

SECRET = b"test-secret-not-for-production"
INTERVAL = 60
WIB, WITA, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), ZoneInfo("Asia/Jayapura")

# A step boundary: 2022-06-02 02:00:00 UTC is a whole number of minutes since the epoch.
T0 = datetime(2022, 6, 2, 2, 0, tzinfo=UTC)
S0 = int(T0.timestamp()) // INTERVAL


def us(n: int) -> timedelta:
    return timedelta(microseconds=n)


# --------------------------------------------------------------------------- the code itself


def test_alphabet_is_unambiguous_and_unbiased():
    assert len(ALPHABET) == 32 == len(set(ALPHABET))
    assert not set("0O1I") & set(ALPHABET)
    assert ALPHABET == ALPHABET.upper()


@pytest.mark.parametrize("step", [0, 1, S0, S0 + 1, 10**9])
@pytest.mark.parametrize("session_id", [1, 2, 987654])
def test_code_shape(session_id, step):
    code = code_for(SECRET, session_id, step)
    assert len(code) == CODE_LENGTH == 6
    assert set(code) <= set(ALPHABET)


def test_code_is_deterministic_and_depends_on_every_input():
    code = code_for(SECRET, 7, S0)
    assert code == code_for(SECRET, 7, S0)
    assert code != code_for(SECRET, 8, S0)
    assert code != code_for(SECRET, 7, S0 + 1)
    assert code != code_for(b"another-secret", 7, S0)


def test_codes_use_the_whole_alphabet_and_rarely_repeat():
    codes = [code_for(SECRET, 1, s) for s in range(2000)]
    assert set("".join(codes)) == set(ALPHABET)
    assert len(set(codes)) >= 1995


@pytest.mark.parametrize("secret", [b"", "text-not-bytes"])
def test_secret_must_be_non_empty_bytes(secret):
    with pytest.raises(ValueError):
        code_for(secret, 1, 1)


# --------------------------------------------------------------------------- steps and rotation


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (T0, S0),
        (T0 - us(1), S0 - 1),
        (T0 + timedelta(seconds=59, microseconds=999_999), S0),
        (T0 + timedelta(seconds=60), S0 + 1),
        (datetime(1970, 1, 1, tzinfo=UTC), 0),
    ],
)
def test_current_step_at_boundaries(now, expected):
    assert current_step(now, INTERVAL) == expected


def test_code_rotates_exactly_at_the_step_boundary():
    before = code_for(SECRET, 1, current_step(T0 - us(1), INTERVAL))
    at = code_for(SECRET, 1, current_step(T0, INTERVAL))
    assert before != at
    assert at == code_for(SECRET, 1, current_step(T0 + timedelta(seconds=59), INTERVAL))


@pytest.mark.parametrize("zone", [UTC, WIB, WITA, WIT])
def test_step_is_the_same_instant_whatever_the_zone(zone):
    local = T0.astimezone(zone) + timedelta(seconds=30)
    assert current_step(local, INTERVAL) == S0
    code = code_for(SECRET, 3, S0)
    assert verify_code(SECRET, 3, code, local, INTERVAL)


def test_seconds_until_rotation():
    assert seconds_until_rotation(T0, INTERVAL) == 60
    assert seconds_until_rotation(T0 + timedelta(seconds=45, milliseconds=500), INTERVAL) == 14.5


@pytest.mark.parametrize("interval", [0, -30])
def test_interval_must_be_positive(interval):
    with pytest.raises(ValueError):
        current_step(T0, interval)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        current_step(datetime(2022, 6, 2, 9, 0), INTERVAL)


# --------------------------------------------------------------------------- verification


@pytest.mark.parametrize(
    ("offset", "grace", "accepted"),
    [
        (timedelta(0), 1, True),
        (timedelta(seconds=59, microseconds=999_999), 1, True),
        (timedelta(seconds=60), 1, True),  # next step, inside the one-step grace
        (timedelta(seconds=119, microseconds=999_999), 1, True),
        (timedelta(seconds=120), 1, False),  # two steps later: gone
        (timedelta(seconds=60), 0, False),  # no grace: only the current step
        (timedelta(seconds=59), 0, True),
        (timedelta(seconds=179), 2, True),
        (timedelta(seconds=180), 2, False),
        (-us(1), 1, False),  # a code from the future is never accepted
    ],
)
def test_grace_edges(offset, grace, accepted):
    shown = code_for(SECRET, 5, S0)  # displayed from T0 to T0+59.999s
    assert verify_code(SECRET, 5, shown, T0 + offset, INTERVAL, grace_steps=grace) is accepted


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: c,
        lambda c: c.lower(),
        lambda c: f"{c[:3]}-{c[3:]}",
        lambda c: f" {c[:2]} {c[2:4]} {c[4:]} ",
        lambda c: f"{c[:3].lower()}\u2013{c[3:]}\n",
        lambda c: "".join(chr(ord(ch) + 0xFEE0) for ch in c),  # full-width keyboard
    ],
)
def test_typing_variants_are_accepted(typed):
    code = code_for(SECRET, 5, S0)
    assert verify_code(SECRET, 5, typed(code), T0, INTERVAL)


@pytest.mark.parametrize("typed", ["", "ABC", "ABCDEFG", "ABCDE0", "ABCDEI", "******", "ＡＢＣ"])
def test_impossible_codes_are_rejected(typed):
    assert verify_code(SECRET, 5, typed, T0, INTERVAL) is False


def test_wrong_session_code_is_rejected():
    assert not verify_code(SECRET, 5, code_for(SECRET, 6, S0), T0, INTERVAL)


def test_normalise_code():
    assert normalise_code(" ab-c d\tef ") == "ABCDEF"


def test_find_session_for_code():
    code = code_for(SECRET, 12, S0)
    assert find_session_for_code(SECRET, code, T0, [10, 11, 12, 13], INTERVAL) == 12
    assert find_session_for_code(SECRET, code, T0, [10, 11], INTERVAL) is None


# --------------------------------------------------------------------------- windows and lateness

START = datetime(2022, 6, 2, 2, 0, tzinfo=UTC)  # 09.00 WIB
END = datetime(2022, 6, 2, 4, 0, tzinfo=UTC)  # 11.00 WIB


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START - timedelta(minutes=15) - us(1), "before"),
        (START - timedelta(minutes=15), "open"),
        (START, "open"),
        (END, "open"),
        (END + timedelta(minutes=30), "open"),
        (END + timedelta(minutes=30) + us(1), "after"),
    ],
)
def test_window_edges_are_inclusive(now, expected):
    assert window_state(now, START, END, 15, 30) == expected


def test_window_with_zero_margins():
    assert window_state(START, START, END, 0, 0) == "open"
    assert window_state(START - us(1), START, END, 0, 0) == "before"
    assert window_state(END + us(1), START, END, 0, 0) == "after"


def test_window_rejects_end_before_start():
    with pytest.raises(ValueError):
        window_state(START, END, START, 0, 0)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START - timedelta(minutes=10), "present"),
        (START + timedelta(minutes=15), "present"),
        (START + timedelta(minutes=15) + us(1), "late"),
        (END, "late"),
    ],
)
def test_checkin_status_threshold(now, expected):
    assert checkin_status(now, START, 15) == expected


# --------------------------------------------------------------------------- evaluate_checkin

POLICY = CheckinPolicy(
    interval_s=60,
    grace_steps=1,
    expired_steps=10,
    margin_before_min=15,
    margin_after_min=30,
    late_after_min=15,
)
BEFORE, AFTER = CheckinOutcome.OUTSIDE_WINDOW_BEFORE, CheckinOutcome.OUTSIDE_WINDOW_AFTER


def code_at(session_id: int, when: datetime) -> str:
    return code_for(SECRET, session_id, current_step(when, POLICY.interval_s))


@pytest.mark.parametrize(
    ("code_time", "now", "others", "expected"),
    [
        (START, START, (), CheckinOutcome.OK),
        (START - timedelta(minutes=15), START - timedelta(minutes=15), (), CheckinOutcome.OK),
        (START + timedelta(minutes=16), START + timedelta(minutes=16), (), CheckinOutcome.LATE),
        (START + timedelta(minutes=15), START + timedelta(minutes=15, seconds=61), (), CheckinOutcome.LATE),
        # two steps old: beyond grace, but recent enough to say "expired" rather than "wrong"
        (START, START + timedelta(minutes=2), (), CheckinOutcome.EXPIRED_CODE),
        (START, START + timedelta(minutes=10, seconds=59), (), CheckinOutcome.EXPIRED_CODE),
        (START, START + timedelta(minutes=11), (), CheckinOutcome.WRONG_CODE),
        (START - timedelta(minutes=20), START - timedelta(minutes=20), (), BEFORE),
        (END + timedelta(minutes=31), END + timedelta(minutes=31), (), AFTER),
        (END + timedelta(minutes=30), END + timedelta(minutes=30), (), CheckinOutcome.LATE),
    ],
)
def test_evaluate_checkin_for_this_session(code_time, now, others, expected):
    outcome = evaluate_checkin(SECRET, 1, code_at(1, code_time), now, START, END, POLICY, others)
    assert outcome == expected
    assert outcome.accepted is (expected in ("ok", "late"))


def test_random_text_is_wrong_code():
    assert evaluate_checkin(SECRET, 1, "hello!", START, START, END, POLICY) == "wrong_code"


def test_code_of_another_open_session():
    code = code_at(2, START)
    outcome = evaluate_checkin(SECRET, 1, code, START, START, END, POLICY, [2, 3])
    assert outcome == CheckinOutcome.OTHER_SESSION
    # Without the candidates it is just a wrong code.
    assert evaluate_checkin(SECRET, 1, code, START, START, END, POLICY) == CheckinOutcome.WRONG_CODE


def test_other_session_is_reported_even_when_this_session_is_closed():
    tomorrow = START + timedelta(days=1)
    code = code_at(2, START)
    outcome = evaluate_checkin(SECRET, 1, code, START, tomorrow, tomorrow + timedelta(hours=2), POLICY, [2])
    assert outcome == CheckinOutcome.OTHER_SESSION


def test_own_session_in_candidate_list_is_not_other_session():
    code = code_at(1, START)
    assert evaluate_checkin(SECRET, 1, code, START, START, END, POLICY, [1, 2]) == CheckinOutcome.OK


def test_window_is_checked_before_the_code():
    early = START - timedelta(hours=1)
    assert evaluate_checkin(SECRET, 1, "ZZZZZZ", early, START, END, POLICY) == "outside_window_before"


def test_outcome_is_a_plain_string():
    assert CheckinOutcome.EXPIRED_CODE == "expired_code"
    assert f"{CheckinOutcome.OTHER_SESSION}" == "other_session"


def test_default_policy_is_used_when_none_given():
    assert evaluate_checkin(SECRET, 1, code_at(1, START), START, START, END) == CheckinOutcome.OK


def test_policy_must_keep_expired_steps_beyond_grace():
    with pytest.raises(ValueError):
        policy = CheckinPolicy(grace_steps=3, expired_steps=2)
        evaluate_checkin(SECRET, 1, "ABCDEF", START, START, END, policy)


# --------------------------------------------------------------------------- a session across midnight in WIT

JPR_START = datetime(2022, 6, 2, 23, 0, tzinfo=WIT)  # Thursday 23.00 WIT = 14.00 UTC
JPR_END = datetime(2022, 6, 3, 1, 0, tzinfo=WIT)  # Friday 01.00 WIT = 16.00 UTC


def test_midnight_session_is_stored_as_one_utc_interval():
    assert JPR_START.astimezone(UTC) == datetime(2022, 6, 2, 14, 0, tzinfo=UTC)
    assert JPR_END.astimezone(UTC) == datetime(2022, 6, 2, 16, 0, tzinfo=UTC)
    assert format_date_id(JPR_END.astimezone(UTC), "Asia/Jayapura") == "Jumat, 3 Juni 2022"
    assert format_date_id(JPR_END.astimezone(UTC), "Asia/Jakarta") == "Kamis, 2 Juni 2022"


@pytest.mark.parametrize(
    ("local_now", "expected"),
    [
        (datetime(2022, 6, 2, 22, 45, tzinfo=WIT), "ok"),
        (datetime(2022, 6, 2, 23, 15, tzinfo=WIT), "ok"),
        (datetime(2022, 6, 2, 23, 45, tzinfo=WIT), "late"),
        (datetime(2022, 6, 3, 0, 30, tzinfo=WIT), "late"),
        (datetime(2022, 6, 3, 1, 30, tzinfo=WIT), "late"),
        (datetime(2022, 6, 3, 1, 30, 1, tzinfo=WIT), "outside_window_after"),
        (datetime(2022, 6, 2, 22, 44, 59, tzinfo=WIT), "outside_window_before"),
    ],
)
def test_midnight_session_checkins(local_now, expected):
    now = local_now.astimezone(UTC)
    start, end = JPR_START.astimezone(UTC), JPR_END.astimezone(UTC)
    outcome = evaluate_checkin(SECRET, 9, code_at(9, now), now, start, end, POLICY)
    assert outcome == expected


def test_code_shown_before_midnight_still_works_just_after():
    shown_at = datetime(2022, 6, 2, 23, 59, 30, tzinfo=WIT)
    typed_at = datetime(2022, 6, 3, 0, 0, 20, tzinfo=WIT)
    code = code_at(9, shown_at)
    assert verify_code(SECRET, 9, code, typed_at, INTERVAL, grace_steps=1)
    assert code != code_at(9, typed_at)


@pytest.mark.parametrize("zone", [WIB, WITA, WIT])
def test_window_does_not_depend_on_the_zone_datetimes_are_expressed_in(zone):
    now = datetime(2022, 6, 3, 0, 30, tzinfo=WIT).astimezone(zone)
    assert window_state(now, JPR_START.astimezone(zone), JPR_END, 15, 30) == "open"
    assert checkin_status(now, JPR_START.astimezone(zone), 15) == "late"
