"""The 5x5 matrix: score is always likelihood times impact, and its band never falls as it rises."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.risks.scoring import Rating, assess, rating, score, score_range

levels = st.integers(min_value=1, max_value=5)
scores = st.integers(min_value=1, max_value=25)
ORDER = list(Rating)


@given(levels, levels)
def test_score_is_likelihood_times_impact(likelihood: int, impact: int) -> None:
    assert score(likelihood, impact) == likelihood * impact
    assert assess(likelihood, impact) == (likelihood * impact, rating(likelihood * impact))


@given(scores, scores)
def test_band_is_monotonic_in_score(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert ORDER.index(rating(low)) <= ORDER.index(rating(high))


@given(scores)
def test_every_score_lies_in_its_bands_range(value: int) -> None:
    lowest, highest = score_range(rating(value))
    assert lowest <= value <= highest


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (1, Rating.low),
        (4, Rating.low),
        (5, Rating.medium),
        (9, Rating.medium),
        (10, Rating.high),
        (15, Rating.high),
        (16, Rating.very_high),
        (25, Rating.very_high),
    ],
)
def test_band_edges(value: int, band: Rating) -> None:
    assert rating(value) is band


def test_bands_cover_one_to_twenty_five_without_gaps() -> None:
    assert [score_range(band) for band in Rating] == [(1, 4), (5, 9), (10, 15), (16, 25)]


@pytest.mark.parametrize("value", [0, 26, -1])
def test_scores_outside_the_matrix_are_refused(value: int) -> None:
    with pytest.raises(ValueError):
        rating(value)


@pytest.mark.parametrize(("likelihood", "impact"), [(0, 3), (3, 6), (6, 1)])
def test_levels_outside_one_to_five_are_refused(likelihood: int, impact: int) -> None:
    with pytest.raises(ValueError):
        score(likelihood, impact)


def test_an_unscored_pair_has_no_score() -> None:
    assert assess(None, 3) == (None, None)
    assert assess(None, None) == (None, None)
