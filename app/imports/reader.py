"""Reading delivery plans laid out as in Appendix 2 of the strategy, from .xlsx or .csv files.

A plan sheet has a header row somewhere in its first rows — `Strand | Task | How will this be
delivered? … | Who | When | Task No` (Who, When and Task No may be missing; `Action No` and `How`
are accepted) — with an optional title row above it naming the plan. The pillar is written only on
the first row of its group (often a merged cell), so it is carried down. A "Strand Leads & Review
Dates" sheet (`Area | Tactical Lead | Operational Lead`) gives the plans' leads.

Every row below a header, up to the last one with anything in it, is accounted for: it is either
a task or skipped with a reason, so that imported + skipped = rows read. The file is untrusted:
its rows and, for a workbook, what it unpacks to are bounded, and anything unreadable is refused
with a clear `Invalid`.
"""

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from pathlib import PurePath
from typing import Any

from app.core.errors import Invalid
from app.core.exports import FORMULA_STARTS
from app.core.schemas import normalise_text
from app.core.when import When, parse_when_cell
from app.tasks.models import Pillar, Status

log = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 15
MAX_COLUMNS = 30
MAX_SHEETS = 50
MAX_ZIP_MEMBERS = 2_000
MAX_TASK_NO = 100_000

COLUMN_NAMES = {
    "pillar": "Strand",
    "title": "Task",
    "how": "How will this be delivered?",
    "owner": "Who",
    "when": "When",
    "task_no": "Task No",
    "status": "Status",
    "plan": "Plan",
}
# How a Status cell may name a status: as the export writes it, the API's names, the board's words.
STATUS_WORDS = {
    "ongoing": Status.ongoing,
    "in progress": Status.ongoing,
    "ongoing in progress": Status.ongoing,
    "at risk": Status.at_risk,
    "complete": Status.complete,
    "completed": Status.complete,
    "withdrawn": Status.withdrawn,
}
STATUS_LABELS = {
    Status.ongoing: "Ongoing",
    Status.at_risk: "At risk",
    Status.complete: "Complete",
    Status.withdrawn: "Withdrawn",
}
REQUIRED = ("pillar", "title", "how")
_TASK_NO_HEADERS = {"task no", "task number", "action no", "action number", "no"}
_PILLAR_RE = re.compile(r"^\s*(prevent|pursue|protect|prepare)\b", re.IGNORECASE)
_HAS_WORD = re.compile(r"\w")
NO_WHEN = When(due_date=None, complete=False)


class PlanFileError(Invalid):
    """The file cannot be read as delivery plans; the message says why, for the person importing."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="file")


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One row below a plan's header: a task, or `skipped` with the reason it is not one."""

    number: int
    pillar: Pillar | None = None
    task_no: int | None = None
    title: str = ""
    how: str = ""
    owner: str = ""
    due_text: str = ""
    when: When = NO_WHEN
    status: Status | None = None
    skipped: str | None = None


