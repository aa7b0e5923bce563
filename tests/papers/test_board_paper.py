"""The quarter's board paper: seed 003's 2020/21 Q2 paper rebuilt through the API and read back
from its Word and PDF files; published byte for byte; closed to change; restated on the record."""

import hashlib
import io
from typing import Any

import pytest
import sqlalchemy as sa
from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.webhooks.models import WebhookEvent
from tests import factories
from tests.conftest import TokenMaker, bearer
from tests.papers.conftest import DVPO_ROWS, PAPER, ok

URL = "/api/v1/reports/board"
FORMATS = ("html", "docx", "pdf", "md", "xlsx")
HEADINGS_IN_ORDER = [
    "1.0 Purpose of Report",
    "2.0 Recommendations",
    "3.0 Executive Summary",
    "3.1 Dashboard summary",
    "3.2 Strands at risk",
    "3.3 Delivery/challenges by exception",
    "3.3.1 CoVid19 recovery",
    "3.3.2 Black Lives Matter (BLM)",
    "3.3.3 Unlicensed Music Events (UME)",
    "4.0 Crime Prevention Strategy 2021-24 progress",
    "5.0 Thematic Strand Updates",
    "5.1 Domestic Abuse - Thematic Lead: Chief Superintendent Andrew Mariner",
    "5.2 Gangs and Knife Crime - Thematic Lead: D/Supt Leighton Hammett",
    "5.3 Night Time Economy - Thematic Lead: Supt John Hallworth",
    "5.4 Child Abuse and Exploitation - Thematic Lead: T/DCS Elliott Judge",
    "5.5 Extremism and Radicalisation - Thematic Lead: Supt Michelle Davies",
    "5.6 Hate Crime - Thematic Lead: D/Supt Scott Cannon",
    "5.7 Digital Crime and Fraud - Thematic Lead: DCI Stuart Truss",
    "5.8 House Burglary and Street Robbery - Thematic Lead: C/Supt Simon Anslow",
    "5.9 Serious and Organised Crime - Thematic Lead: D/Ch/Inspector Lee Morton",
    "6.0 Implications (Issues)",
    "6.1 Links to Police and Crime Plan Priorities",
    "6.2 Demand",
    "6.3 Risks/Mitigation",
    "6.4 Equality and/or Human Rights Implications",
    "6.5 Health and Safety Implications",
    "7.0 Consultation/Engagement",
    "8.0 Actions for Improvement",
    "9.0 Future Work/Development and Expected Outcome",
    "Appendix: Charts",
]

try:
    import weasyprint  # noqa: F401

    HAVE_PDF = True
except OSError:  # WeasyPrint is installed but the system's Pango is not
    HAVE_PDF = False
needs_pdf = pytest.mark.skipif(not HAVE_PDF, reason="WeasyPrint cannot load Pango here")


