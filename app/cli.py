"""The `tracker` command: migrations, seed, imports, tokens, the board report and the worker."""

import getpass
import json
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import sqlalchemy as sa
import typer
from alembic import command
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlmodel import select

from app.auth import service as auth
from app.auth.models import ApiToken, Role
from app.auth.service import Actor
from app.core.base import today, utcnow
from app.core.config import get_settings
from app.core.db import make_engine, read_session, write_session
from app.core.errors import DomainError, Invalid
from app.core.logs import configure_logging
from app.core.migrations import alembic_config, current_revisions, head_revisions
from app.core.quarters import Quarter, QuarterError
from app.imports import service as imports
from app.imports.schemas import ImportReport, Outcome
from app.main import outbox_runner
from app.pcp.models import PcpContributor
from app.people import service as people
from app.periods.service import current_quarter
from app.reminders import service as reminders
from app.reports import render
from app.reports import service as reports
from app.reports.schemas import ReportFormat
from app.seed import pcp as seed_pcp
from app.seed import service as seed_service
from app.strategies.models import Strand
from app.tasks import spans
from app.tasks.models import StatusSpan

app = typer.Typer(help="4P delivery-plan tracker.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
access_app = typer.Typer(
    help="Access rules: what a value of the provider's roles claim grants.", no_args_is_help=True
)
app.add_typer(access_app, name="access")
report_app = typer.Typer(help="Reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")
reminders_app = typer.Typer(help="Reminder e-mails.", no_args_is_help=True)
app.add_typer(reminders_app, name="reminders")
outbox_app = typer.Typer(help="The outbox of webhook deliveries and mail.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
console = Console(stderr=True)

LOCAL_ADMIN = "local-admin"
# Who the audit trail records for changes made at the command line.
CLI = Actor(token_id=0, name=f"cli:{getpass.getuser()}", role=Role.admin, strands=frozenset())
# Files with fewer rows import in a blink; a bar would only flicker.
PROGRESS_FROM_ROWS = 500


def _engine(*, migrated: bool = True) -> Engine:
    """The database's engine; unless `migrated=False`, one clear line and exit 1 when there is no
    database at the address, or it has not been migrated (never a traceback, never a new file)."""
    settings = get_settings()
    url = sa.engine.make_url(settings.database_url)
    shown = url.render_as_string(hide_password=True)
    local_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if migrated and local_file and not Path(url.database).exists():  # type: ignore[arg-type]
        _stop(f"no tracker database at {shown}: run `tracker migrate`")
    engine = make_engine(settings.database_url, settings)
    if not migrated:
        return engine
    try:
        with engine.connect() as connection:
            current = current_revisions(connection)
    except sa.exc.SQLAlchemyError as error:
        engine.dispose()
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        _stop(f"cannot open the tracker database at {shown}: {reason}")
    if not current:
        engine.dispose()
        _stop(f"no tracker database at {shown}: run `tracker migrate`")
    if current != head_revisions():
        engine.dispose()
        _stop(
            f"the tracker database at {shown} is at migration {', '.join(sorted(current))}, "
            f"not {', '.join(sorted(head_revisions()))}: run `tracker migrate`"
        )
    return engine


def _stop(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code=1)


def _fail(error: DomainError) -> None:
    console.print(f"[red]error:[/red] {error.detail}")
    raise typer.Exit(code=1)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (`alembic upgrade head`)."""
    command.upgrade(alembic_config(), "head")
    console.print("database schema is up to date")


@app.command()
def seed() -> None:
    """Load the strategy in seed/ (running it again changes nothing)."""
    with write_session(_engine(), CLI) as session, _steps("seeding plans") as step:
        report = seed_service.load_strategy(session=session, progress=step)
        plans = seed_pcp.load_pcp(session=session, actor=CLI, seed_dir=get_settings().seed_dir)
        session.commit()
    console.print(
        f"{report.strategy}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged; tasks: {report.tasks_created} created, "
        f"{report.tasks_updated} updated"
    )
    console.print(
        f"Police and Crime Plans: {plans.plans} plans, {plans.created} records created, "
        f"{plans.unchanged} unchanged"
    )


@app.command("rebuild-spans")
def rebuild_spans() -> None:
    """Derive the dashboard's status spans and their counts afresh from every task's events.

    The API keeps them in step by itself; this is for rows loaded or mended behind its back.
    """
    # A few statements over every event: the bar pulses until they are done.
    with write_session(_engine(), CLI) as session, _steps("rebuilding spans"):
        spans.rebuild_all(session)
        kept = session.scalar(sa.select(sa.func.count()).select_from(StatusSpan))
        session.commit()
    console.print(f"status spans rebuilt: {kept}")


@app.command()
def setup() -> None:
    """Migrate, seed an empty database, and make a local admin token the first time."""
    migrate()
    engine = _engine()
    with write_session(engine, CLI) as session:
        if seed_service.is_empty(session=session):
            report = seed_service.load_strategy(session=session)
            seed_pcp.load_pcp(session=session, actor=CLI, seed_dir=get_settings().seed_dir)
            console.print(f"seeded {report.strategy} and the Police and Crime Plans")
        has_admin = session.exec(
            select(ApiToken.id).where(ApiToken.role == Role.admin, ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
        ).first()
        clear = None
        if has_admin is None:
            _, clear = auth.create_token(session=session, name=LOCAL_ADMIN, role=Role.admin)
        session.commit()
    if clear:
        console.print("An admin token was made for you; it is shown only this once:")
        print(clear, flush=True)


@contextmanager
def _steps(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr for a long command; `step(done, total)` moves it."""
    with Progress(
        SpinnerColumn(),
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield step


class _ProgressBar:
    """A progress bar that appears only once an import turns out to be large."""

    def __init__(self) -> None:
        self.progress: Progress | None = None
        self.task = 0

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_FROM_ROWS:
            return
        if self.progress is None:
            self.progress = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("importing rows", total=total)
        self.progress.update(self.task, completed=done)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@app.command("import")
def import_plans(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="An .xlsx or .csv file."),
    ],
    strand: Annotated[str, typer.Option("--strand", help="The slug of the plans' strand.")],
    plan: Annotated[
        str | None, typer.Option("--plan", help="The plan's name (a one-plan file only).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    added_on: Annotated[
        datetime | None,
        typer.Option("--added-on", formats=["%Y-%m-%d"], help="When new tasks joined the plan."),
    ] = None,
    effective_date: Annotated[
        datetime | None,
        typer.Option(
            "--effective-date",
            formats=["%Y-%m-%d"],
            help="When a Status changed in the sheet took effect (default: today).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import delivery plans (Appendix 2 layout) into a strand; all of it, or nothing."""
    settings = get_settings()
    if file.stat().st_size > settings.import_max_bytes:
        console.print(
            f"[red]error:[/red] {escape(str(file))} is larger than "
            f"{settings.import_max_bytes:,} bytes (TRACKER_IMPORT_MAX_BYTES)"
        )
        raise typer.Exit(code=1)
    actor = Actor(token_id=0, name=f"cli:{getpass.getuser()}", role=Role.admin, strands=frozenset())
    bar = _ProgressBar()
    with write_session(_engine()) as session:
        try:
            report = imports.import_file(
                session=session,
                actor=actor,
                content=file.read_bytes(),
                filename=file.name,
                strand_slug=strand,
                plan_name=plan,
                dry_run=dry_run,
                added_on=added_on.date() if added_on else None,
                effective_date=effective_date.date() if effective_date else None,
                progress=bar,
                settings=settings,
            )
        except DomainError as error:
            bar.close()
            _fail(error)
        bar.close()
        if not dry_run:
            session.commit()
    if as_json:
        print(report.model_dump_json(indent=2), flush=True)
        return
    _print_import(report)


def _print_import(report: ImportReport) -> None:
    out = Console(highlight=False, soft_wrap=True)
    table = Table("plan", "plan is", "rows read", "created", "updated", "unchanged", "skipped")
    for plan in report.plans:
        table.add_row(
            escape(plan.name),
            plan.plan.value,
            *(str(n) for n in (plan.rows_read, plan.created, plan.updated, plan.unchanged)),
            str(plan.skipped),
        )
    for plan in report.plans:
        out.print(f"[bold]{escape(plan.name)}[/bold] ({escape(plan.sheet)})")
        for row in plan.rows:
            if not report.dry_run and row.outcome in (Outcome.created, Outcome.unchanged):
                continue
            detail = row.reason if row.outcome is Outcome.skipped else ", ".join(row.changes)
            task = f"{row.pillar.value if row.pillar else ''} {row.task_no or ''}".strip()
            out.print(
                f"  row {row.row:>5}  {row.outcome.value:<9}  {task:<12}  "
                f"{escape(row.title[:60])}  {escape(detail or '')}".rstrip()
            )
        for warning in plan.warnings:
            out.print(f"  [yellow]warning:[/yellow] {escape(warning)}")
    for warning in report.warnings:
        out.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    out.print(table)
    done = "dry run: nothing was written" if report.dry_run else "imported"
    out.print(
        f"{done}: {report.rows_read} rows read, {report.created} created, "
        f"{report.updated} updated, {report.unchanged} unchanged, {report.skipped} skipped"
    )


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="Who or what the token is for.")],
    role: Annotated[Role, typer.Option("--role")],
    strand: Annotated[
        list[str] | None, typer.Option("--strand", help="A strand slug a lead may write.")
    ] = None,
    contributor: Annotated[
        list[str] | None,
        typer.Option(
            "--contributor", help="A Police and Crime Plan contributor a lead writes for."
        ),
    ] = None,
    expires_in_days: Annotated[
        int | None, typer.Option("--expires-in-days", min=1, help="Expire after this many days.")
    ] = None,
) -> None:
    """Create a token; it is printed alone on the last line and never shown again."""
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    with write_session(_engine(), CLI) as session:
        known = set(session.exec(select(Strand.slug)))
        known_contributors = set(session.exec(select(PcpContributor.slug)))
        try:
            token, clear = auth.create_token(
                session=session,
                name=name,
                role=role,
                strands=strand or [],
                expires_at=expires_at,
                known_strands=known,
                contributors=contributor or [],
                known_contributors=known_contributors,
            )
        except DomainError as error:
            _fail(error)
        session.commit()
    console.print(f"token {token.name!r} ({token.role.value}) created; keep it safe:")
    print(clear, flush=True)


@token_app.command("list")
def token_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the tokens as JSON.")] = False,
) -> None:
    """List tokens (never their values); long names and strands wrap, never cut."""
    with write_session(_engine(), CLI) as session:
        tokens = auth.list_tokens(session=session)
    if as_json:
        rows = [
            {
                "name": t.name,
                "role": t.role.value,
                "strands": list(t.strands),
                "contributors": list(t.contributors),
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in tokens
        ]
        print(json.dumps(rows, indent=2), flush=True)
        return
    table = Table(show_lines=True)
    # The name gets room first; every column wraps rather than cut what it holds.
    table.add_column("name", overflow="fold", min_width=20, ratio=3)
    for header in ("role", "strands", "contributors", "created", "last used", "expires", "revoked"):
        table.add_column(header, overflow="fold", ratio=1)
    for t in tokens:
        table.add_row(
            t.name,
            t.role.value,
            ", ".join(t.strands),
            ", ".join(t.contributors),
            f"{t.created_at:%Y-%m-%d %H:%M}",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "",
            f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "",
            f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
        )
    Console().print(table)


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Revoke a token: it is refused from the next request on."""
    with write_session(_engine(), CLI) as session:
        try:
            auth.revoke_token(session=session, name=name)
        except DomainError as error:
            _fail(error)
        session.commit()
    console.print(f"token {name!r} revoked")


@access_app.command("set")
def access_set(
    claim_value: Annotated[str, typer.Argument(help="A value of the roles (or groups) claim.")],
    role: Annotated[Role, typer.Option("--role")],
    strand: Annotated[
        list[str] | None, typer.Option("--strand", help="A strand slug a lead may write.")
    ] = None,
    contributor: Annotated[
        list[str] | None,
        typer.Option(
            "--contributor", help="A Police and Crime Plan contributor a lead writes for."
        ),
    ] = None,
) -> None:
    """Grant a role (and a lead's strands) to whoever's claim holds the value."""
    with write_session(_engine(), CLI) as session:
        known = set(session.exec(select(PcpContributor.slug)))
        unknown = sorted(set(contributor or []) - known)
        if unknown:
            _fail(Invalid(f"unknown contributor: {', '.join(unknown)}", field="contributors"))
        try:
            rule, created = people.set_rule(
                session=session,
                actor=CLI,
                claim_value=claim_value,
                role=role,
                strands=strand or [],
                contributors=contributor or [],
            )
        except DomainError as error:
            _fail(error)
        session.commit()
    strands = f" for {', '.join(rule.strands)}" if rule.strands else ""
    console.print(
        f"access rule {rule.claim_value!r} {'created' if created else 'set'}: "
        f"{rule.role.value}{strands}"
    )


@access_app.command("list")
def access_list() -> None:
    """List the access rules."""
    with read_session(_engine()) as session:
        rules = people.list_rules(session=session)
    table = Table("claim value", "role", "strands", "updated", "by")
    for rule in rules:
        table.add_row(
            rule.claim_value,
            rule.role.value,
            ", ".join(rule.strands),
            f"{rule.updated_at:%Y-%m-%d %H:%M}",
            rule.updated_by,
        )
    Console(width=200).print(table)


@access_app.command("remove")
def access_remove(claim_value: Annotated[str, typer.Argument()]) -> None:
    """Remove a rule: whoever held access only through it loses it on their next call."""
    with write_session(_engine(), CLI) as session:
        try:
            people.remove_rule(session=session, actor=CLI, claim_value=claim_value)
        except DomainError as error:
            _fail(error)
        session.commit()
    console.print(f"access rule {claim_value!r} removed")


@report_app.command("board")
def report_board(
    quarter: Annotated[
        str | None,
        typer.Option("--quarter", help="`2020-21-Q2` or `2020/21 Q2`; default: this quarter."),
    ] = None,
    format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.docx,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Where to write it; default: board-report-<quarter>."),
    ] = None,
    strategy_id: Annotated[
        int | None, typer.Option("--strategy-id", help="Default: the current strategy.")
    ] = None,
) -> None:
    """Write a quarter's board report as a web page, Word, Markdown or Excel file."""
    try:
        chosen = current_quarter() if quarter is None else Quarter.parse(quarter)
    except QuarterError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=2) from None
    with read_session(_engine()) as session, _steps("board report") as step:
        try:
            report = reports.build(session=session, strategy_id=strategy_id, quarter=chosen)
        except DomainError as error:
            _fail(error)
        step(1, 2)
        content = render.render(report, format)
        step(2, 2)
    path = output or Path(render.filename(report, format))
    path.write_bytes(content)
    console.print(f"wrote {path} ({report.title})")


@reminders_app.command("send")
def reminders_send(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say who would get what, and queue nothing.")
    ] = False,
    on: Annotated[
        str | None, typer.Option("--on", help="Run the pass as on this day (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Queue the reminder digests due today (the worker sends them) and say who gets what."""
    settings = get_settings()
    try:
        day = date.fromisoformat(on) if on else today()
    except ValueError:
        console.print(f"[red]error:[/red] --on {on!r} is not a date written YYYY-MM-DD")
        raise typer.Exit(code=2) from None
    with write_session(_engine(), CLI) as session:
        try:
            result = reminders.run_pass(
                session=session, day=day, settings=settings, dry_run=dry_run
            )
        except DomainError as error:
            _fail(error)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    if result.quarter is None:
        typer.echo(f"{day}: not a reminder day; nothing to send")
        return
    typer.echo(
        f"{day}: reminders for the {result.quarter.board_label} returns, due "
        f"{result.return_deadline}"
    )
    for digest in result.digests:
        label = "would send" if dry_run and digest.status == "queued" else digest.status
        reason = f" ({digest.reason})" if digest.reason else ""
        typer.echo(f"{digest.name} <{digest.email}>: {label}{reason}")
        for item in digest.items:
            typer.echo(f"  - {item.kind}: {item.title} ({item.detail})")
    for owner in result.unlinked:
        typer.echo(f"not linked to anyone: {owner}")
    queued = len(result.queued)
    if dry_run:
        typer.echo(f"{queued} digests would be queued; nothing was sent")
    else:
        typer.echo(f"{queued} digests queued; the worker sends them (or `tracker worker --once`)")


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, then stop.")] = False,
) -> None:
    """Deliver webhooks and mail, and run the daily reminder pass, until stopped (SIGTERM or
    Ctrl-C), beside or instead of the API's worker."""
    settings = get_settings()
    configure_logging(settings.log_level)
    runner = outbox_runner(_engine(), settings)
    try:
        if once:
            attempts = runner.drain()
            console.print(f"{attempts} delivery attempts made")
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        console.print("delivering webhooks; stop with Ctrl-C")
        runner.run(stop)
    finally:
        runner.close()


@outbox_app.command("prune")
def outbox_prune() -> None:
    """Delete the webhook deliveries and mail sent or given up longer ago than
    TRACKER_OUTBOX_RETENTION_DAYS, and the events no delivery still needs (the worker does it
    hourly too)."""
    settings = get_settings()
    runner = outbox_runner(_engine(), settings)
    try:
        pruned = runner.prune()
    finally:
        runner.close()
    for table, rows in pruned.items():
        typer.echo(f"{table}: {rows} deleted")


if __name__ == "__main__":
    app()
