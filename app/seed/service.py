"""Loading the strategy held in `seed/`: running it again changes nothing."""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.auth.models import Role
from app.auth.service import Actor
from app.core.config import get_settings
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

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def read_strategy_file(seed_dir: Path) -> dict[str, Any]:
    with (seed_dir / "strategy.toml").open("rb") as handle:
        return tomllib.load(handle)


def load_strategy(*, session: Session, seed_dir: Path | None = None) -> SeedReport:
    """Create or bring up to date the seeded strategy and its strands, in the seed's order."""
    data = read_strategy_file(seed_dir or get_settings().seed_dir)
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
    return report


def is_empty(*, session: Session) -> bool:
    return session.exec(select(Strategy.id)).first() is None
