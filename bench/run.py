"""The benchmark: build a large strategy, then measure the API against its floors.

    python -m bench.run [--tasks 100000] [--events 1000000] [--repeat 30]

Runs on SQLite, and on PostgreSQL too when BENCH_DATABASE_URL names a scratch database (it is
emptied). For each database it builds three sizes (a tenth, three tenths and all of --tasks and
--events) and times a fresh dashboard and its floor at each: the scale table. At the largest it
then measures everything else: single requests timed one by one (median and p95, by the
standard library's HTTP client, which costs a fraction of what httpx does), throughput
with `wrk` at 1, 8 and 32 connections (requests/s, p50 and p99) against a bare endpoint served
by the same process (run just before each case, so that each ratio is of two runs side by side;
a dashboard and its floor, and the trend, are likewise timed in turns), status POSTs on tasks
with 10, 1,000 and 10,000 events, a 10,000-row import, the Word and PDF reports, and the API's
memory: idle, warm (once the imports, wrk and the first reports have loaded every library a
request loads on first use) and after 1,000 dashboards and 20 more Word reports, whose
difference from warm is what "flat" is judged on. The machine's load average is printed with
each database's run; last come the ratios the targets are set on.
"""

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa
import typer
from rich.console import Console
from rich.table import Table

from app.auth import service as auth
from app.auth.models import Role
from app.core.db import make_engine, normalise_url, reader, write_session
from app.core.quarters import Quarter, quarter_range
from bench import data, floors

ROOT = Path(__file__).resolve().parents[1]
QUARTER = "2020-21-Q2"
TREND = ("2019-20-Q3", "2021-22-Q2")
TREND_API = "GET /dashboard/trend (8 quarters)"
TREND_FLOOR = "floor: the trend's counts by hand-written SQL"
BESIDE_TREND = "GET /dashboard (fresh), in turns with the trend"
CONNECTIONS = (1, 8, 32)
HISTORY = (10, 1_000, 10_000)
SHORT, LONG = "POST /tasks/{id}/status, 10 events", "POST /tasks/{id}/status, 10,000 events"
console = Console()


@dataclass
class Results:
    database: str
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)
    scale: list[tuple[int, int, float, float]] = field(default_factory=list)
    load: list[str] = field(default_factory=list)

    def timed(self, name: str, timings: list[float], note: str = "") -> float:
        median = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else median
        self.rows.append((name, f"{median * 1000:.2f}", f"{p95 * 1000:.2f}", note))
        self.values[name] = median
        return median


def in_turns(
    calls: Sequence[Callable[[], object]], repeat: int, warmup: int = 3, settled: bool = False
) -> list[list[float]]:
    """Each call's timings, the calls taken in turns: drift in the machine's speed (a shared
    machine's can change by half within a minute) then falls on every call alike, so that a
    ratio of their medians compares like with like.

    `settled` times each call right after an untimed one of the same: on this machine a process
    left idle for a few milliseconds (the API's while the floor runs, the database's between
    statements) takes up to a millisecond and a half to wake, each time it is woken. That fell
    on a request (two processes woken, or three) more than on its floor (one, or none), and on
    a bare request timed alone not at all: a bare request took 0.8 ms on its own and 2.1 ms
    after a 5 ms pause. Settled, each is timed as a busy server serves it."""
    for _ in range(warmup):
        for call in calls:
            call()
    timings: list[list[float]] = [[] for _ in calls]
    for _ in range(repeat):
        for call, taken in zip(calls, timings, strict=True):
            if settled:
                call()
            start = time.perf_counter()
            call()
            taken.append(time.perf_counter() - start)
    return timings


def timed(call: Callable[[], object], repeat: int, warmup: int = 3) -> list[float]:
    return in_turns([call], repeat, warmup)[0]


def timed_settled(call: Callable[[], object], repeat: int) -> list[float]:
    """`timed`, each call right after an untimed one (see `in_turns`)."""
    return in_turns([call], repeat, settled=True)[0]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# wrk


