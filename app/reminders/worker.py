"""The daily reminder pass, run by the outbox worker once a day at `TRACKER_REMINDERS_AT`."""

import logging
from datetime import date

from sqlalchemy.engine import Engine

from app.core.base import UK, utcnow
from app.core.config import Settings
from app.core.db import write_session
from app.core.errors import DomainError
from app.core.outbox import Clock
from app.reminders import service

log = logging.getLogger(__name__)


class ReminderSchedule:
    """Runs the pass once the day's time has come; a pass is idempotent per person and day, so
    a restart, or several processes each running it, never sends a digest twice."""

    def __init__(self, engine: Engine, settings: Settings, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.done_on: date | None = None

    def run_once(self) -> int:
        now = self.clock().astimezone(UK)
        if now.time() < self.settings.reminders_at or self.done_on == now.date():
            return 0
        with write_session(self.engine) as session:
            try:
                result = service.run_pass(
                    session=session, day=now.date(), settings=self.settings, dry_run=False
                )
            except DomainError as error:
                log.info("no reminder pass today", extra={"reason": error.detail})
            else:
                session.commit()
                log.info(
                    "reminder pass",
                    extra={"day": str(now.date()), "queued": len(result.queued)},
                )
        self.done_on = now.date()
        # The digests queued are sent by the mail channel in the runner's next round.
        return 0

    def close(self) -> None:
        pass
