"""A server just started holds only what every request needs: the libraries of files, schema
checks, outgoing requests and single sign-on are loaded by the first request that uses them."""

import json
import os
import subprocess
import sys
from pathlib import Path

LOADED_ON_FIRST_USE = [
    "alembic",  # checking the schema
    "docx",  # a Word file
    "httpx",  # a webhook, a mail or the identity provider
    "joserfc",  # a token from the identity provider
    "cryptography",
    "matplotlib",  # the board report's charts
    "numpy",
    "openpyxl",  # a workbook
    "psycopg",  # PostgreSQL, on SQLite
    "weasyprint",  # a PDF
]

# Started and asked for its health as uvicorn would, without a test client (which is httpx).
START = """
import asyncio, json, sys
from app.main import create_app

async def main():
    app = create_app()
    sent = []
    async def send(message):
        sent.append(message)
    async def receive():
        return {"type": "http.request", "body": b""}
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/healthz", "raw_path": b"/healthz", "query_string": b"",
        "root_path": "", "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 1),
        "server": ("localhost", 80), "state": {},
    }
    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
    assert sent[0]["status"] == 200, sent

asyncio.run(main())
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_a_sqlite_server_starts_without_the_libraries_loaded_on_first_use(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "TRACKER_WEBHOOK_WORKER": "false",
    }
    env.pop("TRACKER_OIDC_ISSUER", None)
    started = subprocess.run(
        [sys.executable, "-c", START], env=env, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(started.stdout.splitlines()[-1]))
    assert sorted(loaded & set(LOADED_ON_FIRST_USE)) == []
