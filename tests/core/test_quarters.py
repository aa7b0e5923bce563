import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from app.core.quarters import Quarter, QuarterError, ordinal_of, quarter_range

quarters = st.builds(Quarter, st.integers(2000, 2099), st.integers(1, 4))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-21-Q1", Quarter(2020, 1)),
        ("2020/21 Q2", Quarter(2020, 2)),
        ("2020/21 q3", Quarter(2020, 3)),
        (" 2099-00-Q4 ", Quarter(2099, 4)),
    ],
)
def test_parse_accepts_both_spellings(text: str, expected: Quarter) -> None:
    assert Quarter.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["2020-22-Q1", "2020-21-Q5", "2020-21-Q0", "Q1 2020", "2020", "", "2020-21", "20-21-Q1"]
)
def test_parse_refuses_anything_else(text: str) -> None:
    with pytest.raises(QuarterError):
        Quarter.parse(text)


def test_q4_of_a_financial_year_is_january_to_march_of_the_next_calendar_year() -> None:
    q4 = Quarter.parse("2020-21-Q4")
    assert (q4.first_day, q4.last_day) == (date(2021, 1, 1), date(2021, 3, 31))
    assert q4.next() == Quarter(2021, 1)
    assert Quarter(2021, 1).previous() == q4
    assert Quarter.of(date(2021, 3, 31)) == q4
    assert Quarter.of(date(2021, 4, 1)) == Quarter(2021, 1)


def test_quarter_days_and_labels() -> None:
    q1 = Quarter(2020, 1)
    assert (q1.first_day, q1.last_day) == (date(2020, 4, 1), date(2020, 6, 30))
    assert str(q1) == "2020-21-Q1"
    assert q1.board_label == "2020/21 Q1"
    assert [str(q) for q in Quarter(2020, 3).year_quarters()] == [
        "2020-21-Q1",
        "2020-21-Q2",
        "2020-21-Q3",
        "2020-21-Q4",
    ]
    assert Quarter(2099, 4).financial_year == "2099-00"


def test_range_includes_both_ends_and_crosses_years() -> None:
    got = [str(q) for q in quarter_range(Quarter(2019, 3), Quarter(2020, 2))]
    assert got == ["2019-20-Q3", "2019-20-Q4", "2020-21-Q1", "2020-21-Q2"]
    assert list(quarter_range(Quarter(2020, 2), Quarter(2020, 1))) == []


@given(st.dates(date(2000, 4, 1), date(2100, 3, 31)))
def test_every_date_lies_in_its_quarter(day: date) -> None:
    quarter = Quarter.of(day)
    assert quarter.first_day <= day <= quarter.last_day


@given(quarters)
def test_quarters_tile_the_calendar(quarter: Quarter) -> None:
    assert quarter.next().first_day == quarter.last_day + timedelta(days=1)
    assert quarter.next().previous() == quarter
    assert Quarter.parse(str(quarter)) == quarter
    assert Quarter.parse(quarter.board_label) == quarter
    assert 90 <= (quarter.last_day - quarter.first_day).days + 1 <= 92


@given(
    st.dates(date(1900, 4, 1), date(9998, 12, 31)), st.dates(date(1900, 4, 1), date(9998, 12, 31))
)
def test_ordinals_count_quarters_in_order(first: date, second: date) -> None:
    one, other = Quarter.of(first), Quarter.of(second)
    assert ordinal_of(first) == one.ordinal
    assert (one.ordinal < other.ordinal) == (one < other)
    assert one.next().ordinal == one.ordinal + 1


@pytest.mark.parametrize("text", ["1999-00-Q4", "2100-01-Q1", "1900-01-Q1", "9998-99-Q4"])
def test_a_quarter_outside_the_served_years_is_refused(text: str) -> None:
    with pytest.raises(
        QuarterError, match="not a quarter the tracker serves: 2000-01-Q1 to 2099-00-Q4"
    ):
        Quarter.parse(text)


def _quarter_parameters(app: Any) -> list[tuple[str, str, str, str]]:
    """(method, path, parameter, where) for every parameter of the schema that is a quarter."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                # A quarter's pattern, or a quarter as its example or description.
                if re.search(r"Q\[1-4\]|\d{4}-\d{2}-Q\d", json.dumps(parameter)):
                    found.append((method, path, parameter["name"], parameter["in"]))
    return found


@pytest.mark.parametrize("text", ["1900-01-Q1", "9998-99-Q4"])
def test_every_quarter_parameter_refuses_unserved_years(
    client: TestClient, admin: dict[str, str], text: str
) -> None:
    parameters = _quarter_parameters(client.app)
    assert ("get", "/api/v1/dashboard/trend", "from", "query") in parameters
    answers = {}
    for method, path, name, where in parameters:
        url = re.sub(r"\{[^}]+\}", "hate-crime", path.replace(f"{{{name}}}", text))
        params = {name: text} if where == "query" else {}
        response = client.request(method, url, params=params, headers=admin, json={})
        problems = response.json().get("errors", [{"field": name}]) if response.content else []
        answers[(method, path, name)] = (
            response.status_code,
            "serves" in response.text and any(p.get("field") == name for p in problems),
        )
    assert answers == {key: (422, True) for key in answers}


def test_a_trend_beyond_the_calendar_is_a_422(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(
        "/api/v1/dashboard/trend", params={"from": "1900-01-Q1", "to": "9998-99-Q4"}, headers=admin
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "from",
            "message": "'1900-01-Q1' is not a quarter the tracker serves: 2000-01-Q1 to 2099-00-Q4",
        }
    ]


def test_a_lock_of_an_unserved_quarter_is_a_422(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/api/v1/dashboard/locks", json={"quarter": "9998-99-Q4"}, headers=admin)
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["errors"]] == ["quarter"]
