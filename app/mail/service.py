"""Queueing mail in the caller's transaction, and the counts `/metrics` shows."""

import uuid
from email.utils import make_msgid

import sqlalchemy as sa
from sqlmodel import Session

from app.core.base import utcnow
from app.mail.models import MailMessage, MailStatus


def new_message_id(domain: str) -> str:
    """A `Message-ID` unique across databases restored from backups: a UUID at the sender's
    domain."""
    return make_msgid(idstring=uuid.uuid4().hex, domain=domain or "localhost")


def queue(
    *,
    session: Session,
    to_address: str,
    to_name: str,
    subject: str,
    text_body: str,
    html_body: str,
    message_id: str,
) -> MailMessage:
    """Put a message in the outbox, in the caller's transaction; the worker sends it later."""
    now = utcnow()
    message = MailMessage(
        message_id=message_id,
        to_address=to_address,
        to_name=to_name,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def counts(*, session: Session) -> dict[MailStatus, int]:
    """Messages by status."""
    by_status = {status: 0 for status in MailStatus}
    for status, number in session.execute(
        sa.select(MailMessage.status, sa.func.count()).group_by(MailMessage.status)
    ).all():
        by_status[MailStatus(status)] = number
    return by_status
