"""A strategy of N tasks with M dated status events, written in bulk (COPY on PostgreSQL).

    DATABASE_URL=... python -m bench.data --tasks 100000 --events 1000000

empties that database and builds the data alone, so that anyone can measure the same build.
"""

import random
import time
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from sqlalchemy.engine import Engine

from app.core.base import utcnow
from app.core.db import copy_rows
from app.strategies.models import DeliveryPlan, Strand, Strategy
from app.tasks import spans
from app.tasks.models import Pillar, Status, StatusEvent, Task

STARTS_ON = date(2018, 4, 1)
ENDS_ON = date(2022, 3, 31)
STRANDS = [
    "Domestic Abuse",
    "Gangs & Knife Crime",
    "Night Time Economy",
    "Sexual Crime, Child Abuse & Exploitation",
    "Digital Crime & Fraud",
    "Extremism & Radicalisation",
    "House Burglary & Street Robbery",
    "Hate Crime",
    "Serious & Organised Crime",
]
PLANS_PER_STRAND = 2
CHUNK = 20_000
STATUSES = [Status.ongoing, Status.at_risk, Status.complete, Status.withdrawn]
# About 1% at risk, as in the board's own report (3 of 260): each at-risk task is a row of the
# board report's tables.
WEIGHTS = [55, 1, 40, 4]


