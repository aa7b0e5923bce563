"""Risk scoring on a 5x5 matrix in the style of the UK Government's Orange Book.

Likelihood and impact are each scored 1 (rare / minimal) to 5 (almost certain / severe); the
score is their product, 1 to 25, and its rating band is:

    score   rating
    1-4     low
    5-9     medium
    10-15   high
    16-25   very_high

which gives this matrix (likelihood down, impact across):

              impact 1    2          3          4          5
    5         medium     high       high       very_high  very_high
    4         low        medium     high       very_high  very_high
    3         low        medium     medium     high       high
    2         low        low        medium     medium     high
    1         low        low        low        low        medium
"""

import enum

LEVELS = range(1, 6)


class Rating(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    very_high = "very_high"


# The highest score of each band, lowest band first.
BANDS: tuple[tuple[int, Rating], ...] = (
    (4, Rating.low),
    (9, Rating.medium),
    (15, Rating.high),
    (25, Rating.very_high),
)

BANDS_TEXT = (
    "score = likelihood * impact (each 1-5); rating: 1-4 low, 5-9 medium, 10-15 high, "
    "16-25 very_high (a 5x5 matrix in the style of the UK Orange Book)"
)


def score(likelihood: int, impact: int) -> int:
    for name, level in (("likelihood", likelihood), ("impact", impact)):
        if level not in LEVELS:
            raise ValueError(f"{name} must be 1 to 5, not {level}")
    return likelihood * impact


def rating(score: int) -> Rating:
    for highest, band in BANDS:
        if 1 <= score <= highest:
            return band
    raise ValueError(f"a score is 1 to 25, not {score}")


def score_range(band: Rating) -> tuple[int, int]:
    """The lowest and highest score of a band, both included."""
    lowest = 1
    for highest, each in BANDS:
        if each is band:
            return lowest, highest
        lowest = highest + 1
    raise ValueError(f"unknown rating {band!r}")


def assess(likelihood: int | None, impact: int | None) -> tuple[int | None, Rating | None]:
    """The score and rating of a pair, or nothing when the pair is not scored."""
    if likelihood is None or impact is None:
        return None, None
    value = score(likelihood, impact)
    return value, rating(value)
