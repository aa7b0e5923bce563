"""Loading the Police and Crime Plans held in `seed/pcp/`: what is already there is left alone.

`seed/pcp/<plan slug>.toml` holds a plan, its contributors, priorities and commitments;
`seed/pcp/<plan slug>/<quarter>.toml` a quarter's title block and commentary, which is loaded
as submitted, as the published update printed it.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.auth.service import Actor
from app.core.quarters import Quarter
from app.pcp import service as pcp
from app.pcp.models import (
    PcpCommentary,
    PcpCommitment,
    PcpPlan,
    PcpPriority,
    PcpSubmission,
)
from app.pcp.schemas import (
    CommentaryCreate,
    CommitmentCreate,
    ContributorCreate,
    PcpPlanCreate,
    PriorityCreate,
    UpdateWrite,
)


@dataclass
class PcpSeedReport:
    plans: int = 0
    created: int = 0
    unchanged: int = 0


def read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def plan_files(seed_dir: Path) -> list[Path]:
    return sorted((seed_dir / "pcp").glob("*.toml"))


def quarter_files(seed_dir: Path, slug: str) -> list[Path]:
    return sorted((seed_dir / "pcp" / slug).glob("*.toml"))


def load_pcp(*, session: Session, actor: Actor, seed_dir: Path) -> PcpSeedReport:
    """Create whatever of the seeded plans and their quarters' commentary is missing."""
    report = PcpSeedReport()
    for path in plan_files(seed_dir):
        data = read_toml(path)
        plan = _plan(session, actor, data, report)
        for quarter_path in quarter_files(seed_dir, plan.slug):
            _quarter(
                session,
                actor,
                plan,
                Quarter.parse(quarter_path.stem),
                read_toml(quarter_path),
                report,
            )
        report.plans += 1
    session.flush()
    return report


def _count(report: PcpSeedReport, created: bool) -> None:
    if created:
        report.created += 1
    else:
        report.unchanged += 1


def _plan(session: Session, actor: Actor, data: dict[str, Any], report: PcpSeedReport) -> PcpPlan:
    meta = data["plan"]
    plan = session.exec(select(PcpPlan).where(PcpPlan.slug == meta["slug"])).first()
    _count(report, plan is None)
    if plan is None:
        plan = pcp.create_plan(session=session, actor=actor, data=PcpPlanCreate(**meta))
    known = {c.slug for c in pcp.contributors(session=session, plan=plan)}
    for position, row in enumerate(data.get("contributor", []), start=1):
        if row["slug"] in known:
            _count(report, False)
            continue
        pcp.add_contributor(
            session=session,
            actor=actor,
            plan=plan,
            data=ContributorCreate(**row, position=position),
        )
        _count(report, True)
    numbers = {p.number for p in pcp.priorities(session=session, plan=plan)}
    for row in data.get("priority", []):
        commitments = row.get("commitment", [])
        if row["number"] not in numbers:
            pcp.add_priority(
                session=session,
                actor=actor,
                plan=plan,
                data=PriorityCreate(
                    number=row["number"], title=row["title"], objective=row.get("objective", "")
                ),
            )
        _count(report, row["number"] not in numbers)
        priority = session.exec(
            select(PcpPriority).where(
                PcpPriority.plan_id == plan.id, PcpPriority.number == row["number"]
            )
        ).one()
        have = set(
            session.exec(
                select(PcpCommitment.position).where(PcpCommitment.priority_id == priority.id)
            )
        )
        for position, commitment in enumerate(commitments, start=1):
            if position in have:
                _count(report, False)
                continue
            pcp.add_commitment(
                session=session,
                actor=actor,
                plan=plan,
                data=CommitmentCreate(priority=row["number"], position=position, **commitment),
            )
            _count(report, True)
    return plan


def _commitment_id(session: Session, plan: PcpPlan, priority: int, position: int) -> int:
    return session.exec(
        select(PcpCommitment.id)
        .join(PcpPriority, PcpPriority.id == PcpCommitment.priority_id)
        .where(
            PcpCommitment.plan_id == plan.id,
            PcpPriority.number == priority,
            PcpCommitment.position == position,
        )
    ).one()


def _quarter(
    session: Session,
    actor: Actor,
    plan: PcpPlan,
    quarter: Quarter,
    data: dict[str, Any],
    report: PcpSeedReport,
) -> None:
    if pcp.find_update(session=session, plan=plan, quarter=quarter) is None:
        pcp.save_update(
            session=session,
            actor=actor,
            plan=plan,
            quarter=quarter,
            data=UpdateWrite(**data.get("update", {})),
            if_match=None,
        )
        _count(report, True)
    contributors = {c.slug: c for c in pcp.contributors(session=session, plan=plan)}
    submitted = set(
        session.exec(
            select(PcpSubmission.contributor_id).where(
                PcpSubmission.plan_id == plan.id, PcpSubmission.quarter == str(quarter)
            )
        )
    )
    writers: list[str] = []
    places: dict[tuple[int, int], int] = {}
    for entry in data.get("commentary", []):
        # Contributors stand under a commitment in the order the file lists them.
        key = (entry["priority"], entry["commitment"])
        places[key] = places.get(key, 0) + 1
        contributor = contributors[entry["contributor"]]
        if entry["contributor"] not in writers:
            writers.append(entry["contributor"])
        commitment_id = _commitment_id(session, plan, entry["priority"], entry["commitment"])
        exists = session.exec(
            select(PcpCommentary.id).where(
                PcpCommentary.commitment_id == commitment_id,
                PcpCommentary.contributor_id == contributor.id,
                PcpCommentary.quarter == str(quarter),
            )
        ).first()
        if exists is not None or contributor.id in submitted:
            _count(report, False)
            continue
        pcp.create_commentary(
            session=session,
            actor=actor,
            data=CommentaryCreate(
                plan=plan.slug,
                quarter=quarter,
                contributor=contributor.slug,
                commitment_id=commitment_id,
                body=entry["body"].strip("\n"),
                joint_with=entry.get("joint_with", []),
                position=places[key],
            ),
        )
        _count(report, True)
    for slug in writers:
        if contributors[slug].id not in submitted:
            pcp.submit(
                session=session, actor=actor, plan=plan, quarter=quarter, contributor_slug=slug
            )
            _count(report, True)


def seeded_quarters(seed_dir: Path) -> list[tuple[str, str]]:
    """(plan slug, quarter) of every quarter file in `seed/pcp/`."""
    found = []
    for path in plan_files(seed_dir):
        slug = read_toml(path)["plan"]["slug"]
        found.extend((slug, str(Quarter.parse(q.stem))) for q in quarter_files(seed_dir, slug))
    return found
