"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it accepts, and can be told to
refuse for a while (a 4xx or 5xx answer) or to drop the connection."""

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class SmtpServer:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    # What to do with the next messages, one entry each: an SMTP answer ("451 4.3.0 later"),
    # or "drop" to close the connection without answering. When empty, messages are accepted.
    plan: list[str] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, *answers: str) -> None:
        with self.lock:
            self.plan.extend(answers)

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.attempts += 1
            answer = self.plan.pop(0) if self.plan else None
            if answer is None:
                message = message_from_bytes(envelope.original_content, policy=policy.default)
                self.received.append(message)  # type: ignore[arg-type]
                return "250 2.0.0 OK"
        if answer == "drop":
            server.transport.close()
            return "421 4.3.0 closing"
        return answer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
