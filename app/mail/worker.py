"""The mail channel of the outbox: claims due messages and sends them over SMTP.

Leases, retries and backoff are the outbox's (`app/core/outbox.py`). A server's temporary
refusal (a 4xx answer), a dropped or refused connection and a timeout are retried later with the
same `Message-ID`; a permanent refusal (a 5xx answer) marks the message failed with the server's
answer. Each message is sent on a connection of its own: reminders come a few dozen a day, and a
connection that breaks then takes no other message with it.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.core.base import utcnow
from app.core.config import Settings
from app.core.outbox import Clock, Leases, RetryPolicy
from app.mail.models import MailMessage, MailStatus

log = logging.getLogger(__name__)

BATCH = 10
LEASE_MARGIN_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Claim:
    row_id: int
    attempt: int
    message: EmailMessage


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    code: int | None = None
    error: str = ""
    permanent: bool = False


def build(
    *,
    message_id: str,
    mail_from: str,
    to_address: str,
    to_name: str,
    subject: str,
    text_body: str,
    html_body: str,
    created_at: datetime,
) -> EmailMessage:
    """The message as sent: plain text with an HTML alternative, the same on every attempt."""
    message = EmailMessage()
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(created_at)
    message["From"] = mail_from
    message["To"] = formataddr((to_name, to_address))
    message["Subject"] = subject
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text_body)
    message.add_alternative(html_body, subtype="html")
    return message


def _answer(code: int, text: bytes | str) -> Outcome:
    said = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    error = f"{code} {said}"[:500]
    return Outcome(ok=False, code=code, error=error, permanent=500 <= code < 600)


class MailWorker:
    """Sends what is due; `run_once` and `drain` let callers (and tests) drive it by steps."""

    def __init__(self, engine: Engine, settings: Settings, *, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.lease = timedelta(seconds=4 * settings.smtp_timeout_seconds + LEASE_MARGIN_SECONDS)
        self.leases = Leases(
            engine, MailMessage.__table__, pending=MailStatus.pending, lease=self.lease
        )
        self.retry = RetryPolicy(
            max_attempts=settings.mail_max_attempts,
            backoff_seconds=settings.mail_backoff_seconds,
            backoff_max_seconds=settings.mail_backoff_max_seconds,
        )

    def close(self) -> None:
        pass

    def claim(self) -> list[Claim]:
        now = self.clock()
        table = MailMessage.__table__
        due = sa.select(table.c.id).where(
            table.c.status == MailStatus.pending, table.c.next_attempt_at <= now
        )
        rows = self.leases.claim(
            probe=due,
            batch=due.add_columns(
                table.c.attempts,
                table.c.message_id,
                table.c.to_address,
                table.c.to_name,
                table.c.subject,
                table.c.text_body,
                table.c.html_body,
                table.c.created_at,
            )
            .order_by(table.c.next_attempt_at, table.c.id)
            .limit(BATCH),
            now=now,
        )
        return [
            Claim(
                row.id,
                row.attempts + 1,
                build(
                    message_id=row.message_id,
                    mail_from=self.settings.mail_from,
                    to_address=row.to_address,
                    to_name=row.to_name,
                    subject=row.subject,
                    text_body=row.text_body,
                    html_body=row.html_body,
                    created_at=row.created_at,
                ),
            )
            for row in rows
        ]

    def send(self, message: EmailMessage) -> Outcome:
        """Hand one message to the SMTP server; what it answered."""
        settings = self.settings
        try:
            with smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
            ) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_username:
                    smtp.login(settings.smtp_username, settings.smtp_password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            code, text = next(iter(refused.recipients.values()))
            return _answer(code, text)
        except smtplib.SMTPResponseException as error:
            return _answer(error.smtp_code, error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:
            # A dropped or refused connection, a timeout, or a TLS failure: try again later.
            return Outcome(ok=False, error=f"{type(error).__name__}: {error}"[:500])
        return Outcome(ok=True, code=250)

    def record(self, claim: Claim, outcome: Outcome) -> None:
        now = self.clock()
        values: dict = {"last_code": outcome.code, "last_error": outcome.error}
        if outcome.ok:
            values |= {"status": MailStatus.sent, "sent_at": now, "next_attempt_at": None}
        else:
            retry_at = self.retry.retry_at(
                attempt=claim.attempt, now=now, permanent=outcome.permanent
            )
            if retry_at is None:
                values |= {"status": MailStatus.failed, "next_attempt_at": None}
            else:
                values["next_attempt_at"] = retry_at
            log.warning(
                "mail not sent",
                extra={
                    "message_id": claim.message["Message-ID"],
                    "attempt": claim.attempt,
                    "code": outcome.code,
                    "error": outcome.error,
                    "given_up": retry_at is None,
                },
            )
        self.leases.settle(row_id=claim.row_id, attempt=claim.attempt, values=values)

    def run_once(self) -> int:
        """Claim one batch of due messages and send them one after another; how many were tried."""
        claims = self.claim()
        for claim in claims:
            self.record(claim, self.send(claim.message))
        return len(claims)

    def prune(self, *, before: datetime) -> dict[str, int]:
        """Messages sent or given up whose last attempt was before `before`."""
        return {"mail_message": self.leases.prune(before=before)}

    def drain(self) -> int:
        """Send everything due now (retries not yet due wait); how many attempts were made."""
        attempts = 0
        while tried := self.run_once():
            attempts += tried
        return attempts
