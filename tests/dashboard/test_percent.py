"""Whole-number percentages rounded half up, as the board prints them."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.dashboard.service import percent


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (128, 260, 49),  # the board's 128 (49%): 49.23
        (129, 260, 50),  # 49.62
        (139, 260, 53),
        (3, 260, 1),
        (1, 200, 1),  # 0.5% rounds up, where round() would give 0
        (99, 200, 50),  # 49.5%
        (5, 200, 3),  # 2.5%: round() would give 2
        (1, 201, 0),  # 0.4975%
        (1, 8, 13),  # 12.5%
        (1, 3, 33),
        (2, 3, 67),
        (0, 7, 0),
        (7, 7, 100),
    ],
)
def test_percent_rounds_halves_up(part: int, whole: int, expected: int) -> None:
    assert percent(part, whole) == expected


def test_no_percentage_of_nothing() -> None:
    assert percent(0, 0) is None


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        percent(-1, 10)


@given(
    st.integers(1, 100_000).flatmap(lambda whole: st.tuples(st.integers(0, whole), st.just(whole)))
)
def test_percent_is_the_exact_ratio_rounded_half_up(case: tuple[int, int]) -> None:
    part, whole = case
    exact = Fraction(100 * part, whole)
    expected = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    assert percent(part, whole) == int(expected)