@dataclass
class PlanSheet:
    source: str
    name: str
    rows: list[PlanRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PlanLeads:
    area: str
    tactical_lead: str
    operational_lead: str
    strand: str = ""


@dataclass
class PlanFile:
    plans: list[PlanSheet] = field(default_factory=list)
    leads: list[PlanLeads] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_plan_file(
    content: bytes, filename: str, *, max_rows: int, max_unpacked_bytes: int
) -> PlanFile:
    """Read every plan (and leads) sheet of an .xlsx workbook, or the plan of a .csv file."""
    counter = _RowCounter(max_rows)
    result = PlanFile()
    if _is_workbook(content, filename):
        workbook = _open_workbook(content, max_unpacked_bytes)
        try:
            for sheet in workbook.worksheets:
                _read_sheet(sheet.title, counter.count(_sheet_rows(sheet)), result)
        finally:
            workbook.close()
    else:
        stem = PurePath(filename or "plan").stem or "plan"
        _read_sheet(stem, counter.count(_csv_rows(content)), result)
    if not result.plans:
        raise PlanFileError("the file holds no delivery plan: no sheet has a Strand/Task header")
    return result


# Telling the kind of file, and opening it safely


def _is_workbook(content: bytes, filename: str) -> bool:
    suffix = PurePath(filename or "").suffix.lower()
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise PlanFileError("this is an old-style .xls workbook: save it as .xlsx and try again")
    if suffix in {".xlsx", ".xlsm"}:
        if not content.startswith(b"PK"):
            raise PlanFileError("the file is not a valid .xlsx workbook (it is not a zip archive)")
        return True
    if suffix in {".csv", ".txt"}:
        return False
    return content.startswith(b"PK\x03\x04")


def _check_archive(content: bytes, max_unpacked_bytes: int) -> None:
    """Refuse a zip that would unpack to too much before any of it is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise PlanFileError("the file is not a valid .xlsx workbook (bad zip archive)") from error
    except NotImplementedError as error:
        # zipfile refuses a member that needs a newer zip version or an unknown compression.
        raise PlanFileError(f"the file is not a readable .xlsx workbook ({error})") from error
    if len(members) > MAX_ZIP_MEMBERS:
        raise PlanFileError(f"the workbook holds more than {MAX_ZIP_MEMBERS} parts")
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_unpacked_bytes:
        raise PlanFileError(
            f"the workbook would unpack to {unpacked:,} bytes, more than the "
            f"{max_unpacked_bytes:,} allowed"
        )


def _open_workbook(content: bytes, max_unpacked_bytes: int) -> Any:
    from app.imports.workbook import open_workbook

    _check_archive(content, max_unpacked_bytes)
    try:
        workbook = open_workbook(content)
    except Exception as error:
        # openpyxl raises many kinds of error on a malformed workbook; all mean "not readable".
        log.info("unreadable workbook: %r", error)
        raise PlanFileError("the file is not a readable .xlsx workbook") from error
    if len(workbook.worksheets) > MAX_SHEETS:
        workbook.close()
        raise PlanFileError(f"the workbook has more than {MAX_SHEETS} sheets")
    return workbook


def _sheet_rows(sheet: Any) -> Iterator[Sequence[Any]]:
    try:
        yield from sheet.row_values(MAX_COLUMNS)
    except Exception as error:
        log.info("unreadable sheet %r: %r", sheet.title, error)
        raise PlanFileError(f"sheet {sheet.title!r} is not readable") from error


def _csv_rows(content: bytes) -> Iterator[Sequence[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError as error:
            raise PlanFileError("the CSV file is neither UTF-8 nor Windows-1252 text") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            yield row[:MAX_COLUMNS]
    except csv.Error as error:
        detail = f"the CSV file is malformed at line {reader.line_num}: {error}"
        raise PlanFileError(detail) from error


class _RowCounter:
    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.rows = 0

    def count(self, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        for row in rows:
            self.rows += 1
            if self.rows > self.max_rows:
                raise PlanFileError(
                    f"the file has more than {self.max_rows:,} rows: split it into smaller files"
                )
            yield row


# Cells


def _text(value: Any) -> str:
    """A cell as the text a person sees, with line ends made uniform and export quoting undone."""
    if value is None:
        return ""
    if type(value) is str:
        text = normalise_text(value)
    elif isinstance(value, datetime | date):
        return f"{value:%d/%m/%Y}"
    elif isinstance(value, float) and value.is_integer():
        return str(int(value))
    else:
        text = normalise_text(str(value))
    # Our exports write `'=…` so spreadsheets show text, not a formula; read it back as written.
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_STARTS:
        text = text[1:]
    return text


def _when_text(value: Any, when: When) -> str:
    """`When` as written; a real date (or an Excel serial read as one) written day first."""
    if isinstance(value, int | float) and not isinstance(value, bool) and when.due_date:
        return f"{when.due_date:%d/%m/%Y}"
    return _text(value)


def _key(value: Any) -> str:
    """A header cell made comparable: lower case, punctuation and extra spaces gone."""
    if not isinstance(value, str):
        return ""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", value.lower()).split())


def _column(value: Any) -> str | None:
    key = _key(value)
    if key in {"strand", "pillar"}:
        return "pillar"
    if key == "task":
        return "title"
    if key == "how" or key.startswith("how will"):
        return "how"
    if key in {"who", "owner"}:
        return "owner"
    if key == "when":
        return "when"
    if key in _TASK_NO_HEADERS:
        return "task_no"
    if key == "status":
        return "status"
    if key == "plan":
        return "plan"
    return None


def _columns(row: Sequence[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(row):
        name = _column(value)
        if name is not None and name not in found:
            found[name] = index
    return found


def _leads_columns(row: Sequence[Any]) -> dict[str, int]:
    names = {
        "area": "area",
        "tactical lead": "tactical_lead",
        "operational lead": "operational_lead",
        "strand": "strand",
    }
    found: dict[str, int] = {}
    for index, value in enumerate(row):
        name = names.get(_key(value))
        if name is not None and name not in found:
            found[name] = index
    return found


def _cell(row: Sequence[Any], index: int | None) -> Any:
    if index is None or index >= len(row):
        return None
    return row[index]


def _blank(row: Sequence[Any]) -> bool:
    return all(_text(value) == "" for value in row)


def _pillar(text: str) -> Pillar | None:
    match = _PILLAR_RE.match(text)
    return Pillar(match[1].lower()) if match else None


def _task_no(value: Any) -> int | None:
    """The task number, None when blank; ValueError when it is not a whole number in range."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        number = int(value)
    else:
        text = _text(value).rstrip(".")
        if not text:
            return None
        if not text.isdigit():
            raise ValueError
        number = int(text)
    if not 1 <= number <= MAX_TASK_NO:
        raise ValueError
    return number


# Sheets


def _missing(columns: dict[str, int]) -> str:
    return ", ".join(COLUMN_NAMES[name] for name in REQUIRED if name not in columns)


def _read_sheet(title: str, rows: Iterator[Sequence[Any]], into: PlanFile) -> None:
    head: list[Sequence[Any]] = []
    for row in rows:
        head.append(row)
        if len(head) == HEADER_SEARCH_ROWS:
            break
    best: dict[str, int] = {}
    for at, row in enumerate(head):
        columns = _columns(row)
        if all(name in columns for name in REQUIRED):
            name = next((_text(v) for r in head[:at] for v in r if _text(v)), title)
            rest = chain(
                zip(range(at + 2, len(head) + 1), head[at + 1 :], strict=True),
                enumerate(rows, start=len(head) + 1),
            )
            _read_plan_rows(title, name, columns, rest, into)
            return
        if len(columns) > len(best):
            best = columns
    for at, row in enumerate(head):
        columns = _leads_columns(row)
        if "area" in columns and ("tactical_lead" in columns or "operational_lead" in columns):
            _read_leads(chain(head[at + 1 :], rows), columns, into)
            return
    if all(_blank(row) for row in chain(head, rows)):
        into.warnings.append(f"sheet {title!r} is empty; it was left out")
        return
    raise PlanFileError(
        f"sheet {title!r} is not a delivery plan: no header row in its first "
        f"{HEADER_SEARCH_ROWS} rows has the columns Strand, Task and How will this be delivered? "
        f"(missing: {_missing(best)})"
    )


def _read_leads(rows: Iterable[Sequence[Any]], columns: dict[str, int], into: PlanFile) -> None:
    for row in rows:
        area = _text(_cell(row, columns["area"]))
        if area.lower() == "timeline":
            return
        tactical = _text(_cell(row, columns.get("tactical_lead")))
        operational = _text(_cell(row, columns.get("operational_lead")))
        if area and (tactical or operational):
            into.leads.append(
                PlanLeads(area, tactical, operational, _text(_cell(row, columns.get("strand"))))
            )


def _read_plan_rows(
    title: str,
    name: str,
    columns: dict[str, int],
    rows: Iterable[tuple[int, Sequence[Any]]],
    into: PlanFile,
) -> None:
    sheets: dict[str, PlanSheet] = {}

    def sheet_for(plan_name: str) -> PlanSheet:
        if plan_name not in sheets:
            source = title if plan_name == name else f"{title} (plan {plan_name})"
            sheets[plan_name] = PlanSheet(source=source, name=plan_name)
            into.plans.append(sheets[plan_name])
        return sheets[plan_name]

    current = sheet_for(name) if "plan" not in columns else None
    pillar: Pillar | None = None
    blanks: list[int] = []
    for number, row in rows:
        if _blank(row):
            blanks.append(number)
            continue
        plan_name = _text(_cell(row, columns.get("plan")))
        if plan_name and (current is None or plan_name != current.name):
            current = sheet_for(plan_name)
            pillar = None
        target = current or sheet_for(name)
        target.rows.extend(PlanRow(number=n, skipped="blank row") for n in blanks)
        blanks.clear()
        row_pillar, parsed = _plan_row(number, row, columns, pillar)
        pillar = row_pillar
        target.rows.append(parsed)


def _plan_row(
    number: int, row: Sequence[Any], columns: dict[str, int], pillar: Pillar | None
) -> tuple[Pillar | None, PlanRow]:
    """The row read against the pillar carried down to it; returns the pillar for the next."""
    pillar_text = _text(_cell(row, columns["pillar"]))
    title = _text(_cell(row, columns["title"]))
    cells = [_text(_cell(row, columns.get(c))) for c in ("how", "owner", "when", "task_no")]
    if not any(_HAS_WORD.search(text) for text in (pillar_text, title, *cells)):
        return pillar, PlanRow(number=number, skipped="only punctuation, no task")
    if pillar_text:
        named = _pillar(pillar_text)
        if named is None:
            reason = f"Strand {pillar_text[:40]!r} is not Prevent, Pursue, Protect or Prepare"
            return pillar, PlanRow(number=number, skipped=reason)
        pillar = named
    if not _HAS_WORD.search(title):
        if pillar_text and not title and not any(cells):
            return pillar, PlanRow(number=number, skipped="pillar heading, no task")
        return pillar, PlanRow(number=number, skipped="no task text in the Task column")
    if pillar is None:
        return pillar, PlanRow(number=number, skipped="no pillar: no Strand named above this row")
    raw_task_no = _cell(row, columns.get("task_no"))
    try:
        task_no = _task_no(raw_task_no)
    except ValueError:
        shown = _text(raw_task_no)[:20]
        reason = f"Task No {shown!r} is not a whole number from 1 to {MAX_TASK_NO}"
        return pillar, PlanRow(number=number, skipped=reason)
    status_text = _text(_cell(row, columns.get("status")))
    status = STATUS_WORDS.get(_key(status_text)) if status_text else None
    if status_text and status is None:
        reason = f"Status {status_text[:40]!r} is not Ongoing, At risk, Complete or Withdrawn"
        return pillar, PlanRow(number=number, skipped=reason)
    raw_when = _cell(row, columns.get("when"))
    when = parse_when_cell(raw_when)
    return pillar, PlanRow(
        number=number,
        pillar=pillar,
        task_no=task_no,
        title=title,
        how=cells[0],
        owner=cells[1],
        due_text=_when_text(raw_when, when),
        when=when,
        status=status,
    )


def matches(area: str, plan_name: str) -> bool:
    """Whether a leads sheet's area names a plan: the same words, or the plan's initials (NTE)."""
    area_key, plan_key = _name_key(area), _name_key(plan_name)
    if not area_key:
        return False
    initials = "".join(word[0] for word in plan_key.split())
    return area_key == plan_key or area_key.replace(" ", "") == initials


def _name_key(name: str) -> str:
    return _key(name.replace("&", " and "))
