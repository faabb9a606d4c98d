"""Certificate numbers (safe patterns) and verification codes (entropy, normalisation)."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest

from certificates.numbering import (
    ALPHABET,
    CODE_BITS,
    CODE_LENGTH,
    PatternError,
    display_code,
    format_number,
    new_verification_code,
    normalise_code,
    validate_pattern,
)

# --- certificate numbers ----------------------------------------------------------------------


def test_default_style_pattern():
    assert format_number("BH/{year}/{month:02d}/{seq:04d}", year=2022, month=6, seq=1) == "BH/2022/06/0001"


def test_codes_and_wide_sequences():
    number = format_number(
        "{course_code}-{cohort_code}/{year}/{seq:05d}",
        year=2024,
        month=1,
        seq=123456,
        cohort_code="JATIM3",
        course_code="SD",
    )
    assert number == "SD-JATIM3/2024/123456"


@pytest.mark.parametrize(
    "pattern",
    [
        "{0.__class__}",
        "{seq.__class__}",
        "{seq.__class__.__mro__}",
        "{year.real}",
        "{seq[0]}",
        "{cohort_code[0]}",
        "{}",
        "{0}",
        "{__class__}",
        "{seq!r}",
        "{seq!s}",
        "{seq:>{year}}",  # nested field in the spec
        "{seq:x<99}",  # fill and alignment
        "{seq:,}",
        "{seq:099999999d}",
        "{cohort_code:>40}",
        "{foo}/{seq}",
        "BH/{year}",  # no {seq}: numbers would repeat
        "BH/{seq",
        "BH/{seq}}",
        "BH/<{seq}>",
        "BH/{{seq}}",
        "",
        "   ",
        "X" * 81 + "{seq}",
    ],
)
def test_unsafe_or_useless_patterns_are_rejected(pattern):
    with pytest.raises(PatternError):
        validate_pattern(pattern)
    with pytest.raises(PatternError):
        format_number(pattern, year=2022, month=6, seq=1)


def test_pattern_error_is_a_value_error():
    assert issubclass(PatternError, ValueError)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"month": 13},
        {"month": 0},
        {"seq": -1},
        {"year": 20222},
        {"cohort_code": "A/B"},
        {"course_code": "{seq}"},
        {"cohort_code": "X" * 21},
    ],
)
def test_bad_values_are_rejected(kwargs):
    values = {"year": 2022, "month": 6, "seq": 1, **kwargs}
    with pytest.raises(ValueError):
        format_number("{cohort_code}{course_code}/{year}/{month}/{seq}", **values)


@pytest.mark.parametrize("bad", [True, 1.0, "1"])
def test_non_int_numbers_are_rejected(bad):
    with pytest.raises(TypeError):
        format_number("{seq}", year=2022, month=6, seq=bad)


# --- verification codes -----------------------------------------------------------------------


def test_code_has_at_least_128_random_bits():
    code = new_verification_code()
    assert len(code) == CODE_LENGTH >= 26
    assert set(code) <= set(ALPHABET)
    assert len(ALPHABET) == 32
    assert CODE_BITS == CODE_LENGTH * math.log2(len(ALPHABET)) >= 128


def test_ten_thousand_codes_are_unique_and_use_the_whole_alphabet():
    codes = [new_verification_code() for _ in range(10_000)]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == CODE_LENGTH for c in codes)
    # Every position, including the first, must range over all 32 symbols (no wasted bits).
    firsts = Counter(c[0] for c in codes)
    assert set(firsts) == set(ALPHABET)
    counts = Counter("".join(codes))
    expected = 10_000 * CODE_LENGTH / 32
    assert all(abs(n - expected) < expected * 0.1 for n in counts.values())


def test_display_groups_of_four_and_round_trip():
    code = new_verification_code()
    shown = display_code(code)
    assert re.fullmatch(r"([0-9A-Z]{4}-){6}[0-9A-Z]{4}", shown)
    assert shown.replace("-", "") == code
    assert normalise_code(shown) == code
    assert normalise_code(shown.lower()) == code
    assert normalise_code(" " + shown.replace("-", " ") + "\n") == code
    assert display_code(shown) == shown


def test_normalise_maps_crockford_confusions():
    code = "0" * 27 + "1"
    typed = "O" * 26 + "o" + "l"
    assert normalise_code(typed) == code
    assert normalise_code("i" + code[1:]) == "1" + code[1:]


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "ABCD",
        "0" * (CODE_LENGTH - 1),
        "0" * (CODE_LENGTH + 1),
        "U" + "0" * (CODE_LENGTH - 1),  # U is not in the alphabet
        "*" + "0" * (CODE_LENGTH - 1),
        "Ü" + "0" * (CODE_LENGTH - 1),
        "0" * 27 + "/",
        "0" * 200,
        12345,
    ],
)
def test_malformed_codes_normalise_to_none(bad):
    assert normalise_code(bad) is None


def test_display_code_rejects_garbage():
    with pytest.raises(ValueError):
        display_code("not-a-code")
