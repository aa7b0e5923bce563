"""The seeded strategy: nine strands in the strategy's order, their ten delivery plans, and
seeding twice changes nothing."""

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.db import write_session
from app.seed.service import load_strategy
from app.strategies.models import DeliveryPlan, Strand
from app.tasks.models import StatusEvent, Task, TaskLink

NINE = [
    ("domestic-abuse", "Chief Superintendent Andy Mariner"),
    ("gangs-and-knife-crime", "Chief Superintendent Tracey Harman"),
    ("night-time-economy", "Superintendent Tom Simons"),
    ("sexual-crime-child-abuse-and-exploitation", "Chief Superintendent Steve Worron"),
    ("digital-crime-and-fraud", "Detective Chief Inspector Lee Morton"),
    ("extremism-and-radicalisation", "Chief Inspector Ian Gennery"),
    ("house-burglary-and-street-robbery", "Chief Superintendent Kevin Baldwin"),
    ("hate-crime", "Superintendent Scott Cannon"),
    ("serious-and-organised-crime", "Superintendent Simon Anslow"),
]


def _seed(engine: Engine):
    with write_session(engine) as session:
        report = load_strategy(session=session)
        session.commit()
    return report


def _snapshot(engine: Engine, *models: type) -> list[dict]:
    rows = []
    models = models or (Strand,)
    with engine.connect() as connection:
        for model in models:
            table = model.__table__
            rows += connection.execute(sa.select(table).order_by(table.c.id)).mappings()
    return [dict(row) for row in rows]


PLANS = [
    ("domestic-abuse", "Domestic Abuse", 22),
    ("gangs-and-knife-crime", "Gangs / County Lines", 31),
    ("gangs-and-knife-crime", "Knife Crime", 29),
    ("night-time-economy", "Night Time Economy", 25),
    ("sexual-crime-child-abuse-and-exploitation", "Sexual Crime, Child Abuse and Exploitation", 32),
    ("digital-crime-and-fraud", "Digital Crime & Fraud", 13),
    ("extremism-and-radicalisation", "Extremism & Radicalisation", 22),
    ("house-burglary-and-street-robbery", "House Burglary & Street Robbery", 17),
    ("hate-crime", "Hate Crime", 13),
    ("serious-and-organised-crime", "Organised Crime Groups", 20),
]


def test_seed_loads_the_nine_strands_in_order(
    client: TestClient, engine: Engine, viewer: dict
) -> None:
    report = _seed(engine)
    assert len(report.created) == 20
    assert (report.tasks_created, report.tasks_updated) == (224, 0)
    strands = client.get("/api/v1/strands", headers=viewer).json()
    assert [(s["slug"], s["lead"]) for s in strands] == NINE
    hate = strands[7]
    assert hate["name"] == "Hate Crime"
    assert len(hate["strategic_aims"]) == 4
    assert "Essex Hate Crime Strategic Partnership" in hate["partnership_forums"]


def test_seeding_twice_changes_nothing(engine: Engine) -> None:
    _seed(engine)
    tables = (Strand, DeliveryPlan, Task, StatusEvent, TaskLink)
    before = _snapshot(engine, *tables)
    report = _seed(engine)
    assert report.changed is False
    assert len(report.unchanged) == 19
    assert _snapshot(engine, *tables) == before


def test_the_seeded_plans_have_their_tasks(
    client: TestClient, engine: Engine, viewer: dict
) -> None:
    _seed(engine)
    counts = []
    for strand in client.get("/api/v1/strands", headers=viewer).json():
        for plan in strand["plans"]:
            page = client.get(f"/api/v1/tasks?plan_id={plan['id']}&limit=1", headers=viewer)
            counts.append((strand["slug"], plan["name"], page.json()["total"]))
    assert counts == PLANS
    assert sum(n for _, _, n in counts) == 224
    plans = client.get("/api/v1/strands/gangs-and-knife-crime", headers=viewer).json()["plans"]
    assert [(p["tactical_lead"], p["operational_lead"]) for p in plans] == [
        ("DCI Jasmine Frost", "DI Anna Granger"),
        ("C/Insp Sam Smith", "TBC"),
    ]


def test_seeded_tasks_date_from_the_plans_review(
    client: TestClient, engine: Engine, viewer: dict
) -> None:
    _seed(engine)
    tasks = client.get("/api/v1/tasks?limit=500", headers=viewer).json()["items"]
    assert {t["added_on"] for t in tasks} == {"2018-05-04"}
    complete = [t for t in tasks if t["status"] == "complete"]
    assert len(complete) == 6
    assert {t["due_text"] for t in complete} == {"COMPLETED"}
    history = client.get(f"/api/v1/tasks/{complete[0]['id']}/history", headers=viewer).json()
    assert [(e["status"], e["effective_date"]) for e in history] == [("complete", "2018-05-04")]
    plans = client.get("/api/v1/strands/gangs-and-knife-crime", headers=viewer).json()["plans"]
    knife = {t["task_no"]: t for t in tasks if t["plan_id"] == plans[1]["id"]}
    assert knife[28]["linked_task_ids"] == [knife[n]["id"] for n in (1, 2, 8, 23, 24)]


def test_every_seeded_strand_exports_and_imports_back_unchanged(
    client: TestClient, engine: Engine, admin: dict
) -> None:
    _seed(engine)
    tables = (DeliveryPlan, Task, StatusEvent, TaskLink)
    before = _snapshot(engine, *tables)
    for slug, _ in NINE:
        for fmt in ("xlsx", "csv"):
            exported = client.get(f"/api/v1/tasks?format={fmt}&strand={slug}", headers=admin)
            report = client.post(
                "/api/v1/imports",
                files={"file": (f"{slug}.{fmt}", exported.content)},
                data={"strand": slug},
                headers=admin,
            ).json()
            assert (report["created"], report["updated"], report["skipped"]) == (0, 0, 0), slug
            assert report["unchanged"] == sum(n for s, _, n in PLANS if s == slug)
    assert _snapshot(engine, *tables) == before


def test_seeding_restores_an_edited_strand(engine: Engine) -> None:
    _seed(engine)
    with engine.begin() as connection:
        connection.execute(
            sa.update(Strand).where(Strand.slug == "hate-crime").values(lead="Someone")
        )
    report = _seed(engine)
    assert report.updated == ["strand hate-crime"]
    leads = {row["slug"]: row["lead"] for row in _snapshot(engine)}
    assert leads["hate-crime"] == "Superintendent Scott Cannon"