@dataclass
class Rate:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
LUA = """
local counter = 0
local n = 0
function setup(thread) thread:set("offset", n); n = n + 1 end
function init(args) counter = (offset or 0) * 1000003 end
request = function()
  counter = counter + 1
  local path = PATH
  if TASKS > 0 then
    path = string.gsub(path, "{id}", tostring((counter * 7919) %% TASKS + 1))
  end
  return wrk.format(METHOD, path, HEADERS, BODY)
end
"""


def wrk(
    base: str,
    path: str,
    *,
    connections: int,
    headers: dict[str, str],
    seconds: int,
    method: str = "GET",
    body: str | None = None,
    tasks: int = 0,
    expect: int = 200,
) -> Rate:
    """Requests a second and latency percentiles that `wrk` measures; {id} in the path becomes a
    task id spread over 1..tasks. Non-2xx/3xx answers are counted as errors."""
    lua = LUA.replace("%%", "%")
    for name, value in (
        ("PATH", _lua(path)),
        ("TASKS", str(tasks)),
        ("METHOD", _lua(method)),
        ("BODY", "nil" if body is None else _lua(body)),
        ("HEADERS", "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in headers.items()) + "}"),
    ):
        lua = lua.replace(name, value)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{min(connections, 2)}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                base,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50, p99 = (_latency(out, percent) for percent in ("50", "99"))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", out)
    failed = (int(errors.group(1)) if errors else 0) + (int(timeouts.group(1)) if timeouts else 0)
    return Rate(rps, p50, p99, failed)


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _latency(out: str, percent: str) -> float:
    found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    if not found:
        return float("nan")
    return float(found.group(1)) * _UNITS[found.group(2)]


