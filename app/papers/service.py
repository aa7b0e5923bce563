"""Rules for board papers: a draft per quarter, started from the previous quarter's text, that
only admins edit and nobody edits once published (until it is restated)."""

from typing import Any

from sqlmodel import Session, select

from app.auth.service import Actor, ensure_admin
from app.core.base import utcnow
from app.core.concurrency import check_if_match
from app.core.errors import Conflict
from app.core.quarters import Quarter
from app.papers.models import BoardPaper
from app.papers.schemas import (
    NUMBERS,
    SUBSECTION_TITLES,
    TITLES,
    BoardPaperRead,
    BoardPaperWrite,
    SectionKey,
    SectionRead,
    SubsectionRead,
)
from app.periods import publications
from app.strategies.models import Strategy

KIND = "board_paper"


def key_of(strategy_id: int, quarter: Quarter) -> str:
    """The paper's name in the publication record."""
    return f"{strategy_id}/{quarter}"


def find(*, session: Session, strategy_id: int, quarter: Quarter) -> BoardPaper | None:
    return session.exec(
        select(BoardPaper).where(
            BoardPaper.strategy_id == strategy_id, BoardPaper.quarter == str(quarter)
        )
    ).first()


def previous(*, session: Session, strategy_id: int, quarter: Quarter) -> BoardPaper | None:
    """The latest paper of an earlier quarter (quarters as text sort as they run)."""
    return session.exec(
        select(BoardPaper)
        .where(BoardPaper.strategy_id == strategy_id, BoardPaper.quarter < str(quarter))
        .order_by(BoardPaper.quarter.desc())  # type: ignore[attr-defined]
    ).first()


def sections_of(stored: list[dict[str, Any]]) -> list[SectionRead]:
    """Every section in the paper's order and numbering, empty where nothing was written."""
    by_key = {item["key"]: item for item in stored}
    sections = []
    for key in SectionKey:
        item = by_key.get(key.value)
        number = NUMBERS[key]
        stem = number.removesuffix(".0")
        if item is None:
            subsections = [{"title": title, "body": ""} for title in SUBSECTION_TITLES.get(key, ())]
            item = {"title": TITLES[key], "body": "", "subsections": subsections}
        sections.append(
            SectionRead(
                key=key,
                number=number,
                title=item.get("title") or TITLES[key],
                body=item.get("body", ""),
                subsections=[
                    SubsectionRead(number=f"{stem}.{n}", title=sub["title"], body=sub["body"])
                    for n, sub in enumerate(item.get("subsections", []), start=1)
                ],
            )
        )
    return sections


def is_published(*, session: Session, strategy_id: int, quarter: Quarter) -> bool:
    """Published and not reopened by a restatement."""
    key = key_of(strategy_id, quarter)
    return (
        publications.latest(session=session, kind=KIND, key=key) is not None
        and publications.pending_restatement(session=session, kind=KIND, key=key) is None
    )


def paper_etag(strategy_id: int, quarter: Quarter, version: int) -> str:
    return f'"board-paper-{strategy_id}-{quarter}-v{version}"'


def read(*, session: Session, strategy: Strategy, quarter: Quarter) -> BoardPaperRead:
    """The quarter's paper, or the draft it would start as: the previous quarter's text."""
    strategy_id: int = strategy.id  # type: ignore[assignment]
    paper = find(session=session, strategy_id=strategy_id, quarter=quarter)
    started_from = None
    stored: list[dict[str, Any]] = []
    if paper is not None:
        stored = paper.sections
    elif (
        earlier := previous(session=session, strategy_id=strategy_id, quarter=quarter)
    ) is not None:
        stored, started_from = earlier.sections, Quarter.parse(earlier.quarter)
    latest = publications.latest(session=session, kind=KIND, key=key_of(strategy_id, quarter))
    published = is_published(session=session, strategy_id=strategy_id, quarter=quarter)
    return BoardPaperRead(
        quarter=quarter,
        strategy_id=strategy_id,
        status="published" if published else "draft",
        version=paper.version if paper else 0,
        published_version=latest.version if latest else None,
        started_from=started_from,
        sections=sections_of(stored),
        updated_at=paper.updated_at if paper else None,
        updated_by=paper.updated_by if paper else None,
    )


def save(
    *,
    session: Session,
    actor: Actor,
    strategy: Strategy,
    quarter: Quarter,
    data: BoardPaperWrite,
    if_match: str | None,
) -> tuple[BoardPaperRead, bool]:
    """Write the quarter's draft (admin); answers the paper and whether it was created."""
    ensure_admin(actor)
    strategy_id: int = strategy.id  # type: ignore[assignment]
    paper = find(session=session, strategy_id=strategy_id, quarter=quarter)
    check_if_match(
        if_match,
        paper_etag(strategy_id, quarter, paper.version if paper else 0),
        what="board paper",
        current=lambda: read(session=session, strategy=strategy, quarter=quarter).model_dump(
            mode="json"
        ),
    )
    if is_published(session=session, strategy_id=strategy_id, quarter=quarter):
        raise Conflict(
            f"the board paper of {quarter} is published: an admin must restate it, with a reason, "
            "before it is edited"
        )
    sections = [
        {
            "key": s.key.value,
            "title": s.title or TITLES[s.key],
            "body": s.body,
            "subsections": [sub.model_dump() for sub in s.subsections],
        }
        for s in data.sections
    ]
    created = paper is None
    if paper is None:
        paper = BoardPaper(
            strategy_id=strategy_id,
            quarter=str(quarter),
            sections=sections,
            created_by=actor.name,
            updated_by=actor.name,
        )
    elif paper.sections != sections:
        paper.sections = sections
        paper.version += 1
        paper.updated_at = utcnow()
        paper.updated_by = actor.name
    session.add(paper)
    session.flush()
    return read(session=session, strategy=strategy, quarter=quarter), created
