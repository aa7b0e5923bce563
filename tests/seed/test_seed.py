"""The seeded strategy: nine strands in the strategy's order, and seeding twice changes nothing."""

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.db import write_session
from app.seed.service import load_strategy
from app.strategies.models import Strand

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


def _snapshot(engine: Engine) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(Strand.__table__).order_by(Strand.id)).mappings()
        return [dict(row) for row in rows]


def test_seed_loads_the_nine_strands_in_order(
    client: TestClient, engine: Engine, viewer: dict
) -> None:
    report = _seed(engine)
    assert len(report.created) == 10
    strands = client.get("/api/v1/strands", headers=viewer).json()
    assert [(s["slug"], s["lead"]) for s in strands] == NINE
    hate = strands[7]
    assert hate["name"] == "Hate Crime"
    assert len(hate["strategic_aims"]) == 4
    assert "Essex Hate Crime Strategic Partnership" in hate["partnership_forums"]


def test_seeding_twice_changes_nothing(engine: Engine) -> None:
    _seed(engine)
    before = _snapshot(engine)
    report = _seed(engine)
    assert report.changed is False
    assert len(report.unchanged) == 9
    assert _snapshot(engine) == before


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
