"""The benchmark: build a large strategy, then time the API against its floors.

    python -m bench.run [--tasks 100000] [--events 1000000] [--repeat 30]

Runs on SQLite, and on PostgreSQL too when BENCH_DATABASE_URL names a scratch database (it is
emptied). Prints a table of median and p95 timings and, last, the ratios the targets are set on.
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import sqlalchemy as sa
import typer
from alembic import command
from rich.console import Console
from rich.table import Table

from app.auth import service as auth
from app.auth.models import Role
from app.cli import alembic_config
from app.core.db import make_engine, normalise_url, write_session
from bench import data

ROOT = Path(__file__).resolve().parents[1]
console = Console()


@dataclass
class Results:
    database: str
    rows: list[tuple[str, float, float, str]] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, timings: list[float], note: str = "") -> float:
        median = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else median
        self.rows.append((name, median * 1000, p95 * 1000, note))
        self.values[name] = median
        return median


def timed(call: Callable[[], object], repeat: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        call()
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        timings.append(time.perf_counter() - start)
    return timings


def throughput(
    base: str, headers: dict, paths: Callable[[int], str], seconds: float = 3.0, threads: int = 4
) -> float:
    """Requests a second that `threads` keep-alive clients get through together."""
    done = [0] * threads
    stop = time.monotonic() + seconds

    def work(n: int) -> None:
        with httpx.Client(base_url=base, headers=headers) as client:
            i = n
            while time.monotonic() < stop:
                assert client.get(paths(i)).status_code == 200
                done[n] += 1
                i += threads

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / seconds


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(url: str) -> None:
    if url.startswith("postgresql"):
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    config = alembic_config()
    config.attributes["database_url"] = url
    command.upgrade(config, "head")


def run_suite(url: str, *, tasks: int, events: int, repeat: int) -> Results:
    results = Results(database=url.split(":", 1)[0].split("+")[0])
    console.print(f"[bold]{results.database}[/bold]: building {tasks:,} tasks, {events:,} events")
    prepare(url)
    engine = make_engine(url)
    start = time.perf_counter()
    ids = data.build(engine, tasks=tasks, events=events)
    console.print(f"  built in {time.perf_counter() - start:.1f} s")
    with write_session(engine) as session:
        _, token = auth.create_token(session=session, name="bench", role=Role.admin)
        session.commit()
    ids["url"] = url
    _engines[url] = engine

    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TRACKER_WRITE_RATE_PER_MINUTE": "0",
        "TRACKER_LOG_LEVEL": "WARNING",
        "TRACKER_WEBHOOK_WORKER": "false",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.server:create_bench_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        _wait(base)
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            measure(
                client, results, base=base, headers=headers, tasks=tasks, ids=ids, repeat=repeat
            )
        results.values["peak_rss_mb"] = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        engine.dispose()
    return results


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the API did not start")


def measure(
    client: httpx.Client,
    results: Results,
    *,
    base: str,
    headers: dict,
    tasks: int,
    ids: dict[str, Any],
    repeat: int,
) -> None:
    counter = iter(range(1, 10**9))

    def ok(response: httpx.Response, status: int = 200) -> httpx.Response:
        assert response.status_code == status, response.text[:500]
        return response

    quarter = "2020-21-Q2"
    results.add(
        "GET /dashboard",
        timed(lambda: ok(client.get("/api/v1/dashboard", params={"quarter": quarter})), repeat),
    )
    results.add("dashboard SQL alone (floor)", timed(lambda: raw_dashboard(ids, quarter), repeat))
    results.add(
        "GET /dashboard/trend (8 quarters)",
        timed(
            lambda: ok(
                client.get(
                    "/api/v1/dashboard/trend", params={"from": "2019-20-Q3", "to": "2021-22-Q2"}
                )
            ),
            repeat,
        ),
    )
    results.add(
        "GET /tasks/{id}",
        timed(lambda: ok(client.get(f"/api/v1/tasks/{next(counter) * 7919 % tasks + 1}")), repeat),
    )
    results.add("GET /bare", timed(lambda: ok(client.get("/bare")), repeat))
    results.add(
        "GET /tasks (filtered page of 50)",
        timed(
            lambda: ok(
                client.get(
                    "/api/v1/tasks", params={"strand": "strand-3", "status": "ongoing", "limit": 50}
                )
            ),
            repeat,
        ),
    )
    results.add(
        "POST /tasks/{id}/status",
        timed(
            lambda: ok(
                client.post(
                    f"/api/v1/tasks/{next(counter) * 104729 % tasks + 1}/status",
                    json={"status": "complete", "note": "bench"},
                ),
                201,
            ),
            repeat,
        ),
    )
    workbook = data.plan_workbook(10_000)
    results.add(
        "POST /imports (10,000 rows)",
        timed(
            lambda: ok(
                client.post(
                    "/api/v1/imports",
                    files={"file": ("plan.xlsx", workbook)},
                    data={
                        "strand": "strand-9",
                        "plan": f"Imported {next(counter)}",
                        "added_on": "2020-04-01",
                    },
                )
            ),
            3,
            warmup=0,
        ),
    )
    results.add(
        "GET /reports/board (docx)",
        timed(
            lambda: ok(
                client.get("/api/v1/reports/board", params={"quarter": quarter, "format": "docx"})
            ),
            5,
            warmup=1,
        ),
    )
    task_rate = throughput(base, headers, lambda i: f"/api/v1/tasks/{i * 7919 % tasks + 1}")
    bare_rate = throughput(base, headers, lambda i: "/bare")
    results.values["task_get_rps"], results.values["bare_rps"] = task_rate, bare_rate
    results.rows.append(("throughput GET /tasks/{id}", 1000 / task_rate, 0, f"{task_rate:.0f}/s"))
    results.rows.append(("throughput GET /bare", 1000 / bare_rate, 0, f"{bare_rate:.0f}/s"))


_engines: dict[str, sa.Engine] = {}


def raw_dashboard(ids: dict[str, Any], quarter: str) -> None:
    """The dashboard's own aggregate statement, run straight on the database."""
    from app.core.quarters import Quarter
    from app.dashboard.service import _count_statement

    engine = _engines[ids["url"]]
    with engine.connect() as connection:
        connection.execute(_count_statement(ids["strategy_id"], [Quarter.parse(quarter)])).all()


