"""The mail channel against a real SMTP server: sent once, retried when refused for now,
failed with the server's answer when refused for good."""

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from app.core.config import Settings
from app.core.db import read_session, write_session
from app.mail import service
from app.mail.models import MailMessage, MailStatus
from app.mail.worker import MailWorker
from tests.smtp import SmtpServer, free_port
from tests.webhooks.conftest import Clock


def queue(engine: Engine, n: int = 1) -> list[str]:
    ids = []
    with write_session(engine) as session:
        for i in range(n):
            message = service.queue(
                session=session,
                to_address=f"person{i}@example.org",
                to_name=f"Person {i}",
                subject="What is due",
                text_body="Café: the plain text.\n",
                html_body="<p>Café: the <b>HTML</b>.</p>\n",
                message_id=service.new_message_id("example.org"),
            )
            ids.append(message.message_id)
        session.commit()
    return ids


def messages(engine: Engine) -> list[MailMessage]:
    with read_session(engine) as session:
        return list(session.exec(select(MailMessage).order_by(MailMessage.id)))


def worker(engine: Engine, settings: Settings, server: SmtpServer, clock: Clock) -> MailWorker:
    configured = settings.model_copy(
        update={
            "smtp_host": server.host,
            "smtp_port": server.port,
            "smtp_timeout_seconds": 5,
            "mail_from": "4P tracker <tracker@example.org>",
            "mail_backoff_seconds": 60,
        }
    )
    return MailWorker(engine, configured, clock=clock)


def test_a_message_is_sent_once_as_text_with_an_html_alternative(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    [message_id] = queue(engine)
    sender = worker(engine, settings, smtp_server, Clock())
    assert sender.drain() == 1
    assert sender.drain() == 0
    [got] = smtp_server.received
    assert got["Message-ID"] == message_id
    assert got["To"] == "Person 0 <person0@example.org>"
    assert got["From"] == "4P tracker <tracker@example.org>"
    assert got["Subject"] == "What is due"
    assert got.get_content_type() == "multipart/alternative"
    # SMTP carries lines ended by CRLF.
    assert got.get_body(("plain",)).get_content() == "Café: the plain text.\r\n"
    assert got.get_body(("html",)).get_content() == "<p>Café: the <b>HTML</b>.</p>\r\n"
    [row] = messages(engine)
    assert (row.status, row.attempts, row.last_code) == (MailStatus.sent, 1, 250)
    assert row.sent_at is not None


def test_a_temporary_refusal_and_a_dropped_connection_are_retried_with_the_same_message_id(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    [message_id] = queue(engine)
    clock = Clock()
    sender = worker(engine, settings, smtp_server, clock)
    smtp_server.refuse("451 4.3.0 Mailbox busy, try later", "drop")

    assert sender.drain() == 1
    [row] = messages(engine)
    assert (row.status, row.last_code, row.last_error) == (
        MailStatus.pending,
        451,
        "451 4.3.0 Mailbox busy, try later",
    )
    assert sender.drain() == 0, "the retry waits for its backoff"

    clock.advance(60)
    assert sender.drain() == 1
    [row] = messages(engine)
    assert row.status == MailStatus.pending
    assert row.last_code is None
    assert row.last_error.startswith("SMTPServerDisconnected")

    clock.advance(120)
    assert sender.drain() == 1
    assert [m["Message-ID"] for m in smtp_server.received] == [message_id]
    assert smtp_server.attempts == 3
    [row] = messages(engine)
    assert (row.status, row.attempts) == (MailStatus.sent, 3)


def test_a_permanent_refusal_marks_the_message_failed_with_the_answer(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    queue(engine)
    clock = Clock()
    sender = worker(engine, settings, smtp_server, clock)
    smtp_server.refuse("550 5.1.1 No such user here")
    assert sender.drain() == 1
    clock.advance(100_000)
    assert sender.drain() == 0
    [row] = messages(engine)
    assert (row.status, row.attempts, row.last_code, row.last_error) == (
        MailStatus.failed,
        1,
        550,
        "550 5.1.1 No such user here",
    )
    assert smtp_server.received == []


def test_no_server_listening_is_retried_later(engine: Engine, settings: Settings) -> None:
    queue(engine)
    nobody = SmtpServer(port=free_port())
    sender = worker(engine, settings, nobody, Clock())
    assert sender.drain() == 1
    [row] = messages(engine)
    assert row.status == MailStatus.pending
    assert row.last_error.startswith("ConnectionRefusedError")


def test_metrics_count_mail_sent_and_failed(
    client: TestClient, engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    queue(engine, 3)
    smtp_server.refuse("554 5.7.1 Rejected")
    assert worker(engine, settings, smtp_server, Clock()).drain() == 3
    text = client.get("/metrics").text
    assert 'tracker_mail_messages{status="sent"} 2.0' in text
    assert 'tracker_mail_messages{status="failed"} 1.0' in text
    assert 'tracker_mail_messages{status="pending"} 0.0' in text
