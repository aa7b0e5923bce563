"""Reading `Linked to action (N)` in a How."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.imports.links import linked_numbers


@pytest.mark.parametrize(
    ("how", "numbers"),
    [
        ("Linked to action (10) & (15)", [10, 15]),
        ("Linked to Actions (1) (2) (8)", [1, 2, 8]),
        ("Linked to actions (1) (2) (8) (23) (24)", [1, 2, 8, 23, 24]),
        ("Linked to Action (2) - meeting with OPFCC requested.", [2]),
        ("Linked to action 10. Key element on this action is to ensure CPS are", [10]),
        ("Linked to 10 & 15. What powers do our partners have", [10, 15]),
        ("Linked to (1) & (18)", [1, 18]),
        ("linked to actions 2/5 - discussion with OPFCC & Safer Essex", [2, 5]),
        ("Linked to action 20 - how do we ensure an effective referral process", [20]),
        ('linked to the "Pan Essex Strategic Governance" (Action 5). It is essential', [5]),
        ("This is linked to actions (17) (18) (19) - what educational messaging", [17, 18, 19]),
        ("Linked to Action (10) and Action (1) - what legislation", [10, 1]),
        ("Linked to action (17) (11) (9) (4)", [17, 11, 9, 4]),
        ("Linked to actions (26) & (7)", [26, 7]),
        ("Linked to (22). Also linked to (22) and (3)", [22, 3]),
        ("Linked to meeting with Deputy OPFCC", []),
        ('linked to "Crimestoppers" action in Prevent section (see 4)', []),
        ("linked to EP Media ?)", []),
        ("Linked to Media Messaging", []),
        ("linked to the 2018 plan", []),
        ("Linked to action (3) and 1.5 million pounds", [3]),
        ("Linked to action (0)", []),
        ("working with partners (action 14)", []),
        ("", []),
    ],
)
def test_linked_numbers(how: str, numbers: list[int]) -> None:
    assert linked_numbers(how) == numbers


@given(st.lists(st.integers(1, 99_999), min_size=1, max_size=6, unique=True), st.booleans())
def test_any_list_of_actions_is_read_back(numbers: list[int], brackets: bool) -> None:
    refs = [f"({n})" if brackets else str(n) for n in numbers]
    assert linked_numbers(f"Linked to actions {' & '.join(refs)} - notes") == numbers


@given(st.text())
def test_linked_numbers_never_raises(how: str) -> None:
    assert all(n > 0 for n in linked_numbers(how))
