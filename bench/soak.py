"""`make soak`: a real uvicorn server under concurrent writers and readers for a while, then every
acknowledged write reconciled with the task histories, the audit trail and the dashboard.

Writers are leads of the strategy's strands (each writing only its own strand) and a few admins,
each with a token of its own; readers are leads reading tasks and histories and an intranet-like
viewer polling the dashboard; a probe asks `/healthz` several times a second. Every write carries
an `Idempotency-Key` and is retried under the same key after a 429, a 503 or a timeout, as a
careful client would, and carries a text of its own so that it can be found afterwards.

    python -m bench.soak --writers 50 --seconds 180          # SQLite, a new file
    SOAK_DATABASE_URL=postgresql://… python -m bench.soak    # a scratch database: it is emptied

Exits 1 on any 5xx other than a 503 with Retry-After, any client timeout, any acknowledged write
missing from the history or the audit trail, any write committed though never acknowledged (or
twice), a dashboard that does not recount exactly, or a `/healthz` slower than 1 s during the load
or 5 s after it.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

API = "/api/v1"
STATUSES = ("ongoing", "at_risk", "complete")
RETRIES = 8
HEALTH_DURING_SECONDS = 1.0
HEALTH_AFTER_SECONDS = 5.0
AFTER_SECONDS = 5.0


@dataclass
class Write:
    """One write as the client saw it: what it sent, under which key, and what came back."""

    kind: str  # status, comment, task, risk
    marker: str  # the note, body, title or description that only this write carries
    task_id: int | None = None
    strand_slug: str = ""
    expected: dict[str, Any] = field(default_factory=dict)
    acknowledged_id: int | None = None
    refused: int | None = None  # the final 4xx, when the server said no


@dataclass
class Tally:
    codes: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    by_route: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    unavailable_latencies: list[float] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    timeouts: int = 0
    transport_errors: Counter = field(default_factory=Counter)
    replayed: int = 0
    writes: list[Write] = field(default_factory=list)
    health_during: list[float] = field(default_factory=list)
    health_after: list[float] = field(default_factory=list)
    health_failures: list[str] = field(default_factory=list)

    def observe(self, method: str, path: str, response: httpx.Response, seconds: float) -> None:
        self.codes[response.status_code] += 1
        self.latencies.append(seconds)
        self.by_route[f"{method} {re.sub(r'/[0-9]+', '/{id}', path)}"].append(seconds)
        if response.status_code == 503 and response.headers.get("retry-after"):
            self.unavailable_latencies.append(seconds)
        elif response.status_code >= 500:
            self.server_errors.append(
                f"{method} {path} {response.status_code} {response.text[:200]}"
            )


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# Setting up: an emptied database, the seeded strategy, a token per client, a server.


def prepare(url: str, clients: list[tuple[str, str, tuple[str, ...]]]) -> dict[str, str]:
    """Migrate an emptied database, seed the strategy, and make the tokens; name → token."""
    from app.auth.models import Role
    from app.auth.service import create_token
    from app.cli import CLI
    from app.core.config import Settings
    from app.core.db import make_engine, write_session
    from app.seed import service as seed_service
    from bench import data

    data.prepare(url)
    engine = make_engine(url, Settings(database_url=url))
    tokens = {}
    try:
        with write_session(engine, CLI) as session:
            seed_service.load_strategy(session=session)
            for name, role, strands in clients:
                _, tokens[name] = create_token(
                    session=session, name=name, role=Role(role), strands=strands
                )
            session.commit()
    finally:
        engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        # One JSON line per request: the server's own account of how long each took.
        "TRACKER_LOG_LEVEL": "INFO",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server did not start:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not answer /healthz within two minutes")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# The load.


async def send(
    http: httpx.AsyncClient, tally: Tally, method: str, path: str, **kwargs: Any
) -> httpx.Response | None:
    started = time.monotonic()
    try:
        response = await http.request(method, path, **kwargs)
    except httpx.TimeoutException:
        tally.timeouts += 1
        return None
    except httpx.TransportError as error:
        tally.transport_errors[type(error).__name__] += 1
        return None
    tally.observe(method, path, response, time.monotonic() - started)
    return response


def _retry_after(response: httpx.Response | None) -> float:
    if response is None:
        return 1.0
    try:
        return min(5.0, float(response.headers.get("retry-after", "1")))
    except ValueError:
        return 1.0


async def write(
    http: httpx.AsyncClient, tally: Tally, item: Write, method: str, path: str, body: dict
) -> dict | None:
    """Send a write until it is answered for good, always under the same Idempotency-Key."""
    tally.writes.append(item)
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    for _ in range(RETRIES):
        response = await send(http, tally, method, path, json=body, headers=headers)
        if response is not None and response.status_code in (200, 201):
            tally.replayed += response.headers.get("idempotent-replayed") == "true"
            answer = response.json()
            item.acknowledged_id = answer["id"]
            return answer
        busy_key = (
            response is not None
            and response.status_code == 409
            and ("retry-after" in response.headers)
        )
        if response is not None and response.status_code not in (429, 503) and not busy_key:
            item.refused = response.status_code
            return None
        await asyncio.sleep(_retry_after(response))
    return None


@dataclass
class World:
    """What the clients know of the seeded strategy."""

    strands: dict[str, int]  # slug → id
    plans: dict[str, list[int]]  # slug → plan ids
    tasks: dict[str, list[int]]  # slug → task ids


async def writer(
    n: int,
    base: str,
    token: str,
    slugs: list[str],
    world: World,
    stop: float,
    tally: Tally,
    run: str,
    timeout: float,
) -> None:
    rng = random.Random(n)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout) as http:
        i = 0
        while time.monotonic() < stop:
            slug = rng.choice(slugs)
            marker = f"soak {run} writer {n} write {i}"
            i += 1
            roll = rng.random()
            if roll < 0.6:
                task_id = rng.choice(world.tasks[slug])
                status = rng.choice(STATUSES) if rng.random() > 0.03 else "withdrawn"
                item = Write("status", marker, task_id, slug, {"status": status})
                await write(
                    http,
                    tally,
                    item,
                    "POST",
                    f"{API}/tasks/{task_id}/status",
                    {"status": status, "note": marker},
                )
            elif roll < 0.75:
                task_id = rng.choice(world.tasks[slug])
                item = Write("comment", marker, task_id, slug)
                await write(
                    http, tally, item, "POST", f"{API}/tasks/{task_id}/comments", {"body": marker}
                )
            elif roll < 0.9:
                plan_id = rng.choice(world.plans[slug])
                pillar = rng.choice(("prevent", "pursue", "protect", "prepare"))
                item = Write("task", marker, None, slug, {"plan_id": plan_id, "pillar": pillar})
                created = await write(
                    http,
                    tally,
                    item,
                    "POST",
                    f"{API}/tasks",
                    {"plan_id": plan_id, "pillar": pillar, "title": marker, "owner": "Soak"},
                )
                if created is not None:
                    world.tasks[slug].append(created["id"])
            else:
                item = Write("risk", marker, None, slug)
                await write(
                    http,
                    tally,
                    item,
                    "POST",
                    f"{API}/risks",
                    {
                        "strand_id": world.strands[slug],
                        "description": marker,
                        "owner": "Soak owner",
                        "mitigation": "Watched during the soak.",
                        "response": "treat",
                        "likelihood": rng.randint(1, 5),
                        "impact": rng.randint(1, 5),
                    },
                )


async def reader(
    n: int,
    base: str,
    token: str,
    world: World,
    stop: float,
    tally: Tally,
    timeout: float,
    dashboard: bool,
) -> None:
    rng = random.Random(1000 + n)
    headers = {"Authorization": f"Bearer {token}"}
    etag = None
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout) as http:
        while time.monotonic() < stop:
            slug = rng.choice(list(world.tasks))
            if dashboard:
                response = await send(
                    http,
                    tally,
                    "GET",
                    f"{API}/dashboard",
                    headers={"If-None-Match": etag} if etag else {},
                )
                if response is not None and response.status_code == 200:
                    etag = response.headers.get("etag")
                if rng.random() < 0.2:
                    await send(
                        http,
                        tally,
                        "GET",
                        f"{API}/dashboard/trend",
                        params={"from": "2018-19-Q1", "to": "2020-21-Q4"},
                    )
                await asyncio.sleep(0.2)
                continue
            roll = rng.random()
            if roll < 0.4:
                await send(http, tally, "GET", f"{API}/tasks", params={"strand": slug})
            elif roll < 0.8:
                task_id = rng.choice(world.tasks[slug])
                await send(http, tally, "GET", f"{API}/tasks/{task_id}/history")
            else:
                await send(http, tally, "GET", f"{API}/risks", params={"strand": slug})


def probe_health(base: str, load_ended: Any, answers: Any) -> None:
    """Ask /healthz five times a second until a while after the load ends; in a process of its
    own, so that the clients' work cannot delay it. Sends (during the load?, seconds, failure)."""
    with httpx.Client(base_url=base, timeout=30) as http:
        after_until = None
        while after_until is None or time.monotonic() < after_until:
            during = not load_ended.is_set()
            if not during and after_until is None:
                after_until = time.monotonic() + AFTER_SECONDS
            started = time.monotonic()
            try:
                response = http.get("/healthz")
                failure = None if response.status_code == 200 else str(response.status_code)
            except httpx.HTTPError as error:
                failure = type(error).__name__
            took = time.monotonic() - started
            answers.send((during, took, failure))
            time.sleep(max(0.0, 0.2 - took))
    answers.send(None)


