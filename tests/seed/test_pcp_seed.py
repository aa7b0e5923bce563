"""The seeded Police and Crime Plans: both plans, and the three quarters' commentary as the seed
files hold it, submitted; seeding twice changes nothing."""

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import get_settings
from app.core.db import write_session
from app.pcp.models import PcpCommentary, PcpCommitment, PcpContributor, PcpPriority, PcpSubmission
from app.seed import pcp as seed_pcp
from app.seed.service import SYSTEM

SEED = get_settings().seed_dir


def _seed(engine: Engine) -> seed_pcp.PcpSeedReport:
    with write_session(engine) as session:
        report = seed_pcp.load_pcp(session=session, actor=SYSTEM, seed_dir=SEED)
        session.commit()
    return report


def _rows(engine: Engine) -> list[dict]:
    rows = []
    with engine.connect() as connection:
        for model in (PcpPriority, PcpCommitment, PcpContributor, PcpCommentary, PcpSubmission):
            table = model.__table__
            rows += connection.execute(sa.select(table).order_by(table.c.id)).mappings()
    return [dict(row) for row in rows]


def test_both_plans_are_seeded_with_their_priorities(
    client: TestClient, engine: Engine, viewer: dict
) -> None:
    _seed(engine)
    plans = client.get("/api/v1/pcp/plans", headers=viewer).json()
    assert [(p["slug"], p["starts_on"], p["ends_on"]) for p in plans["items"]] == [
        ("police-and-crime-plan-2016-2020", "2016-04-01", "2020-03-31"),
        ("police-and-crime-plan-2021-2024", "2021-04-01", "2024-03-31"),
    ]
    recent = client.get("/api/v1/pcp/plans/police-and-crime-plan-2021-2024", headers=viewer)
    priorities = recent.json()["priorities"]
    assert len(priorities) == 12
    assert (priorities[0]["number"], priorities[0]["title"]) == (
        1,
        "Further investment in crime prevention",
    )
    assert priorities[0]["objective"].startswith("Our objective is to invest in activities")
    assert [len(p["commitments"]) for p in priorities] == [5, 5, 4, 5, 1, 3, 4, 7, 7, 2, 2, 1]
    older = client.get("/api/v1/pcp/plans/police-and-crime-plan-2016-2020", headers=viewer)
    assert [p["title"] for p in older.json()["priorities"]][-1] == "Improve Safety on our Roads"


def test_every_seeded_commentary_is_loaded_in_order_and_submitted(
    client: TestClient, engine: Engine, viewer: dict
) -> None:
    _seed(engine)
    for plan, quarter in seed_pcp.seeded_quarters(SEED):
        data = seed_pcp.read_toml(SEED / "pcp" / plan / f"{quarter}.toml")
        url = f"/api/v1/pcp/commentary?plan={plan}&quarter={quarter}&limit=500"
        listed = client.get(url, headers=viewer).json()["items"]
        wanted = [
            (c["priority"], c["contributor"], c["body"].strip("\n")) for c in data["commentary"]
        ]
        assert [(c["priority"], c["contributor"], c["body"]) for c in listed] == wanted
        assert {c["status"] for c in listed} == {"submitted"}


def test_seeding_twice_changes_nothing(engine: Engine) -> None:
    first = _seed(engine)
    assert (first.plans, first.unchanged) == (2, 0)
    before = _rows(engine)
    again = _seed(engine)
    assert (again.plans, again.created) == (2, 0)
    assert _rows(engine) == before