def build(engine: Engine, *, tasks: int, events: int, seed: int = 7) -> dict[str, int]:
    """Write the strategy; returns the ids the benchmark needs."""
    rng = random.Random(seed)
    now = utcnow()
    with engine.begin() as connection:
        strategy_id = connection.execute(
            sa.insert(Strategy)
            .values(
                name="Benchmark strategy",
                starts_on=STARTS_ON,
                ends_on=ENDS_ON,
                version=1,
                created_at=now,
                updated_at=now,
            )
            .returning(Strategy.id)
        ).scalar_one()
        plan_ids: list[tuple[int, int]] = []
        for position, name in enumerate(STRANDS, 1):
            strand_id = connection.execute(
                sa.insert(Strand)
                .values(
                    strategy_id=strategy_id,
                    slug=f"strand-{position}",
                    name=name,
                    position=position,
                    lead="",
                    purpose="",
                    strategic_aims=[],
                    partnership_forums=[],
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
                .returning(Strand.id)
            ).scalar_one()
            for n in range(1, PLANS_PER_STRAND + 1):
                plan_id = connection.execute(
                    sa.insert(DeliveryPlan)
                    .values(
                        strand_id=strand_id,
                        name=f"{name} plan {n}",
                        position=n,
                        tactical_lead="",
                        operational_lead="",
                        version=1,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(DeliveryPlan.id)
                ).scalar_one()
                plan_ids.append((plan_id, strand_id))
    extra_events = max(0, events - tasks)
    for task_rows, event_rows in _chunks(rng, plan_ids, tasks, extra_events):
        with engine.begin() as connection:
            copy_rows(connection, Task.__table__, task_rows)
            copy_rows(connection, StatusEvent.__table__, event_rows)
    # Written in bulk, so the spans the dashboard counts are derived here as a migration would.
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # A million events' spans take longer than a request may: the server's limit is not
            # the build's.
            connection.execute(sa.text("SET LOCAL statement_timeout = 0"))
        spans.rebuild_all(connection)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for table in ("task", "status_event"):
                connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        # As years of history would have been by autovacuum, rather than by one running in the
        # middle of the measurements.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
    return {"strategy_id": strategy_id, "plan_id": plan_ids[0][0]}


def _chunks(
    rng: random.Random, plans: list[tuple[int, int]], tasks: int, extra_events: int
) -> Iterator[tuple[list[dict], list[dict]]]:
    """Tasks with ids 1..N (the database is new) and their events, a chunk at a time."""
    now = utcnow()
    pillars = list(Pillar)
    span = (ENDS_ON - STARTS_ON).days
    event_id = 0
    per_task_extra, remainder = divmod(extra_events, tasks)
    for start in range(0, tasks, CHUNK):
        task_rows, event_rows = [], []
        for i in range(start, min(tasks, start + CHUNK)):
            plan_id, strand_id = plans[i % len(plans)]
            added_on = STARTS_ON + timedelta(days=rng.randrange(span // 2))
            history = [(added_on, Status.ongoing)]
            count = per_task_extra + (1 if i < remainder else 0)
            days = sorted(rng.randrange((ENDS_ON - added_on).days + 1) for _ in range(count))
            history += [
                (added_on + timedelta(days=d), rng.choices(STATUSES, WEIGHTS)[0]) for d in days
            ]
            for effective_date, status in history:
                event_id += 1
                event_rows.append(
                    {
                        "id": event_id,
                        "task_id": i + 1,
                        "status": status.value,
                        "effective_date": effective_date,
                        "note": "",
                        "recorded_by": "bench",
                        "recorded_at": now,
                    }
                )
            task_rows.append(
                {
                    "id": i + 1,
                    "plan_id": plan_id,
                    "strand_id": strand_id,
                    "pillar": pillars[i % 4].value,
                    "task_no": i // len(plans) + 1,
                    "title": f"Task {i + 1}: work with partners to reduce harm",
                    "how": "Measured quarterly",
                    "owner": f"Owner {i % 97}",
                    "due_date": added_on + timedelta(days=365),
                    "due_text": "",
                    "added_on": added_on,
                    "status": history[-1][1].value,
                    "version": 1,
                    "created_at": now,
                    "created_by": "bench",
                    "updated_at": now,
                    "updated_by": "bench",
                }
            )
        yield task_rows, event_rows


def plan_workbook(rows: int) -> bytes:
    """A delivery-plan workbook in the Appendix 2 layout with `rows` tasks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Imported plan")
    sheet.append(["4P plan - Imported plan"])
    sheet.append([])
    sheet.append(["Strand", "Task", "How will this be delivered?", "Who", "When", "Task No"])
    pillars = ["PREVENT", "PURSUE", "PROTECT", "PREPARE"]
    per_pillar = -(-rows // 4)
    for n in range(rows):
        first = n % per_pillar == 0
        sheet.append(
            [
                pillars[n // per_pillar] if first else None,
                f"Task {n + 1}: work with partners to reduce harm in the night-time economy",
                f"Measured quarterly; linked to action ({max(1, n)})",
                f"Owner {n % 50}",
                ("Sep-18", "1st review 15/6/18", "Ongoing", "COMPLETED")[n % 4],
                n % per_pillar + 1,
            ]
        )
    import io

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def long_history(engine: Engine, *, plan_id: int, lengths: Sequence[int]) -> dict[int, int]:
    """One task more per length, with that many status events (dated from 2018 onwards, a
    day apart); the task id of each length."""
    now = utcnow()
    with engine.begin() as connection:
        strand_id = connection.execute(
            sa.select(DeliveryPlan.strand_id).where(DeliveryPlan.id == plan_id)
        ).scalar_one()
        ids = {}
        for length in lengths:
            task_no = connection.execute(
                sa.select(sa.func.coalesce(sa.func.max(Task.task_no), 0) + 1).where(
                    Task.plan_id == plan_id
                )
            ).scalar_one()
            ids[length] = connection.execute(
                sa.insert(Task)
                .values(
                    plan_id=plan_id,
                    strand_id=strand_id,
                    pillar=Pillar.prevent.value,
                    task_no=task_no,
                    title=f"A task with {length} events",
                    how="",
                    owner="",
                    due_text="",
                    added_on=STARTS_ON,
                    status=Status.ongoing.value,
                    version=1,
                    created_at=now,
                    created_by="bench",
                    updated_at=now,
                    updated_by="bench",
                )
                .returning(Task.id)
            ).scalar_one()
            statuses = [Status.ongoing, Status.at_risk]
            connection.execute(
                sa.insert(StatusEvent),
                [
                    {
                        "task_id": ids[length],
                        "status": statuses[n % 2].value,
                        "effective_date": STARTS_ON + timedelta(days=n // 4),
                        "note": "",
                        "recorded_by": "bench",
                        "recorded_at": now,
                    }
                    for n in range(length)
                ],
            )
            spans.rebuild(connection, [ids[length]])
    return ids


def prepare(url: str) -> None:
    """Empty the database (a PostgreSQL schema; a SQLite file is made new) and migrate it."""
    from alembic import command

    from app.cli import alembic_config

    if url.startswith("postgresql"):
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    elif url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
    config = alembic_config()
    config.attributes["database_url"] = url
    command.upgrade(config, "head")


def main(
    tasks: Annotated[int, typer.Option(min=10, help="Tasks to build.")] = 100_000,
    events: Annotated[int, typer.Option(min=10, help="Status events, one per task at least.")] = (
        1_000_000
    ),
) -> None:
    """Empty the database DATABASE_URL names and build the benchmark's strategy into it."""
    from app.core.config import get_settings
    from app.core.db import make_engine, normalise_url

    url = normalise_url(get_settings().database_url)
    prepare(url)
    engine = make_engine(url)
    start = time.perf_counter()
    ids = build(engine, tasks=tasks, events=events)
    engine.dispose()
    print(
        f"built {tasks:,} tasks and {events:,} events in {time.perf_counter() - start:.1f} s: {ids}"
    )


if __name__ == "__main__":
    typer.run(main)