async def run_load(
    base: str,
    tokens: dict[str, str],
    clients: list[tuple[str, str, tuple[str, ...]]],
    world: World,
    seconds: float,
    timeout: float,
    run: str,
) -> Tally:
    tally = Tally()
    stop = time.monotonic() + seconds
    context = multiprocessing.get_context("spawn")
    load_ended = context.Event()
    answers, probe_answers = context.Pipe(duplex=False)
    probe = context.Process(target=probe_health, args=(base, load_ended, probe_answers))
    probe.start()

    def collect() -> None:
        while (answer := answers.recv()) is not None:
            during, took, failure = answer
            (tally.health_during if during else tally.health_after).append(took)
            if failure:
                tally.health_failures.append(f"/healthz {failure} after {took:.2f} s")

    collected = asyncio.create_task(asyncio.to_thread(collect))
    work = []
    for n, (name, _role, strands) in enumerate(clients):
        if name.startswith("soak writer"):
            slugs = list(strands) or list(world.strands)
            work.append(writer(n, base, tokens[name], slugs, world, stop, tally, run, timeout))
        else:
            dashboard = name.startswith("soak dashboard")
            work.append(reader(n, base, tokens[name], world, stop, tally, timeout, dashboard))
    await asyncio.gather(*work)
    load_ended.set()
    await collected
    probe.join()
    return tally