# The server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory_mb(pid: int, field_name: str = "VmRSS") -> float:
    """The process's resident memory now (VmRSS) or at its peak (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """The API (one uvicorn worker, as `make run` serves it) with the bare endpoint added."""

    def __init__(self, url: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "TRACKER_WRITE_RATE_PER_MINUTE": "0",
            "TRACKER_LOG_LEVEL": "WARNING",
            "TRACKER_WEBHOOK_WORKER": "false",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "bench.server:create_bench_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the API did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _token(engine: sa.Engine) -> dict[str, str]:
    with write_session(engine) as session:
        _, token = auth.create_token(session=session, name="bench", role=Role.admin)
        session.commit()
    return {"Authorization": f"Bearer {token}"}


class Plain:
    """GETs on one kept-alive connection by the standard library's HTTP client, for the timings
    of single requests: it costs about a tenth of a millisecond a request, where httpx costs half
    a millisecond to two (on this machine, whose speed varies that much), which is the client's
    time, not the API's. Each answer is checked for its status and read to the end."""

    def __init__(self, server: Server, headers: dict[str, str]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        self.headers = headers

    def get(self, path: str, params: dict[str, str] | None = None, status: int = 200) -> bytes:
        self.connection.request(
            "GET", f"{path}?{urlencode(params)}" if params else path, headers=self.headers
        )
        response = self.connection.getresponse()
        body = response.read()
        assert response.status == status, body[:500]
        return body

    def close(self) -> None:
        self.connection.close()


def _ok(response: httpx.Response, status: int = 200) -> httpx.Response:
    assert response.status_code == status, response.text[:500]
    return response


# The runs


def run_database(url: str, *, tasks: int, events: int, repeat: int, seconds: int) -> Results:
    results = Results(database=url.split(":", 1)[0].split("+")[0])
    results.load.append(load_average())
    sizes = sorted({max(10, tasks * share // 10) for share in (1, 3, 10)})
    for size in sizes:
        size_events = max(size, events * size // tasks)
        console.print(f"[bold]{results.database}[/bold]: {size:,} tasks, {size_events:,} events")
        data.prepare(url)
        engine = make_engine(url)
        start = time.perf_counter()
        ids = data.build(engine, tasks=size, events=size_events)
        results.values[f"build {size}"] = time.perf_counter() - start
        if size == sizes[-1]:
            ids["long"] = data.long_history(engine, plan_id=ids["plan_id"], lengths=HISTORY)
        headers = _token(engine)
        server = Server(url)
        plain = Plain(server, headers)
        try:
            with httpx.Client(base_url=server.base, headers=headers, timeout=120) as client:
                dashboard, floor = measure_dashboard(client, plain, engine, ids, repeat)
                results.scale.append((size, size_events, dashboard, floor))
                if size == sizes[-1]:
                    measure_rest(client, plain, server, engine, results, ids, size, repeat, seconds)
        finally:
            plain.close()
            server.stop()
            engine.dispose()
    results.load.append(load_average())
    return results


def measure_dashboard(
    client: httpx.Client, plain: Plain, engine: sa.Engine, ids: dict[str, Any], repeat: int
) -> tuple[float, float]:
    """A fresh dashboard's median time and its floor's, having checked they agree."""
    params = {"quarter": QUARTER, "include": "overdue"}
    body = _ok(client.get("/api/v1/dashboard", params=params)).json()
    quarter = Quarter.parse(QUARTER)
    with engine.connect() as connection:
        floors.check(connection, ids["strategy_id"], quarter, body)

    def floor() -> None:
        # Read as the API reads: on PostgreSQL outside a transaction, spared a BEGIN and a
        # ROLLBACK (two round trips that are no part of the answer).
        with reader(engine).connect() as connection:
            floors.dashboard_counts(connection, ids["strategy_id"], quarter)

    api, floor_timings = in_turns(
        [lambda: plain.get("/api/v1/dashboard", params), floor], repeat, settled=True
    )
    return statistics.median(api), statistics.median(floor_timings)


def trend_floor(client: httpx.Client, engine: sa.Engine, ids: dict[str, Any]) -> Callable[[], None]:
    """The trend floor, having checked it gives the API's trend."""
    quarters = list(quarter_range(Quarter.parse(TREND[0]), Quarter.parse(TREND[1])))
    body = _ok(client.get("/api/v1/dashboard/trend", params={"from": TREND[0], "to": TREND[1]}))
    with engine.connect() as connection:
        floors.check_trend(connection, ids["strategy_id"], quarters, body.json())

    def floor() -> None:
        with reader(engine).connect() as connection:
            floors.trend_counts(connection, ids["strategy_id"], quarters)

    return floor


def measure_rest(
    client: httpx.Client,
    plain: Plain,
    server: Server,
    engine: sa.Engine,
    results: Results,
    ids: dict[str, Any],
    tasks: int,
    repeat: int,
    seconds: int,
) -> None:
    results.values["idle_rss_mb"] = memory_mb(server.process.pid)
    _, _, dashboard, floor = results.scale[-1]
    results.rows.append(("GET /dashboard (fresh)", f"{dashboard * 1000:.2f}", "", QUARTER))
    results.rows.append(("floor: its counts by hand-written SQL", f"{floor * 1000:.2f}", "", ""))
    results.values["dashboard"], results.values["floor"] = dashboard, floor
    results.timed(
        "GET /dashboard (current quarter)",
        timed_settled(lambda: plain.get("/api/v1/dashboard"), repeat),
    )
    # The trend taken in turns with a fresh dashboard and the trend's floor: the two ratios it
    # is judged on are of timings taken side by side.
    trend_params = {"from": TREND[0], "to": TREND[1]}
    fresh = {"quarter": QUARTER, "include": "overdue"}
    beside, trend, floor_timings = in_turns(
        [
            lambda: plain.get("/api/v1/dashboard", fresh),
            lambda: plain.get("/api/v1/dashboard/trend", trend_params),
            trend_floor(client, engine, ids),
        ],
        repeat,
        settled=True,
    )
    results.timed(BESIDE_TREND, beside, QUARTER)
    results.timed(TREND_API, trend)
    results.timed(TREND_FLOOR, floor_timings)
    counter = iter(range(1, 10**9))
    results.timed(
        "GET /tasks/{id}",
        timed_settled(
            lambda: plain.get(f"/api/v1/tasks/{next(counter) * 7919 % tasks + 1}"), repeat
        ),
    )
    results.timed("GET /bare", timed_settled(lambda: plain.get("/bare"), repeat))
    results.timed(
        "GET /tasks (filtered page of 50)",
        timed_settled(
            lambda: plain.get(
                "/api/v1/tasks", {"strand": "strand-3", "status": "ongoing", "limit": "50"}
            ),
            repeat,
        ),
    )

    # Throughput, with wrk.
    headers = dict(client.headers)
    auth_only = {"Authorization": headers["authorization"]}
    etag = _ok(client.get("/api/v1/dashboard", params={"quarter": QUARTER})).headers["etag"]
    cases: list[tuple[str, dict[str, Any]]] = [
        ("GET /bare", {"path": "/bare"}),
        ("GET /tasks/{id}", {"path": "/api/v1/tasks/{id}", "tasks": tasks}),
        (
            "GET /dashboard 304",
            {
                "path": f"/api/v1/dashboard?quarter={QUARTER}",
                "headers": {**auth_only, "If-None-Match": etag},
            },
        ),
        ("GET /dashboard fresh", {"path": f"/api/v1/dashboard?quarter={QUARTER}"}),
        (
            "POST /tasks/{id}/status",
            {
                "path": "/api/v1/tasks/{id}/status",
                "tasks": tasks,
                "method": "POST",
                "body": '{"status": "complete", "note": "bench"}',
                "headers": {**auth_only, "Content-Type": "application/json"},
            },
        ),
    ]

    # Each case right after a run of the bare endpoint at the same number of connections: its
    # ratio is to the bare endpoint as fast as the machine then was.
    def run(case: dict[str, Any], connections: int) -> Rate:
        return wrk(
            server.base,
            case["path"],
            connections=connections,
            headers=case.get("headers", auth_only),
            seconds=seconds,
            method=case.get("method", "GET"),
            body=case.get("body"),
            tasks=case.get("tasks", 0),
        )

    (_, bare_case), *measured = cases
    bare_rates: dict[int, list[Rate]] = {connections: [] for connections in CONNECTIONS}
    for name, case in measured:
        for connections in CONNECTIONS:
            bare = run(bare_case, connections)
            rate = run(case, connections)
            bare_rates[connections].append(bare)
            results.values[f"{name} rps c{connections}"] = rate.rps
            results.values[f"{name} ÷ bare c{connections}"] = rate.rps / bare.rps
            results.rows.append(
                (
                    f"wrk {name}, {connections} connections",
                    f"{rate.p50_ms:.2f}",
                    f"{rate.p99_ms:.2f} (p99)",
                    f"{rate.rps:.0f}/s, {rate.rps / bare.rps:.3f} of bare ({bare.rps:.0f}/s)"
                    + (f", {rate.errors} errors" if rate.errors else ""),
                )
            )
    for connections, rates in bare_rates.items():
        middle = sorted(rates, key=lambda r: r.rps)[len(rates) // 2]
        results.values[f"GET /bare rps c{connections}"] = middle.rps
        results.rows.append(
            (
                f"wrk GET /bare, {connections} connections (median of {len(rates)})",
                f"{middle.p50_ms:.2f}",
                f"{middle.p99_ms:.2f} (p99)",
                f"{middle.rps:.0f}/s" + (f", {middle.errors} errors" if middle.errors else ""),
            )
        )

    # Status POSTs by the length of the task's history, taken in turns so that drift in the
    # machine's load falls on every length alike.
    posts: dict[int, list[float]] = {length: [] for length in ids["long"]}
    for turn in range(repeat + 3):
        for length, task_id in ids["long"].items():
            start = time.perf_counter()
            _ok(
                client.post(
                    f"/api/v1/tasks/{task_id}/status", json={"status": "at_risk", "note": "bench"}
                ),
                201,
            )
            if turn >= 3:
                posts[length].append(time.perf_counter() - start)
    for length, timings in posts.items():
        results.timed(f"POST /tasks/{{id}}/status, {length:,} events", timings)

    workbook = data.plan_workbook(10_000)
    results.timed(
        "POST /imports (10,000 rows)",
        timed(
            lambda: _ok(
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
    for fmt in ("docx", "pdf"):
        results.timed(
            f"GET /reports/board ({fmt})",
            timed(
                lambda fmt=fmt: _ok(
                    client.get("/api/v1/reports/board", params={"quarter": QUARTER, "format": fmt})
                ),
                5,
                warmup=1,
            ),
        )
    # Warm: every library a request loads on first use is loaded by now (the workbook reader,
    # python-docx, lxml, matplotlib, WeasyPrint), so what the load below adds is what the server
    # keeps.
    results.values["warm_rss_mb"] = memory_mb(server.process.pid)
    for _ in range(1000):
        _ok(client.get("/api/v1/dashboard", params={"quarter": QUARTER}))
    for _ in range(20):
        _ok(client.get("/api/v1/reports/board", params={"quarter": QUARTER, "format": "docx"}))
    results.values["rss_after_mb"] = memory_mb(server.process.pid)
    results.values["peak_rss_mb"] = memory_mb(server.process.pid, "VmHWM")


def tables(results: Results) -> None:
    """One database's tables, printed as soon as its run ends (a later one may fail)."""
    console.print(
        f"[bold]{results.database}[/bold]: load average {results.load[0]} at the start, "
        f"{results.load[-1]} at the end"
    )
    scale = Table("tasks", "events", "fresh dashboard ms", "floor ms", "÷ floor")
    for size, size_events, api, floor in results.scale:
        scale.add_row(
            f"{size:,}",
            f"{size_events:,}",
            f"{api * 1000:.2f}",
            f"{floor * 1000:.2f}",
            f"{api / floor:.2f}",
        )
    console.print(scale)
    table = Table("measure", "median / p50 ms", "p95 ms", "note")
    for row in results.rows:
        table.add_row(*row)
    v = results.values
    table.add_row(
        "API memory",
        f"{v['idle_rss_mb']:.0f} MB idle",
        f"{v['warm_rss_mb']:.0f} MB warm",
        f"{v['rss_after_mb']:.0f} MB after 1,000 dashboards and 20 more reports: "
        f"{v['rss_after_mb'] - v['warm_rss_mb']:+.0f} MB (peak {v['peak_rss_mb']:.0f})",
    )
    console.print(table)


def summary(all_results: list[Results]) -> None:
    """The ratios the targets are set on, a line per database."""
    lines = []
    for results in all_results:
        v = results.values
        first, last = results.scale[0][2], results.scale[-1][2]

        def ratio(name: str, v: dict = v) -> float:
            return v[f"{name} ÷ bare c8"]

        lines.append(
            f"{results.database}: dashboard/floor={v['dashboard'] / v['floor']:.2f} "
            f"overhead={1000 * (v['dashboard'] - v['floor']):.1f}ms "
            f"scale={last / first:.2f} "
            f"trend/dashboard={v[TREND_API] / v[BESIDE_TREND]:.2f} "
            f"trend/floor={v[TREND_API] / v[TREND_FLOOR]:.2f} "
            f"c8÷bare: task={ratio('GET /tasks/{id}'):.2f} "
            f"304={ratio('GET /dashboard 304'):.2f} fresh={ratio('GET /dashboard fresh'):.3f} "
            f"post={ratio('POST /tasks/{id}/status'):.3f} "
            f"post10k/post10={v[LONG] / v[SHORT]:.2f}"
            f" import={v['POST /imports (10,000 rows)']:.2f}s "
            f"docx={v['GET /reports/board (docx)']:.2f}s pdf={v['GET /reports/board (pdf)']:.2f}s "
            f"idle={v['idle_rss_mb']:.0f}MB warm={v['warm_rss_mb']:.0f}MB "
            f"growth={v['rss_after_mb'] - v['warm_rss_mb']:+.0f}MB"
        )
    print("\n".join(lines))


def main(
    tasks: Annotated[int, typer.Option(min=100)] = 100_000,
    events: Annotated[int, typer.Option(min=100)] = 1_000_000,
    repeat: Annotated[int, typer.Option(min=5)] = 30,
    seconds: Annotated[int, typer.Option(min=1, help="Each wrk run's length.")] = 5,
) -> None:
    """Build the data, measure, and print the tables and the ratios."""
    if shutil.which("wrk") is None:
        raise typer.BadParameter("wrk is not installed: apt-get install wrk")
    urls = [f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.db"]
    if os.environ.get("BENCH_DATABASE_URL"):
        urls.append(normalise_url(os.environ["BENCH_DATABASE_URL"]))
    all_results = []
    for url in urls:
        results = run_database(url, tasks=tasks, events=events, repeat=repeat, seconds=seconds)
        tables(results)
        all_results.append(results)
    summary(all_results)


if __name__ == "__main__":
    typer.run(main)