def get(client: TestClient, headers: dict, fmt: str, **params: Any):
    response = client.get(
        URL, params={"quarter": "2020-21-Q2", "format": fmt, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


def publish(client: TestClient, admin: dict) -> dict[str, Any]:
    return ok(client.post(f"{PAPER}/publish", headers=admin), 201)


def bookmarks(outline: list[Any]) -> list[str]:
    """Every bookmark's title, depth first, as a reader's side panel lists them."""
    found = []
    for item in outline:
        found += bookmarks(item) if isinstance(item, list) else [item.title]
    return found


def cells(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def numbered(headings: list[str]) -> list[str]:
    wanted = set(HEADINGS_IN_ORDER)
    return [h for h in headings if h in wanted]


@needs_pdf
def test_seed_003s_paper_rebuilt_reads_back_from_word_and_pdf(
    client: TestClient, admin: dict, viewer: dict, paper003: dict
) -> None:
    from pypdf import PdfReader

    published = publish(client, admin)
    assert (published["version"], published["reason"], published["changes"]) == (1, "", [])
    assert sorted(f["format"] for f in published["files"]) == sorted(FORMATS)

    document = Document(io.BytesIO(get(client, viewer, "docx").content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert numbered(headings) == HEADINGS_IN_ORDER
    texts = [p.text for p in document.paragraphs]
    assert (
        "The Board are asked to note the content and provide comment on the new report format."
        in texts
    )
    assert "EP have disrupted 24 UMEs between 24 July and 09 August 2020." in texts
    assert "No Health and Safety Risks identified." in texts
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert "Dashboard of progress of the associated Delivery Plan;" in bullets
    assert "A Domestic Abuse knowledge hub for officers and staff" in bullets
    [dvpo] = [t for t in document.tables if cells(t)[0][0] == "Month"]
    assert cells(dvpo) == DVPO_ROWS
    # House Burglary's only plan ended before the quarter: N/A, not zeros.
    [summary] = [t for t in document.tables if cells(t)[0][0] == "Strands"]
    assert cells(summary)[8] == ["House Burglary and Street Robbery", "N/A", "N/A", "N/A", "N/A"]
    assert cells(summary)[10] == ["Total", "16", "1 (6%)", "13 (81%)", "2 (13%)"]
    properties = document.core_properties
    assert properties.title == (
        "Crime Prevention Strategy 2018-21: quarterly board report, 2020/21 Q2"
    )
    assert (properties.author, properties.subject) == (
        "Local Policing Support Unit",
        "Quarterly board paper, 2020/21 Q2",
    )
    pictures = document.element.body.xpath(".//wp:docPr")
    assert len(pictures) == 2
    assert all(
        p.get("descr").startswith("Tasks by strand") or "2020/21" in p.get("descr")
        for p in pictures
    )
    [caption] = [i for i, p in enumerate(document.paragraphs) if p.text.startswith("Figure 2:")]
    assert caption == len(document.paragraphs) - 1
    assert document.paragraphs[caption - 1].paragraph_format.keep_with_next is True

    pdf = PdfReader(io.BytesIO(get(client, viewer, "pdf").content))
    pages = [page.extract_text() for page in pdf.pages]
    total = len(pages)
    assert total >= 4
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in text
        assert "OFFICIAL" in text
    assert "Contents" in pages[0]
    assert "9.0 Future Work/Development and Expected Outcome" in pages[0]
    assert numbered(bookmarks(pdf.outline)) == HEADINGS_IN_ORDER
    assert pdf.metadata.author == "Local Policing Support Unit"
    everything = "\n".join(pages)
    assert "+ 216%" in everything
    assert "Op TALLA continues to operate" in everything


def digests(client: TestClient, headers: dict) -> dict[str, tuple[str, str]]:
    found = {}
    for fmt in FORMATS:
        response = get(client, headers, fmt)
        found[fmt] = (hashlib.sha256(response.content).hexdigest(), response.headers["etag"])
    return found


def test_a_published_paper_never_changes_and_its_quarter_refuses_writes(
    client: TestClient, admin: dict, viewer: dict, make_token: TokenMaker, paper003: dict
) -> None:
    published = publish(client, admin)
    stored = {f["format"]: f["sha256"] for f in published["files"]}
    before = digests(client, viewer)
    assert before == {fmt: (sha, f'"{sha}"') for fmt, sha in stored.items()}

    # Changes today: a mitigation edited, a lead renamed, next quarter's return, a task added.
    risk = f"/api/v1/risks/{paper003['risk']['ref']}"
    etag = client.get(risk, headers=admin).headers["etag"]
    edit = {"mitigation": "Uplift officers moved to prevention."}
    ok(client.patch(risk, json=edit, headers={**admin, "If-Match": etag}))
    strand = "/api/v1/strands/domestic-abuse"
    etag = client.get(strand, headers=admin).headers["etag"]
    ok(client.patch(strand, json={"lead": "C/Supt New Lead"}, headers={**admin, "If-Match": etag}))
    q3 = {"insight": "Q3 insight."}
    ok(client.put("/api/v1/returns/domestic-abuse/2020-21-Q3", json=q3, headers=admin), 201)
    plan_id = paper003["strands"]["Domestic Abuse"]["id"]
    plans = ok(client.get(strand, headers=admin))["plans"]
    factories.task(client, admin, plans[0]["id"], "Added today", added_on=None)
    assert plan_id

    assert digests(client, viewer) == before
    again = get(client, viewer, "md", version=1)
    assert hashlib.sha256(again.content).hexdigest() == stored["md"]
    assert again.headers["x-published-version"] == "1"
    unchanged = client.get(
        URL,
        params={"quarter": "2020-21-Q2", "format": "pdf"},
        headers={**viewer, "If-None-Match": f'"{stored["pdf"]}"'},
    )
    assert unchanged.status_code == 304
    live = get(client, viewer, "md", live="true").text
    assert "5.1 Domestic Abuse - Thematic Lead: C/Supt New Lead" in live
    assert (
        "5.1 Domestic Abuse - Thematic Lead: Chief Superintendent Andrew Mariner"
        in get(client, viewer, "md").text
    )

    lead = bearer(make_token("lead", strands=("domestic-abuse",), name="da lead"))
    task_id = paper003["tasks"]["Domestic Abuse"][0]
    for headers in (admin, lead):
        for day in ("2020-09-30", "2020-05-02"):
            refused = client.post(
                f"/api/v1/tasks/{task_id}/status",
                json={"status": "ongoing", "effective_date": day},
                headers=headers,
            )
            assert refused.status_code == 409, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert "2020-21-Q" in refused.json()["detail"]
        reopened = client.post("/api/v1/returns/domestic-abuse/2020-21-Q2/reopen", headers=headers)
        assert reopened.status_code == 409
        assert "2020-21-Q2 is closed" in reopened.json()["detail"]
        registered = client.post(
            "/api/v1/risks",
            json={
                "strand_id": plan_id,
                "description": "Late risk",
                "owner": "DCI",
                "mitigation": "None yet.",
                "response": "treat",
                "registered_on": "2020-09-01",
            },
            headers=headers,
        )
        assert registered.status_code == 409
        back_dated = client.post(
            "/api/v1/tasks",
            json={
                "plan_id": plans[0]["id"],
                "pillar": "prevent",
                "title": "Back-dated",
                "added_on": "2020-08-01",
            },
            headers=headers,
        )
        assert back_dated.status_code == 409
    assert client.post(f"{PAPER}/publish", headers=admin).status_code == 409
    etag = client.get(PAPER, headers=admin).headers["etag"]
    edit_paper = client.put(PAPER, json={"sections": []}, headers={**admin, "If-Match": etag})
    assert edit_paper.status_code == 409
    assert ok(client.get(PAPER, headers=viewer))["status"] == "published"
    # Quarter 1 was closed with it.
    locks = ok(client.get("/api/v1/dashboard/locks", params={"in_force": "true"}, headers=admin))
    assert sorted(lock["quarter"] for lock in locks["items"])[-2:] == ["2020-21-Q1", "2020-21-Q2"]
    assert digests(client, viewer) == before


def test_a_restatement_publishes_version_2_and_keeps_version_1(
    client: TestClient, admin: dict, viewer: dict, engine: Engine, paper003: dict
) -> None:
    publish(client, admin)
    first = {fmt: get(client, viewer, fmt).content for fmt in FORMATS}

    reason = "The Gangs task was wrongly reported at risk"
    missing = client.post(f"{PAPER}/restatements", json={}, headers=admin)
    assert missing.status_code == 422
    restated = ok(client.post(f"{PAPER}/restatements", json={"reason": reason}, headers=admin), 201)
    assert (restated["reason"], restated["of_version"], restated["published_version"]) == (
        reason,
        1,
        None,
    )
    twice = client.post(f"{PAPER}/restatements", json={"reason": "again"}, headers=admin)
    assert twice.status_code == 409
    assert ok(client.get(PAPER, headers=viewer))["status"] == "draft"
    # Until the next publish the quarter is open again, and still serves version 1.
    assert get(client, viewer, "md").content == first["md"]
    gangs = paper003["tasks"]["Gangs and Knife Crime"][0]
    factories.status(client, admin, gangs, "ongoing", "2020-09-15", note="Not at risk after all")

    second = publish(client, admin)
    assert (second["version"], second["reason"]) == (2, reason)
    texts = [c["text"] for c in second["changes"] if c["kind"] == "figure"]
    assert "Total, at risk: 2 before, 1 now" in texts
    assert "gangs-and-knife-crime, ongoing: 1 before, 2 now" in texts
    md = get(client, viewer, "md")
    assert md.headers["x-published-version"] == "2"
    lines = md.text.splitlines()
    [note] = [line for line in lines if line.startswith("**Restated on ")]
    assert note.endswith(f"by admin: {reason}**")
    assert "- Total, at risk: 2 before, 1 now" in lines
    for fmt in FORMATS:
        assert get(client, viewer, fmt, version=1).content == first[fmt]
    assert get(client, viewer, "docx", version=2).content != first["docx"]
    versions = ok(client.get(f"{PAPER}/versions", headers=viewer))
    assert [(v["version"], v["reason"]) for v in versions] == [(1, ""), (2, reason)]
    assert (
        client.get(URL, params={"quarter": "2020-21-Q2", "version": 3}, headers=viewer).status_code
        == 404
    )

    with engine.connect() as connection:
        events = (
            connection.execute(
                sa.select(WebhookEvent.data)
                .where(WebhookEvent.type == "board_paper.published")
                .order_by(WebhookEvent.id)
            )
            .scalars()
            .all()
        )
    assert [(e["quarter"], e["version"], e["reason"]) for e in events] == [
        ("2020-21-Q2", 1, ""),
        ("2020-21-Q2", 2, reason),
    ]
    assert events[1]["files"]["pdf" if "pdf" in events[1]["files"] else "md"]
    audit = ok(client.get("/api/v1/audit", params={"entity": "publication"}, headers=admin))
    assert [e["action"] for e in audit["items"]] == ["create", "create"]
    assert all(e["actor"] == "admin" for e in audit["items"])


def test_a_new_quarters_draft_starts_from_the_previous_quarters_text(
    client: TestClient, admin: dict, viewer: dict, paper003: dict
) -> None:
    q3 = ok(client.get("/api/v1/board-papers/2020-21-Q3", headers=viewer))
    q2 = ok(client.get(PAPER, headers=viewer))
    assert (q3["started_from"], q3["version"], q3["status"]) == ("2020-21-Q2", 0, "draft")
    assert q3["sections"] == q2["sections"]
    assert [(s["key"], s["number"]) for s in q2["sections"]] == [
        ("purpose", "1.0"),
        ("recommendations", "2.0"),
        ("exceptions", "3.3"),
        ("strategy_progress", "4.0"),
        ("implications", "6.0"),
        ("consultation", "7.0"),
        ("actions", "8.0"),
        ("future_work", "9.0"),
    ]
    assert [s["number"] for s in q2["sections"][4]["subsections"]] == [
        "6.1", "6.2", "6.3", "6.4", "6.5"
    ]  # fmt: skip


def test_bad_board_papers_are_refused_and_hostile_text_stays_text(
    client: TestClient, admin: dict, viewer: dict, make_token: TokenMaker, paper003: dict
) -> None:
    etag = client.get(PAPER, headers=admin).headers["etag"]
    headers = {**admin, "If-Match": etag}
    too_long = {"sections": [{"key": "purpose", "body": "x" * 20_001}]}
    response = client.put(PAPER, json=too_long, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["sections.0.body"]
    twice = {"sections": [{"key": "purpose"}, {"key": "purpose"}]}
    assert client.put(PAPER, json=twice, headers=headers).status_code == 422
    unknown = {"sections": [{"key": "appendix"}]}
    assert client.put(PAPER, json=unknown, headers=headers).status_code == 422
    assert client.put(PAPER, json={"sections": []}, headers=admin).status_code == 428
    stale = {**admin, "If-Match": '"board-paper-1-2020-21-Q2-v0"'}
    assert client.put(PAPER, json={"sections": []}, headers=stale).status_code == 412
    lead = bearer(make_token("lead", strands=("domestic-abuse",)))
    assert (
        client.put(PAPER, json={"sections": []}, headers={**lead, "If-Match": etag}).status_code
        == 403
    )
    assert client.post(f"{PAPER}/publish", headers=lead).status_code == 403
    bad_quarter = client.get("/api/v1/board-papers/2020-21-Q5", headers=viewer)
    assert bad_quarter.status_code == 422
    assert ok(client.get(PAPER, headers=viewer))["version"] == 1

    hostile = {
        "sections": [
            {
                "key": "purpose",
                "body": "<script>alert(1)</script> [click](javascript:alert(2))",
            }
        ]
    }
    ok(client.put(PAPER, json=hostile, headers=headers))
    page = get(client, viewer, "html").text
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [click](javascript:alert(2))" in page
    assert 'href="javascript:' not in page


def test_a_plan_counts_only_while_it_is_live(
    client: TestClient, admin: dict, viewer: dict, paper003: dict
) -> None:
    def house_burglary(quarter: str) -> dict[str, Any]:
        body = ok(client.get("/api/v1/dashboard", params={"quarter": quarter}, headers=viewer))
        [strand] = [s for s in body["strands"] if s["slug"] == "house-burglary-and-street-robbery"]
        return strand

    assert (house_burglary("2019-20-Q4")["has_plan"], house_burglary("2019-20-Q4")["total"]) == (
        True,
        2,
    )
    assert house_burglary("2020-21-Q2") == {
        **house_burglary("2020-21-Q2"),
        "has_plan": False,
        "total": None,
        "plans": [],
    }
    # Its successor, launched in December 2020, counts from Q3.
    strand_id = paper003["strands"]["House Burglary and Street Robbery"]["id"]
    successor = factories.plan(
        client, admin, strand_id, "House Burglary 2020", starts_on="2020-12-01"
    )
    factories.task(client, admin, successor["id"], "Launch", added_on="2020-12-01")
    assert house_burglary("2020-21-Q2")["has_plan"] is False
    assert (house_burglary("2020-21-Q3")["has_plan"], house_burglary("2020-21-Q3")["total"]) == (
        True,
        1,
    )
    backwards = client.post(
        "/api/v1/plans",
        json={
            "strand_id": strand_id,
            "name": "Odd",
            "starts_on": "2021-01-01",
            "ends_on": "2020-01-01",
        },
        headers=admin,
    )
    assert backwards.status_code == 422
