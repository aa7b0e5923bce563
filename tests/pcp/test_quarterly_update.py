"""The quarterly update document: every seeded commentary under its priority, commitment and
contributor, in order, in the layout its plan uses; Word and PDF files with a contents page; and
drafts shown only when asked for."""

import io
import re

import pytest
from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import get_settings
from app.core.db import write_session
from app.seed import pcp as seed_pcp
from app.seed.service import SYSTEM
from tests import factories
from tests.conftest import TokenMaker, bearer

SEED = get_settings().seed_dir
QUARTERS = [
    ("police-and-crime-plan-2016-2020", "2019-20-Q2"),
    ("police-and-crime-plan-2021-2024", "2022-23-Q1"),
    ("police-and-crime-plan-2021-2024", "2023-24-Q4"),
]
URL = "/api/v1/reports/quarterly-update"
BACKSLASHED = re.compile(r"\\(.)")
DASH = "\u2013"


@pytest.fixture
def seeded(engine: Engine) -> None:
    with write_session(engine) as session:
        seed_pcp.load_pcp(session=session, actor=SYSTEM, seed_dir=SEED)
        session.commit()


def _blocks(body: str) -> list[str]:
    """A commentary's paragraphs and list items, as plain lines, from the seed file."""
    out = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if all(line.startswith("- ") for line in lines):
            out += [line[2:] for line in lines]
        else:
            out.append(" ".join(lines))
    return out


def expected(plan_slug: str, quarter: str) -> tuple[str, list[tuple[int, str, str | None, str]]]:
    """(layout, [(priority, commitment, contributor, line)]) as the seed files hold them."""
    plan = seed_pcp.read_toml(SEED / "pcp" / f"{plan_slug}.toml")
    data = seed_pcp.read_toml(SEED / "pcp" / plan_slug / f"{quarter}.toml")
    layout = data["update"].get("layout", plan["plan"]["layout"])
    people = {c["slug"]: c for c in plan["contributor"]}
    rows = []
    for entry in data["commentary"]:
        [priority] = [p for p in plan["priority"] if p["number"] == entry["priority"]]
        commitment = priority["commitment"][entry["commitment"] - 1]
        person = people[entry["contributor"]]
        if layout == "table":
            lead_in = commitment.get("lead_in", "We will:")
            text = (
                commitment["text"] if lead_in == "We will:" else f"{lead_in} {commitment['text']}"
            )
            joint = [people[s] for s in entry.get("joint_with", [])]
            who = " / ".join(p.get("full_name", p["name"]) for p in [person, *joint])
        else:
            text = commitment["text"]
            who = None if person["kind"] == "force" else person["name"]
        rows += [(entry["priority"], text, who, line) for line in _blocks(entry["body"])]
    return layout, rows


def read_headings(markdown: str) -> list[tuple[int, str, str | None, str]]:
    """What the headings layout says: each line under its priority, commitment and area."""
    rows, priority, commitment, who, in_list = [], 0, "", None, False
    for line in markdown.split("## Contents", 1)[1].splitlines()[2:]:
        if match := re.match(r"^## Priority (\d+) ", line):
            priority, commitment, who = int(match[1]), "", None
        elif line.startswith("### "):
            who = None
        elif line.startswith("*") and line.endswith("*") and not line.startswith("**"):
            commitment = BACKSLASHED.sub(r"\1", line[1:-1])
        elif line.startswith("#### "):
            who = BACKSLASHED.sub(r"\1", line[5:])
        elif line.startswith("- ") and priority and commitment:
            rows.append((priority, commitment, who, line[2:]))
            in_list = True
        elif line.startswith("  - ") and in_list:
            rows.append((priority, commitment, who, line.strip()[2:]))
        elif line.strip() and commitment and not line.startswith(("#", "|", "Strands")):
            rows.append((priority, commitment, who, line))
    return rows


