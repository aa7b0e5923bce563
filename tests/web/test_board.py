"""The board author's dashboard: counts that open their tasks, the trend, the tasks at risk."""

import re

from fastapi.testclient import TestClient

from tests import factories


def test_the_board_dashboard_links_counts_and_lists_tasks_at_risk_with_their_risks(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    task = strands["hate_tasks"][0]
    factories.status(client, admin, task["id"], "at_risk", "2020-06-01")
    factories.risk(
        client,
        admin,
        task["strand_id"],
        ref="A1",
        registered_on="2020-06-01",
        task_id=task["id"],
        mitigation="Second venue booked as a fallback.",
    )
    viewer = browser_as("viewer")
    page = viewer.get("/board", params={"quarter": "2020-21-Q1"})
    assert page.status_code == 200, page.text
    text = page.text
    assert (
        '<a href="/board/tasks?quarter=2020-21-Q1&amp;strand=hate-crime&amp;status=at_risk"' in text
    )
    assert 'aria-label="1 at risk tasks of Hate Crime">1</a>' in text
    assert 'aria-label="6 ongoing tasks of Hate Crime">6</a>' in text
    assert 'aria-label="7 tasks of Hate Crime">7</a>' in text
    trend = re.findall(r"<tr><td>(\d{4}/\d\d Q\d)</td><td>(\d+)</td>", text)
    assert trend[0] == ("2018/19 Q1", "0")
    assert trend[-1] == ("2020/21 Q1", "9")
    assert len(trend) == 9
    assert 'src="data:image/png;base64,' in text
    at_risk = text[text.index("<h2>Tasks at risk</h2>") :]
    assert "Hate task 1" in at_risk and "A1" in at_risk
    assert "Second venue booked as a fallback." in at_risk
    assert '<form method="post" action="/workspace' not in text


def test_a_bad_quarter_is_explained(browser_as, strands: dict) -> None:
    viewer = browser_as("viewer")
    response = viewer.get("/board", params={"quarter": "2020-Q9"})
    assert response.status_code == 422
    assert "is not a quarter" in response.text


def counted(person: TestClient, **params: str) -> list[list[str]]:
    """The rows of the tasks a count opens: task, status at the quarter's end, status now."""
    page = person.get("/board/tasks", params={"quarter": "2020-21-Q1", **params})
    assert page.status_code == 200, page.text
    if 'id="counted"' not in page.text:
        assert "<p>No task.</p>" in page.text
        return []
    rows = re.findall(r"<tr>(.*?)</tr>", page.text[page.text.index('id="counted"') :], re.S)[1:]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in rows
    ]


def test_a_count_opens_the_tasks_it_counted_with_their_status_at_the_quarters_end(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    hate = strands["hate_tasks"]
    # At risk at Q1's end, complete since: listed under its status then, not now.
    factories.status(client, admin, hate[0]["id"], "at_risk", "2020-06-01")
    factories.status(client, admin, hate[0]["id"], "complete", "2020-08-01")
    # Complete within Q1; withdrawn within Q1 (counted nowhere); withdrawn after Q1's end.
    factories.status(client, admin, hate[1]["id"], "complete", "2020-05-01")
    factories.status(client, admin, hate[2]["id"], "withdrawn", "2020-05-01")
    factories.status(client, admin, hate[3]["id"], "withdrawn", "2020-07-15")
    hate_plan = hate[0]["plan_id"]
    factories.task(client, admin, hate_plan, "Added after Q1", added_on="2020-07-02")
    viewer = browser_as("viewer")
    board = viewer.get("/board", params={"quarter": "2020-21-Q1"}).text
    shown = re.findall(r'aria-label="(\d+) ([a-z ]*)tasks of Hate Crime"', board)
    assert {label: int(n) for n, label in shown} == {
        "": 6,
        "complete ": 1,
        "ongoing ": 4,
        "at risk ": 1,
    }
    assert counted(viewer, strand="hate-crime", status="at_risk") == [
        ["Hate Crime", "Prevent", "1", "Hate task 1", "", "At risk", "Complete"]
    ]
    assert [row[3:] for row in counted(viewer, strand="hate-crime", status="complete")] == [
        ["Hate task 2", "", "Complete", "Complete"]
    ]
    assert [row[3] for row in counted(viewer, strand="hate-crime", status="ongoing")] == [
        "Hate task 4",
        "Hate task 5",
        "Hate task 6",
        "Hate task 7",
    ]
    everything = counted(viewer, strand="hate-crime")
    assert [(row[3], row[5], row[6]) for row in everything] == [
        ("Hate task 1", "At risk", "Complete"),
        ("Hate task 2", "Complete", "Complete"),
        ("Hate task 4", "Ongoing", "Withdrawn"),
        ("Hate task 5", "Ongoing", "Ongoing"),
        ("Hate task 6", "Ongoing", "Ongoing"),
        ("Hate task 7", "Ongoing", "Ongoing"),
    ]
    heading = viewer.get(
        "/board/tasks",
        params={"quarter": "2020-21-Q1", "strand": "hate-crime", "status": "at_risk"},
    ).text
    assert "<h1>Hate Crime: 1 at risk task at the end of 2020/21 Q1</h1>" in heading
    # Today's status filter would have listed another task: the count's list is not it.
    today_at_risk = viewer.get("/workspace", params={"strand": "hate-crime", "status": "at_risk"})
    assert "Hate task 1" not in today_at_risk.text
    assert counted(viewer, strand="digital-crime-and-fraud", status="at_risk") == []


def test_a_count_of_an_unknown_strand_or_status_is_explained(browser_as, strands: dict) -> None:
    viewer = browser_as("viewer")
    base = {"quarter": "2020-21-Q1"}
    unknown = viewer.get("/board/tasks", params={**base, "strand": "no-such"})
    assert (unknown.status_code, "no strand &#39;no-such&#39;" in unknown.text) == (404, True)
    withdrawn = viewer.get("/board/tasks", params={**base, "strand": "hate-crime", "status": "x"})
    assert withdrawn.status_code == 422
    assert "&#39;x&#39; is not one of the counted statuses" in withdrawn.text
    bad = viewer.get("/board/tasks", params={"quarter": "2020-Q9", "strand": "hate-crime"})
    assert (bad.status_code, "is not a quarter" in bad.text) == (422, True)