# Reconciling what the clients were told with what the server kept.


def pages(http: httpx.Client, path: str, **params: Any) -> list[dict]:
    items: list[dict] = []
    while True:
        response = http.get(path, params={**params, "limit": 500, "offset": len(items)})
        response.raise_for_status()
        body = response.json()
        items += body["items"]
        if len(items) >= body["total"] or not body["items"]:
            return items


def got(http: httpx.Client, path: str) -> Any:
    response = http.get(path)
    response.raise_for_status()
    return response.json()


@dataclass
class Reconciliation:
    acknowledged: Counter = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    committed_unacknowledged: list[str] = field(default_factory=list)
    unacknowledged: int = 0
    refused: Counter = field(default_factory=Counter)
    unaudited: list[str] = field(default_factory=list)
    dashboard: list[str] = field(default_factory=list)
    dashboard_rows: int = 0


def reconcile(base: str, admin: str, tally: Tally, started_at: datetime) -> Reconciliation:
    result = Reconciliation()
    headers = {"Authorization": f"Bearer {admin}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        kept: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
        histories: dict[int, list[dict]] = defaultdict(list)
        for event in pages(http, f"{API}/status-events"):
            histories[event["task_id"]].append(event)
            kept["status"][event["note"]].append(event)
        commented = {w.task_id for w in tally.writes if w.kind == "comment"}
        for task_id in sorted(t for t in commented if t is not None):
            for comment in got(http, f"{API}/tasks/{task_id}/comments"):
                kept["comment"][comment["body"]].append(comment)
        tasks = pages(http, f"{API}/tasks")
        for task in tasks:
            kept["task"][task["title"]].append(task)
        for risk in pages(http, f"{API}/risks"):
            kept["risk"][risk["description"]].append(risk)
        audited = {
            (entry["entity"], entry["entity_id"])
            for entry in pages(http, f"{API}/audit", since=started_at.isoformat())
            if entry["action"] == "create"
        }
        entity = {
            "status": "status_event",
            "comment": "task_comment",
            "task": "task",
            "risk": "risk",
        }
        for item in tally.writes:
            found = kept[item.kind].get(item.marker, [])
            if len(found) > 1:
                result.duplicated.append(f"{item.kind} {item.marker!r} {len(found)} times")
            if item.acknowledged_id is None:
                if item.refused is not None:
                    result.refused[f"{item.kind} {item.refused}"] += 1
                else:
                    result.unacknowledged += 1
                if found:
                    result.committed_unacknowledged.append(f"{item.kind} {item.marker!r}")
                continue
            result.acknowledged[item.kind] += 1
            same = [f for f in found if f["id"] == item.acknowledged_id]
            if not same or any(same[0].get(k) != v for k, v in item.expected.items()):
                result.lost.append(f"{item.kind} {item.acknowledged_id} {item.marker!r}")
            if (entity[item.kind], str(item.acknowledged_id)) not in audited:
                result.unaudited.append(f"{entity[item.kind]} {item.acknowledged_id}")
        for task_id, events in histories.items():
            latest = max(events, key=lambda e: (e["effective_date"], e["id"]))
            current = next(t for t in tasks if t["id"] == task_id)
            if current["status"] != latest["status"]:
                result.dashboard.append(
                    f"task {task_id} is {current['status']}, its history says {latest['status']}"
                )
        result.dashboard += recount(http, tasks, result)
    return result


def recount(http: httpx.Client, tasks: list[dict], result: Reconciliation) -> list[str]:
    """The dashboard's figures for today's quarter against the tasks' own statuses."""
    body = http.get(f"{API}/dashboard").json()
    counted: dict[int, Counter] = defaultdict(Counter)
    for task in tasks:
        if task["status"] != "withdrawn":
            counted[task["plan_id"]][task["status"]] += 1
    wrong = []
    totals: Counter = Counter()
    for strand in body["strands"]:
        strand_sum: Counter = Counter()
        for plan in strand["plans"]:
            mine = counted[plan["id"]]
            expected = {
                "total": sum(mine.values()),
                "complete": mine["complete"],
                "ongoing": mine["ongoing"],
                "at_risk": mine["at_risk"],
            }
            shown = {k: plan[k] for k in expected}
            result.dashboard_rows += 1
            if shown != expected:
                wrong.append(f"plan {plan['id']} shows {shown}, its tasks say {expected}")
            strand_sum.update(expected)
        if strand["has_plan"]:
            shown = {k: strand[k] for k in ("total", "complete", "ongoing", "at_risk")}
            if shown != {k: strand_sum[k] for k in shown}:
                wrong.append(f"strand {strand['slug']} shows {shown}, its plans {dict(strand_sum)}")
            totals.update(strand_sum)
    shown = {k: body["totals"][k] for k in ("total", "complete", "ongoing", "at_risk")}
    if shown != {k: totals[k] for k in shown}:
        wrong.append(f"the totals show {shown}, the strands add up to {dict(totals)}")
    return wrong


def discover(base: str, admin: str) -> World:
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {admin}"}, timeout=60
    ) as http:
        strands = http.get(f"{API}/strands").json()
        tasks = pages(http, f"{API}/tasks")
    plans = {s["slug"]: [p["id"] for p in s["plans"]] for s in strands if s["plans"]}
    by_plan = defaultdict(list)
    for task in tasks:
        by_plan[task["plan_id"]].append(task["id"])
    return World(
        strands={s["slug"]: s["id"] for s in strands if s["slug"] in plans},
        plans=plans,
        tasks={slug: [t for p in ids for t in by_plan[p]] for slug, ids in plans.items()},
    )