def read_table(markdown: str) -> list[tuple[int, str, str | None, str]]:
    """What the table layout says: each row's commentary under its We will and Who."""
    rows, priority, commitment = [], 0, ""
    for line in markdown.split("## Contents", 1)[1].splitlines():
        if match := re.match(r"^## Priority (\d+) ", line):
            priority = int(match[1])
        elif line.startswith("| ") and not line.startswith(("| We will |", "| Strand |", "| ---")):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            we_will, commentary, who = cells
            commitment = BACKSLASHED.sub(r"\1", we_will) or commitment
            names = " / ".join(BACKSLASHED.sub(r"\1", n) for n in who.split("<br>"))
            for block in commentary.split("<br><br>"):
                for item in block.split("<br>") if block.startswith("• ") else [block]:
                    text = BACKSLASHED.sub(r"\1", item.removeprefix("• "))
                    rows.append((priority, commitment, names, text))
    return rows


@pytest.mark.parametrize(("plan", "quarter"), QUARTERS)
def test_the_markdown_holds_every_seeded_commentary_in_order(
    client: TestClient, viewer: dict, seeded: None, plan: str, quarter: str
) -> None:
    response = client.get(f"{URL}?plan={plan}&quarter={quarter}&format=md", headers=viewer)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    layout, wanted = expected(plan, quarter)
    reader = read_table if layout == "table" else read_headings
    assert reader(response.text) == wanted
    priorities = sorted({p for p, *_ in wanted})
    contents = response.text.split("## Contents", 1)[1].split("\n## ", 1)[0]
    assert [int(n) for n in re.findall(r"^- Priority (\d+) ", contents, re.M)] == priorities


def test_the_area_headings_layout_reads_as_the_printed_update(
    client: TestClient, viewer: dict, seeded: None
) -> None:
    text = client.get(
        f"{URL}?plan=police-and-crime-plan-2021-2024&quarter=2022/23 Q1", headers=viewer
    ).text
    assert text.startswith(
        f"# Police and Crime Plan 2021-2024 {DASH} Quarterly Update 2022/23 Q1\n"
    )
    assert "| Version | 1.5 |\n| Produced | July 2022 |\n| Data to | June 2022 |" in text
    assert text.count("#### North LPA\n") == 5
    priority_5 = text.split(f"## Priority 5 {DASH} Improving support for victims of crime")[1]
    priority_5 = priority_5.split("\n## Priority 6")[0]
    # Force-wide commentary after the areas' states the commitment again, with no heading.
    assert priority_5.split("#### North LPA", 1)[1].count("### We will:") == 1


def test_the_table_layout_names_every_contributor_in_the_who_column(
    client: TestClient, viewer: dict, seeded: None
) -> None:
    text = client.get(
        f"{URL}?plan=police-and-crime-plan-2021-2024&quarter=2023-24-Q4", headers=viewer
    ).text
    assert "| Plan | Police and Crime Plan 2021-2024 |" in text
    assert "| Author | Laura Sumer 42070126 |" in text
    assert text.count("| We will | Commentary | Who |") == 12
    assert "| Serious Crime Directorate (SCD)<br>Serious Violence Unit (SVU) |" in text


