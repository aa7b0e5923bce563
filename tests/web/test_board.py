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
    assert '<a href="/workspace?strand=hate-crime&amp;status=at_risk"' in text
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