def server_side(log: Path, since: datetime) -> str:
    """The server's durations for the load's requests, from its access log: the clients' own
    figures also hold the time their process waited for a core on a loaded machine."""
    durations: dict[str, list[float]] = defaultdict(list)
    for line in log.read_text(errors="replace").splitlines():
        if '"tracker.access"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("path") in ("/healthz", "/readyz") or entry["time"] < since.isoformat():
            continue
        durations["all"].append(entry["duration_ms"] / 1000)
        if entry["status"] == 503:
            durations["503"].append(entry["duration_ms"] / 1000)
    every, unavailable = durations["all"], durations["503"]
    return (
        f"  server side: {len(every)} requests, p50 {percentile(every, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(every, 0.99) * 1000:.0f} ms, max {max(every, default=0):.1f} s; "
        f"503s p99 {percentile(unavailable, 0.99) * 1000:.0f} ms, "
        f"max {max(unavailable, default=0):.1f} s"
    )


def report(
    label: str, args: argparse.Namespace, tally: Tally, result: Reconciliation, load: str
) -> list[str]:
    """Print what happened; the reasons to fail, if any."""
    requests = sum(tally.codes.values())
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(tally.codes.items()))
    print(f"soak on {label}: {args.writers} writers, {args.readers} readers, {args.seconds:.0f} s")
    print(f"  load average before {load}, after {load_average()} ({os.cpu_count()} cores)")
    print(f"  requests {requests} ({requests / args.seconds:.1f}/s): {codes}")
    print(
        f"  latency p50 {percentile(tally.latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(tally.latencies, 0.99) * 1000:.0f} ms, "
        f"max {max(tally.latencies, default=0) * 1000:.0f} ms"
    )
    for route, seconds in sorted(tally.by_route.items()):
        print(
            f"    {route}: {len(seconds)}, p50 {percentile(seconds, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(seconds, 0.99) * 1000:.0f} ms"
        )
    fast = tally.unavailable_latencies
    print(
        f"  503 with Retry-After {len(fast)} (p99 {percentile(fast, 0.99) * 1000:.0f} ms), "
        f"other 5xx {len(tally.server_errors)}"
    )
    errors = dict(tally.transport_errors)
    print(f"  client timeouts ({args.timeout:.0f} s) {tally.timeouts}, connection errors {errors}")
    acknowledged = sum(result.acknowledged.values())
    print(
        f"  writes acknowledged {acknowledged} ({dict(result.acknowledged)}), "
        f"replayed {tally.replayed}, refused {dict(result.refused)}, "
        f"never acknowledged {result.unacknowledged} "
        f"(committed all the same: {len(result.committed_unacknowledged)})"
    )
    print(
        f"  lost writes {len(result.lost)}, duplicated {len(result.duplicated)}, "
        f"missing from the audit trail {len(result.unaudited)}"
    )
    print(
        f"  dashboard: {result.dashboard_rows} plans recounted, "
        + ("exactly" if not result.dashboard else f"{len(result.dashboard)} differences")
    )
    during, after = tally.health_during, tally.health_after
    print(
        f"  /healthz during: {len(during)} probes, max {max(during, default=0):.3f} s; "
        f"after: {len(after)} probes, max {max(after, default=0):.3f} s; "
        f"failed {len(tally.health_failures)}"
    )
    reasons = []
    if tally.server_errors:
        reasons.append(
            f"{len(tally.server_errors)} answers 5xx: " + "; ".join(tally.server_errors[:5])
        )
    if tally.timeouts:
        reasons.append(f"{tally.timeouts} client timeouts")
    if errors:
        reasons.append(f"connection errors {errors}")
    for name, found in (
        ("lost", result.lost),
        ("duplicated", result.duplicated),
        ("committed without acknowledgement", result.committed_unacknowledged),
        ("missing from the audit trail", result.unaudited),
        ("dashboard differences", result.dashboard),
        ("failed health probes", tally.health_failures),
    ):
        if found:
            reasons.append(f"{name}: " + "; ".join(found[:5]))
    if max(during, default=0) > HEALTH_DURING_SECONDS:
        reasons.append(f"/healthz took {max(during):.2f} s during the load")
    if max(after, default=0) > HEALTH_AFTER_SECONDS:
        reasons.append(f"/healthz took {max(after):.2f} s after the load")
    if not acknowledged:
        reasons.append("no write was acknowledged")
    return reasons