@pytest.mark.parametrize(("plan", "quarter"), QUARTERS)
def test_the_word_file_opens_with_a_contents_page(
    client: TestClient, viewer: dict, seeded: None, plan: str, quarter: str
) -> None:
    response = client.get(f"{URL}?plan={plan}&quarter={quarter}&format=docx", headers=viewer)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{plan}-quarterly-update-{quarter}.docx"'
    )
    _, wanted = expected(plan, quarter)
    headings = [
        line[3:]
        for line in client.get(f"{URL}?plan={plan}&quarter={quarter}", headers=viewer).text.split(
            "\n"
        )
        if line.startswith("## Priority ")
    ]
    document = Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in document.paragraphs]
    start = paragraphs.index("Contents")
    assert paragraphs[start + 1 : start + 1 + len(headings)] == headings
    assert len(headings) == len({p for p, *_ in wanted})
    body = "\n".join(paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert all(line.replace("**", "") in body for *_, line in wanted[:5])


@pytest.mark.once
def test_the_pdf_opens_with_a_contents_page(client: TestClient, viewer: dict, seeded: None) -> None:
    pypdf = pytest.importorskip("pypdf")
    try:
        import weasyprint  # noqa: F401
    except OSError as error:  # pragma: no cover - Pango missing
        pytest.skip(f"WeasyPrint cannot load Pango here: {error}")
    plan, quarter = "police-and-crime-plan-2021-2024", "2022-23-Q1"
    response = client.get(f"{URL}?plan={plan}&quarter={quarter}&format=pdf", headers=viewer)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    contents = reader.pages[1].extract_text()
    assert contents.startswith("Contents")
    for number in range(1, 12):
        assert f"Priority {number} {DASH} " in contents
    later = "\n".join(page.extract_text() for page in reader.pages[2:])
    assert "North LPA (continued)" in later
    assert "There are currently 455 Special Constables serving." in later


PLAN = "police-and-crime-plan-2021-2024"


def test_north_lpa_writes_and_submits_only_its_own_and_drafts_show_only_when_asked(
    client: TestClient, admin: dict, make_token: TokenMaker
) -> None:
    structure = factories.pcp_plan(client, admin)
    north = bearer(make_token("lead", contributors=("north-lpa",), name="North writer"))
    commitment = structure["priorities"][0]["commitments"][0]["id"]

    def write(headers: dict, contributor: str, body: str) -> object:
        return client.post(
            "/api/v1/pcp/commentary",
            json={
                "plan": PLAN,
                "quarter": "2022-23-Q1",
                "contributor": contributor,
                "commitment_id": commitment,
                "body": body,
            },
            headers=headers,
        )

    assert write(north, "south-lpa", "- Not mine to write.").status_code == 403
    assert write(north, "north-lpa", "- Colchester: 26 visits.").status_code == 201
    assert write(admin, "south-lpa", "- Southend: Operation Grip.").status_code == 201
    document = f"{URL}?plan={PLAN}&quarter=2022-23-Q1&format=md"

    def commentary(text: str) -> str:
        return text.split("## Priority 1", 1)[1] if "## Priority 1" in text else ""

    assert commentary(client.get(document, headers=north).text) == ""
    with_drafts = commentary(client.get(f"{document}&drafts=true", headers=north).text)
    assert "#### North LPA (draft)\n\n- Colchester: 26 visits." in with_drafts
    assert "#### South LPA (draft)\n\n- Southend: Operation Grip." in with_drafts

    submit = f"/api/v1/pcp/plans/{PLAN}/submissions"
    refused = client.post(
        submit, json={"quarter": "2022-23-Q1", "contributor": "south-lpa"}, headers=north
    )
    assert refused.status_code == 403
    done = client.post(
        submit, json={"quarter": "2022-23-Q1", "contributor": "north-lpa"}, headers=north
    )
    assert done.status_code == 201
    shown = commentary(client.get(document, headers=north).text)
    assert "#### North LPA\n\n- Colchester: 26 visits." in shown
    assert "South LPA" not in shown and "Southend" not in shown


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("plan=police-and-crime-plan-2099&quarter=2022-23-Q1", "plan"),
        (f"plan={PLAN}&quarter=2020-21-Q4", "quarter"),
        (f"plan={PLAN}&quarter=2022-23-Q5", "quarter"),
        (f"plan={PLAN}&quarter=2022-23-Q1&format=xlsx", "format"),
    ],
)
def test_a_bad_request_for_the_update_is_a_422_naming_the_field(
    client: TestClient, admin: dict, viewer: dict, query: str, field: str
) -> None:
    factories.pcp_plan(client, admin)
    response = client.get(f"{URL}?{query}", headers=viewer)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"].split(".")[-1] for e in response.json()["errors"]] == [field]
