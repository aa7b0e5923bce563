"""Webhook figures for /metrics, counted by the database at the moment Prometheus scrapes."""

import logging
from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.engine import Engine

from app.core.base import utcnow
from app.core.db import read_session
from app.webhooks import service

log = logging.getLogger(__name__)


class WebhookBacklogCollector:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> list:
        # Registering a collector calls this; an empty answer spares the database that query.
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with read_session(self.engine) as session:
                backlog = service.backlog(session=session)
        except sa.exc.SQLAlchemyError:
            log.exception("webhook figures left out of /metrics: the database does not answer")
            return
        yield GaugeMetricFamily(
            "tracker_webhook_backlog",
            "Deliveries to active webhooks not yet sent.",
            value=backlog.waiting,
        )
        age = (utcnow() - backlog.oldest_waiting_at).total_seconds() if backlog.waiting else 0.0
        yield GaugeMetricFamily(
            "tracker_webhook_backlog_oldest_seconds",
            "Age of the oldest delivery to an active webhook not yet sent.",
            value=max(age, 0.0),
        )
        by_status = GaugeMetricFamily(
            "tracker_webhook_deliveries", "Webhook deliveries by status.", labels=["status"]
        )
        for status, number in backlog.by_status.items():
            by_status.add_metric([status.value], number)
        yield by_status
