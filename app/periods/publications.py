"""The one way to publish a document: store what it was rendered from and every format's bytes
with their SHA-256, serve them forever, and restate it on the record with a reason.

A document is named by its `kind` (`board_paper`) and a `key` within the kind; each publication
is a new version. What a document shows, and which quarters publishing closes, is its domain's
business: this keeps the record.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from app.audit import service as audit
from app.auth.service import Actor, ensure_admin
from app.core.base import utcnow
from app.core.db import allow_idle_between_statements
from app.core.errors import Conflict, NotFound
from app.periods.models import Publication, PublicationFile, Restatement
from app.periods.schemas import PublicationFileRead, PublicationRead

# How long a publishing transaction may sit idle while it renders (the PDF takes seconds, more on a
# busy server); a forgotten transaction is still ended, later than the usual idle timeout.
RENDERING_IDLE_MS = 300_000


@dataclass(frozen=True, slots=True)
class Rendered:
    format: str
    media_type: str
    filename: str
    content: bytes


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def latest(*, session: Session, kind: str, key: str) -> Publication | None:
    return session.exec(
        select(Publication)
        .where(Publication.kind == kind, Publication.key == key)
        .order_by(Publication.version.desc())  # type: ignore[attr-defined]
    ).first()


def version_of(*, session: Session, kind: str, key: str, version: int | None) -> Publication:
    """A published version (the latest by default); 404 when there is none."""
    if version is None:
        found = latest(session=session, kind=kind, key=key)
    else:
        found = session.exec(
            select(Publication).where(
                Publication.kind == kind, Publication.key == key, Publication.version == version
            )
        ).first()
    if found is None:
        which = "" if version is None else f" version {version}"
        raise NotFound(f"{key.split('/')[-1]} has no published{which} {kind.replace('_', ' ')}")
    return found


def versions(*, session: Session, kind: str, key: str) -> list[Publication]:
    return list(
        session.exec(
            select(Publication)
            .where(Publication.kind == kind, Publication.key == key)
            .order_by(Publication.version)  # type: ignore[arg-type]
        )
    )


def file_of(*, session: Session, publication: Publication, fmt: str) -> PublicationFile:
    found = session.exec(
        select(PublicationFile).where(
            PublicationFile.publication_id == publication.id, PublicationFile.format == fmt
        )
    ).first()
    if found is None:
        raise NotFound(f"version {publication.version} was not published as {fmt}")
    return found


def files_of(*, session: Session, publication: Publication) -> list[PublicationFile]:
    return list(
        session.exec(
            select(PublicationFile)
            .where(PublicationFile.publication_id == publication.id)
            .order_by(PublicationFile.id)  # type: ignore[arg-type]
        )
    )


def describe(*, session: Session, publication: Publication) -> PublicationRead:
    """A version as the API shows it, with its files' digests."""
    return PublicationRead(
        kind=publication.kind,
        key=publication.key,
        version=publication.version,
        reason=publication.reason,
        changes=publication.changes,
        published_at=publication.published_at,
        published_by=publication.published_by,
        files=[
            PublicationFileRead.model_validate(f, from_attributes=True)
            for f in files_of(session=session, publication=publication)
        ],
    )


def pending_restatement(*, session: Session, kind: str, key: str) -> Restatement | None:
    return session.exec(
        select(Restatement).where(
            Restatement.kind == kind,
            Restatement.key == key,
            Restatement.published_version.is_(None),  # type: ignore[union-attr]
        )
    ).first()


def ensure_publishable(*, session: Session, actor: Actor, kind: str, key: str) -> int:
    """The version the next publication will be; 409 when the latest stands unrestated."""
    ensure_admin(actor)
    # Every format is rendered between this check and the stores that follow it, in one transaction.
    allow_idle_between_statements(session, RENDERING_IDLE_MS)
    current = latest(session=session, kind=kind, key=key)
    if current is None:
        return 1
    if pending_restatement(session=session, kind=kind, key=key) is None:
        raise Conflict(
            f"version {current.version} is already published (on "
            f"{current.published_at:%Y-%m-%d} by {current.published_by}): restate it with a "
            "reason to publish a correction"
        )
    return current.version + 1


def publish(
    *,
    session: Session,
    actor: Actor,
    kind: str,
    key: str,
    data: dict[str, Any],
    files: Sequence[Rendered],
    changes: Sequence[dict[str, Any]] = (),
) -> Publication:
    """Store a new version with its files; a pending restatement is answered by it."""
    version = ensure_publishable(session=session, actor=actor, kind=kind, key=key)
    restatement = pending_restatement(session=session, kind=kind, key=key)
    publication = Publication(
        kind=kind,
        key=key,
        version=version,
        data=data,
        reason=restatement.reason if restatement else "",
        changes=list(changes),
        published_at=utcnow(),
        published_by=actor.name,
    )
    session.add(publication)
    session.flush()
    for rendered in files:
        session.add(
            PublicationFile(
                publication_id=publication.id,  # type: ignore[arg-type]
                format=rendered.format,
                media_type=rendered.media_type,
                filename=rendered.filename,
                sha256=digest(rendered.content),
                size=len(rendered.content),
                content=rendered.content,
            )
        )
    if restatement is not None:
        restatement.published_version = version
        session.add(restatement)
    audit.record(
        session=session,
        action="publish",
        entity="publication_file",
        entity_id=str(publication.id),
        after={
            "kind": kind,
            "key": key,
            "version": version,
            "files": {f.format: digest(f.content) for f in files},
        },
    )
    session.flush()
    return publication


def restate(*, session: Session, actor: Actor, kind: str, key: str, reason: str) -> Restatement:
    """Open a published document for correction; its next publication says why."""
    ensure_admin(actor)
    current = latest(session=session, kind=kind, key=key)
    if current is None:
        raise NotFound(f"{key.split('/')[-1]} has no published {kind.replace('_', ' ')} to restate")
    pending = pending_restatement(session=session, kind=kind, key=key)
    if pending is not None:
        raise Conflict(
            f"version {current.version} is already being restated (since "
            f"{pending.restated_at:%Y-%m-%d} by {pending.restated_by}: {pending.reason})"
        )
    restatement = Restatement(
        kind=kind,
        key=key,
        reason=reason,
        of_version=current.version,
        restated_at=utcnow(),
        restated_by=actor.name,
    )
    session.add(restatement)
    session.flush()
    return restatement