def clients_for(writers: int, readers: int, slugs: list[str]) -> list[tuple[str, str, tuple]]:
    """Every tenth writer an admin, the others leads of the strands in turn; one dashboard
    reader, the other readers leads."""
    clients: list[tuple[str, str, tuple]] = [("soak admin", "admin", ())]
    for n in range(writers):
        if n % 10 == 9:
            clients.append((f"soak writer {n} (admin)", "admin", ()))
        else:
            slug = slugs[n % len(slugs)]
            clients.append((f"soak writer {n} ({slug})", "lead", (slug,)))
    clients.append(("soak dashboard", "viewer", ()))
    for n in range(max(0, readers - 1)):
        clients.append((f"soak reader {n}", "lead", (slugs[n % len(slugs)],)))
    return clients


SEEDED_SLUGS = [
    "domestic-abuse",
    "gangs-and-knife-crime",
    "night-time-economy",
    "sexual-crime-child-abuse-and-exploitation",
    "digital-crime-and-fraud",
    "extremism-and-radicalisation",
    "house-burglary-and-street-robbery",
    "hate-crime",
    "serious-and-organised-crime",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--readers", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--timeout", type=float, default=30, help="the clients' timeout")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SOAK_DATABASE_URL", ""),
        help="a scratch database, emptied first (SOAK_DATABASE_URL; else a new SQLite file)",
    )
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="soak-"))
    url = args.database_url or f"sqlite:///{scratch / 'soak.db'}"
    label = url.split(":", 1)[0].split("+", 1)[0]
    clients = clients_for(args.writers, args.readers, SEEDED_SLUGS)
    began = time.monotonic()
    tokens = prepare(url, clients)
    port = free_port()
    log = scratch / "server.log"
    server = start_server(url, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        world = discover(base, tokens["soak admin"])
        set_up = time.monotonic() - began
        load = load_average()
        started_at = datetime.now(UTC)
        run = uuid.uuid4().hex[:8]
        tally = asyncio.run(run_load(base, tokens, clients, world, args.seconds, args.timeout, run))
        loaded = time.monotonic()
        result = reconcile(base, tokens["soak admin"], tally, started_at)
        reconciled = time.monotonic() - loaded
    finally:
        stop_server(server)
    reasons = report(label, args, tally, result, load)
    print(server_side(log, started_at))
    print(f"  set up in {set_up:.0f} s, reconciled in {reconciled:.0f} s")
    if reasons:
        print(f"FAIL ({label}); the server's log is {log}")
        for reason in reasons:
            print(f"  - {reason}")
        return 1
    print(f"PASS ({label})")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
