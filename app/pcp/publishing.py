"""Publishing the quarterly update through the one publication mechanism: every format's bytes
kept as rendered, served forever, and restated only with a reason."""

import difflib

from sqlmodel import Session

from app.auth.service import Actor, ensure_admin
from app.core.quarters import Quarter
from app.pcp import document, render, service
from app.pcp.models import PcpPlan
from app.periods import publications
from app.periods.models import Publication, Restatement

KIND = service.PUBLICATION_KIND
MARKDOWN = render.UpdateFormat.md.value


def _changes(previous: Publication | None, markdown: bytes, *, session: Session) -> list[dict]:
    """What a restated version changes against the one before: the Markdown lines added and
    removed, in order."""
    if previous is None:
        return []
    before = publications.file_of(session=session, publication=previous, fmt=MARKDOWN)
    diff = difflib.unified_diff(
        before.content.decode().splitlines(), markdown.decode().splitlines(), lineterm="", n=0
    )
    return [
        {"text": line}
        for line in diff
        if line[:1] in "+-" and not line.startswith(("+++", "---")) and line[1:].strip()
    ]


def publish(*, session: Session, actor: Actor, plan: PcpPlan, quarter: Quarter) -> Publication:
    """Publish the quarter's update (admin): its submitted commentary in every format."""
    ensure_admin(actor)
    service.check_quarter(plan, quarter)
    key = service.publication_key(plan, quarter)
    publications.ensure_publishable(session=session, actor=actor, kind=KIND, key=key)
    doc = document.build(session=session, plan=plan, quarter=quarter, drafts=False)
    files = [
        publications.Rendered(
            format=fmt.value,
            media_type=render.MEDIA_TYPES[fmt],
            filename=render.filename(doc, fmt),
            content=render.render(doc, fmt),
        )
        for fmt in render.UpdateFormat
    ]
    [markdown] = [f.content for f in files if f.format == MARKDOWN]
    restated = publications.pending_restatement(session=session, kind=KIND, key=key)
    previous = publications.latest(session=session, kind=KIND, key=key) if restated else None
    return publications.publish(
        session=session,
        actor=actor,
        kind=KIND,
        key=key,
        data={
            "plan": plan.slug,
            "quarter": str(quarter),
            "layout": doc.layout.value,
            "title_block": dict(doc.title_block),
        },
        files=files,
        changes=_changes(previous, markdown, session=session),
    )


def restate(
    *, session: Session, actor: Actor, plan: PcpPlan, quarter: Quarter, reason: str
) -> Restatement:
    """Reopen a published update for correction (admin); its next publication is a new version."""
    service.check_quarter(plan, quarter)
    return publications.restate(
        session=session,
        actor=actor,
        kind=KIND,
        key=service.publication_key(plan, quarter),
        reason=reason,
    )


def published(
    *, session: Session, plan: PcpPlan, quarter: Quarter, version: int | None
) -> Publication | None:
    """The version asked for (404 if there is none), else the latest if the update has one."""
    key = service.publication_key(plan, quarter)
    if version is None:
        return publications.latest(session=session, kind=KIND, key=key)
    return publications.version_of(session=session, kind=KIND, key=key, version=version)


def versions(*, session: Session, plan: PcpPlan, quarter: Quarter) -> list[Publication]:
    return publications.versions(
        session=session, kind=KIND, key=service.publication_key(plan, quarter)
    )
