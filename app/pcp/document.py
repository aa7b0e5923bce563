"""The quarterly update on a Police and Crime Plan: its parts, gathered once for every format.

Per priority (those with commentary in the quarter), each commitment with the commentary of each
contributor in the order the document sets them; the strands linked to the priority with their
dashboard figures for the quarter; and the title block. Only submitted commentary is shown unless
drafts are asked for.
"""

from dataclasses import dataclass, field

from sqlmodel import Session, select

from app.core.quarters import Quarter
from app.dashboard import service as dashboard
from app.pcp import service
from app.pcp.models import (
    ContributorKind,
    Layout,
    PcpCommitment,
    PcpContributor,
    PcpPlan,
    PcpPriority,
)
from app.pcp.schemas import UpdateRead
from app.strategies.models import Strand, Strategy

# The documents set an en dash between a priority's number and its title.
DASH = "\u2013"


@dataclass(frozen=True)
class Entry:
    contributor: str
    full_name: str
    kind: ContributorKind
    joint_with: list[str]
    body: str
    submitted: bool

    @property
    def who(self) -> list[str]:
        """The contributors the table layout's Who column names."""
        return [self.full_name, *self.joint_with]

    @property
    def heading(self) -> str | None:
        """The area heading of the headings layout; force-wide commentary has none."""
        return None if self.kind is ContributorKind.force else self.contributor


@dataclass(frozen=True)
class CommitmentPart:
    lead_in: str
    text: str
    entries: list[Entry]


@dataclass(frozen=True)
class StrandLine:
    name: str
    total: int | None
    complete: int | None
    ongoing: int | None
    at_risk: int | None


@dataclass(frozen=True)
class PriorityPart:
    number: int
    title: str
    objective: str
    commitments: list[CommitmentPart]
    strands: list[StrandLine] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"Priority {self.number} {DASH} {self.title}"


@dataclass(frozen=True)
class QuarterlyUpdate:
    plan: str
    plan_slug: str
    quarter: Quarter
    update: UpdateRead
    layout: Layout
    drafts: bool
    priorities: list[PriorityPart]

    @property
    def title(self) -> str:
        return (
            self.update.title or f"{self.plan} {DASH} Quarterly Update {self.quarter.board_label}"
        )

    @property
    def title_block(self) -> list[tuple[str, str]]:
        """The cover's lines, those the update has, in the seeds' order."""
        u = self.update
        lines = [
            ("Plan", self.plan),
            ("Quarter", self.quarter.board_label),
            ("Version", u.version_label),
            ("Produced", u.produced),
            ("Data to", u.data_to),
            ("Unit", u.unit),
            ("Author", u.author),
            ("Document owner", u.document_owner),
            ("Sensitivity", u.sensitivity),
        ]
        if self.drafts:
            lines.append(("Status", "Includes draft commentary not yet submitted"))
        return [(label, value) for label, value in lines if value]


def _strand_lines(
    session: Session, strands: list[Strand], quarter: Quarter
) -> dict[int, StrandLine]:
    """Each linked strand's dashboard figures for the quarter, counted once per strategy."""
    lines: dict[int, StrandLine] = {}
    by_strategy: dict[int, list[Strand]] = {}
    for strand in strands:
        by_strategy.setdefault(strand.strategy_id, []).append(strand)
    for strategy_id, members in by_strategy.items():
        strategy = session.get(Strategy, strategy_id)
        assert strategy is not None
        [figures] = dashboard.figures_of(session=session, strategy=strategy, quarters=[quarter])
        by_slug = {f.slug: f for f in figures.strands}
        for strand in members:
            found = by_slug.get(strand.slug)
            lines[strand.id] = StrandLine(  # type: ignore[index]
                name=strand.name,
                total=found.total if found else None,
                complete=found.complete if found else None,
                ongoing=found.ongoing if found else None,
                at_risk=found.at_risk if found else None,
            )
    return lines


def build(
    *, session: Session, plan: PcpPlan, quarter: Quarter, drafts: bool = False
) -> QuarterlyUpdate:
    service.check_quarter(plan, quarter)
    record = service.find_update(session=session, plan=plan, quarter=quarter)
    filters = service.CommentaryFilter(
        plan=plan.slug, quarter=quarter, status=None if drafts else service.SUBMITTED
    )
    items, _ = service.list_commentary(session=session, filters=filters)
    contributors = {
        c.slug: c
        for c in session.exec(select(PcpContributor).where(PcpContributor.plan_id == plan.id))
    }
    commitments = {
        c.id: c for c in session.exec(select(PcpCommitment).where(PcpCommitment.plan_id == plan.id))
    }
    priorities = {p.number: p for p in service.priorities(session=session, plan=plan)}
    linked = service.strands_by_priority(session=session, plan=plan)
    figures = _strand_lines(session, [s for group in linked.values() for s in group], quarter)

    grouped: dict[int, dict[int, list[Entry]]] = {}
    for item in items:
        contributor = contributors[item.contributor]
        entry = Entry(
            contributor=contributor.name,
            full_name=contributor.full_name or contributor.name,
            kind=contributor.kind,
            joint_with=[
                (contributors[s].full_name or contributors[s].name)
                for s in item.joint_with
                if s in contributors
            ],
            body=item.body,
            submitted=item.status == service.SUBMITTED,
        )
        grouped.setdefault(item.priority, {}).setdefault(item.commitment_id, []).append(entry)
    parts = []
    for number, by_commitment in grouped.items():
        priority: PcpPriority = priorities[number]
        parts.append(
            PriorityPart(
                number=number,
                title=priority.title,
                objective=priority.objective,
                commitments=[
                    CommitmentPart(
                        lead_in=commitments[cid].lead_in,
                        text=commitments[cid].text,
                        entries=entries,
                    )
                    for cid, entries in by_commitment.items()
                ],
                strands=[figures[s.id] for s in linked.get(number, [])],  # type: ignore[index]
            )
        )
    return QuarterlyUpdate(
        plan=plan.name,
        plan_slug=plan.slug,
        quarter=quarter,
        update=service.update_read(plan=plan, quarter=quarter, record=record),
        layout=service.layout_for(plan=plan, update=record),
        drafts=drafts,
        priorities=parts,
    )
