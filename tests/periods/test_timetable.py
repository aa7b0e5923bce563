"""The quarter's timetable through the API: computed defaults, an admin's dates, audited."""

from fastapi.testclient import TestClient

from tests import factories
from tests.conftest import TokenMaker, bearer

URL = "/api/v1/timetable/2020-21-Q4"


def test_the_default_deadline_is_ten_working_days_after_the_quarter_skipping_easter(
    client: TestClient, admin: dict, viewer: dict
) -> None:
    factories.strategy(client, admin)
    response = client.get("/api/v1/timetable/2020-21 Q4", headers=viewer)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "strategy_id": 1,
        "quarter": "2020-21-Q4",
        "return_deadline": "2021-04-16",
        "return_deadline_is_default": True,
        "board_date": None,
        # Ten, five and one working days before, over Good Friday and Easter Monday; and the day.
        "reminder_days": ["2021-03-31", "2021-04-09", "2021-04-15", "2021-04-16"],
        "updated_at": None,
        "updated_by": None,
    }
    assert response.headers["etag"] == '"timetable-1-2020-21-Q4-v0"'


def test_an_admin_sets_the_dates_and_the_change_is_audited(client: TestClient, admin: dict) -> None:
    factories.strategy(client, admin)
    body = {"return_deadline": "2021-04-20", "board_date": "2021-05-04"}
    response = client.put(URL, json=body, headers=admin)
    assert response.status_code == 201, response.text
    got = response.json()
    assert (got["return_deadline"], got["board_date"], got["return_deadline_is_default"]) == (
        "2021-04-20",
        "2021-05-04",
        False,
    )
    assert got["reminder_days"] == ["2021-04-06", "2021-04-13", "2021-04-19", "2021-04-20"]
    assert got["updated_by"] == "admin"
    assert client.get(URL, headers=admin).json() == got

    stale = client.get(URL, headers=admin).headers["etag"]
    assert client.put(URL, json=body, headers=admin).status_code == 428
    changed = client.put(
        URL,
        json={"return_deadline": None, "board_date": "2021-05-11"},
        headers={**admin, "If-Match": stale},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["return_deadline"] == "2021-04-16"
    assert changed.json()["board_date"] == "2021-05-11"
    again = client.put(URL, json=body, headers={**admin, "If-Match": stale})
    assert again.status_code == 412

    trail = client.get(
        "/api/v1/audit", params={"entity": "quarter_timetable"}, headers=admin
    ).json()["items"]
    assert sorted(entry["action"] for entry in trail) == ["create", "update"]
    assert {entry["actor"] for entry in trail} == {"admin"}


def test_only_admins_set_the_timetable(
    client: TestClient, admin: dict, make_token: TokenMaker
) -> None:
    factories.strategy(client, admin)
    lead = bearer(make_token("lead", strands=("hate-crime",)))
    response = client.put(URL, json={"board_date": "2021-05-04"}, headers=lead)
    assert response.status_code == 403
    assert client.get(URL, headers=admin).json()["return_deadline_is_default"] is True


def test_bad_dates_are_refused_and_change_nothing(client: TestClient, admin: dict) -> None:
    factories.strategy(client, admin)
    for body, field in [
        ({"return_deadline": "2021-03-31"}, "return_deadline"),
        ({"board_date": "2021-01-15"}, "board_date"),
        ({"return_deadline": "16/04/2021"}, "return_deadline"),
        ({"board_date": "2021-02-30"}, "board_date"),
        ({"deadline": "2021-04-20"}, "deadline"),
    ]:
        response = client.put(URL, json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field], response.json()
    assert client.put("/api/v1/timetable/2020-21-Q5", json={}, headers=admin).status_code == 422
    assert client.get(URL, headers=admin).json()["return_deadline_is_default"] is True