def report(all_results: list[Results]) -> None:
    table = Table("database", "measure", "median ms", "p95 ms", "note")
    for results in all_results:
        for name, median, p95, note in results.rows:
            table.add_row(results.database, name, f"{median:.2f}", f"{p95:.2f}", note)
        table.add_row(
            results.database, "peak API memory", "", "", f"{results.values['peak_rss_mb']:.0f} MB"
        )
    console.print(table)
    ratios = []
    for results in all_results:
        v = results.values
        dashboard = v["GET /dashboard"] / v["dashboard SQL alone (floor)"]
        task_get = v["task_get_rps"] / v["bare_rps"]
        ratios.append(
            f"{results.database}: dashboard/raw_sql={dashboard:.2f} task_get/bare={task_get:.2f}"
        )
    print("; ".join(ratios))


def main(
    tasks: Annotated[int, typer.Option(min=10)] = 100_000,
    events: Annotated[int, typer.Option(min=10)] = 1_000_000,
    repeat: Annotated[int, typer.Option(min=5)] = 30,
) -> None:
    """Build the data, measure, and print the table and the ratios."""
    urls = [f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.db"]
    if os.environ.get("BENCH_DATABASE_URL"):
        urls.append(normalise_url(os.environ["BENCH_DATABASE_URL"]))
    report([run_suite(url, tasks=tasks, events=events, repeat=repeat) for url in urls])


if __name__ == "__main__":
    typer.run(main)
