"""Loading the strategy held in `seed/` and its delivery plans: running it again changes nothing."""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.auth.models import Role
from app.auth.service import Actor
from app.core.config import get_settings
from app.imports import service as imports
from app.imports.reader import PlanLeads
from app.imports.schemas import Outcome
from app.imports.service import Progress
from app.strategies import service as strategies
from app.strategies.models import Strand, Strategy
from app.strategies.schemas import StrandCreate, StrandUpdate, StrategyCreate

SYSTEM = Actor(token_id=0, name="system:seed", role=Role.admin, strands=frozenset())

STRAND_FIELDS = ("name", "lead", "purpose", "strategic_aims", "partnership_forums")


@dataclass
class SeedReport:
    strategy: str = ""
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    tasks_created: int = 0
    tasks_updated: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def read_strategy_file(seed_dir: Path) -> dict[str, Any]:
    with (seed_dir / "strategy.toml").open("rb") as handle:
        return tomllib.load(handle)


def load_strategy(
    *, session: Session, seed_dir: Path | None = None, progress: Progress | None = None
) -> SeedReport:
    """Create or bring up to date the seeded strategy, its strands and their delivery plans.

    `progress(done, total)` is told after each plan.
    """
    seed_dir = seed_dir or get_settings().seed_dir
    data = read_strategy_file(seed_dir)
    meta = data["strategy"]
    report = SeedReport(strategy=meta["name"])
    strategy = session.exec(select(Strategy).where(Strategy.name == meta["name"])).first()
    if strategy is None:
        strategy = strategies.create_strategy(
            session=session,
            actor=SYSTEM,
            data=StrategyCreate(
                name=meta["name"], starts_on=meta["starts_on"], ends_on=meta["ends_on"]
            ),
        )
        report.created.append(f"strategy {meta['name']}")
    for position, row in enumerate(data["strand"], start=1):
        values = {key: row.get(key, "") for key in STRAND_FIELDS}
        strand = session.exec(
            select(Strand).where(Strand.strategy_id == strategy.id, Strand.slug == row["slug"])
        ).first()
        if strand is None:
            strategies.create_strand(
                session=session,
                actor=SYSTEM,
                data=StrandCreate(
                    strategy_id=strategy.id, slug=row["slug"], position=position, **values
                ),
            )
            report.created.append(f"strand {row['slug']}")
            continue
        wanted = {**values, "position": position}
        if all(getattr(strand, key) == value for key, value in wanted.items()):
            report.unchanged.append(f"strand {row['slug']}")
            continue
        strategies.update_strand(
            session=session,
            actor=SYSTEM,
            strand=strand,
            data=StrandUpdate(**wanted),
            if_match="*",
        )
        report.updated.append(f"strand {row['slug']}")
    session.flush()
    load_plans(session=session, seed_dir=seed_dir, report=report, progress=progress)
    return report


def load_plans(
    *, session: Session, seed_dir: Path, report: SeedReport, progress: Progress | None = None
) -> None:
    """Import every plan of `plans.toml` through the importer, as a lead would."""
    with (seed_dir / "plans.toml").open("rb") as handle:
        data = tomllib.load(handle)
    for done, entry in enumerate(data["plan"], start=1):
        path = seed_dir / entry["file"]
        result = imports.import_file(
            session=session,
            actor=SYSTEM,
            content=path.read_bytes(),
            filename=path.name,
            strand_slug=entry["strand"],
            plan_name=entry["name"],
            added_on=data["added_on"],
            leads=PlanLeads(
                area=entry["name"],
                tactical_lead=entry.get("tactical_lead", ""),
                operational_lead=entry.get("operational_lead", ""),
            ),
        )
        plan = result.plans[0]
        report.tasks_created += result.created
        report.tasks_updated += result.updated
        label = f"plan {entry['strand']}/{plan.name}"
        if plan.plan is Outcome.created:
            report.created.append(label)
        elif plan.plan is Outcome.updated or result.created or result.updated:
            report.updated.append(label)
        else:
            report.unchanged.append(label)
        if progress is not None:
            progress(done, len(data["plan"]))


def is_empty(*, session: Session) -> bool:
    return session.exec(select(Strategy.id)).first() is None
