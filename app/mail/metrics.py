"""Mail figures for /metrics, counted by the database at the moment Prometheus scrapes."""

import logging
from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.engine import Engine

from app.core.db import read_session
from app.mail import service

log = logging.getLogger(__name__)


class MailCollector:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> list:
        # Registering a collector calls this; an empty answer spares the database that query.
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with read_session(self.engine) as session:
                counts = service.counts(session=session)
        except sa.exc.SQLAlchemyError:
            log.exception("mail figures left out of /metrics: the database does not answer")
            return
        by_status = GaugeMetricFamily(
            "tracker_mail_messages",
            "Mail messages by status: pending (not yet sent), sent, failed (given up).",
            labels=["status"],
        )
        for status, number in counts.items():
            by_status.add_metric([status.value], number)
        yield by_status
