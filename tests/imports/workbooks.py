"""Delivery-plan files made in the tests, laid out as the force's spreadsheets are."""

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook

HEADER = [
    "Strand",
    "Task",
    "How will this be delivered?/ How will we measure performance?",
    "Who",
    "When",
    "Task No",
]

# A plan as the leads write them: the pillar in a merged cell over its group, a `.` row, a blank
# row, a repeated task, COMPLETED, links, and a real Excel date.
KNIFE_ROWS: list[list[Any]] = [
    ["PREVENT", "Establish a young people subgroup", "Youth IAG in each LPA", "PW",
     "1st review 15/6/18", 1],
    [None, "Work with parents to educate re knife crime", "Linked to actions (1) & (3)", "SS",
     "COMPLETED", 2],
    [None, ".", None, None, None, None],
    [None, "Work with retailers to prevent the sale of knives", "Linked to Actions (1) (2)", "SS",
     "Sep-18", 3],
    [None, None, None, None, None, None],
    ["PURSUE", "Improve the intelligence product", "Working with analysts", "SS", "Ongoing", 4],
    [None, "Improve the intelligence product", "Working with analysts", "SS", "Ongoing", 4],
    [None, "Target habitual knife carriers", "- Hot spots\r\n- Tactical menu", "SS",
     datetime(2019, 3, 31), 5],
]  # fmt: skip
KNIFE_PILLAR_ROWS = {"PREVENT": (4, 7), "PURSUE": (9, 11)}


def xlsx(
    sheets: Sequence[tuple[str, str | None, Sequence[Sequence[Any]]]],
    *,
    leads: Sequence[Sequence[str]] | None = None,
    header: Sequence[str] = HEADER,
    merge: dict[str, dict[str, tuple[int, int]]] | None = None,
) -> bytes:
    """A workbook: an optional leads sheet first, then (sheet name, title row, rows) per plan."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    if leads is not None:
        sheet = workbook.create_sheet("Strand Leads & Review Dates")
        sheet.append([None, "Strand Leads & Review Dates"])
        sheet.append([])
        sheet.append([None, "Leads", "Strategic Lead: C/Supt Tracey Harman"])
        sheet.append([None, "Area", "Tactical Lead", "Operational Lead"])
        for row in leads:
            sheet.append([None, *row])
        sheet.append([None, "Timeline"])
        sheet.append([None, None, "Initial 4 P for review"])
        sheet.append([None, "Knife Crime", "4th May"])
    for name, title, rows in sheets:
        sheet = workbook.create_sheet(name)
        if title is not None:
            sheet.append([title])
            sheet.append([])
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
        for pillar, (first, last) in (merge or {}).get(name, {}).items():
            assert sheet.cell(first, 1).value == pillar
            sheet.merge_cells(start_row=first, start_column=1, end_row=last, end_column=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def knife_workbook(
    rows: Sequence[Sequence[Any]] = KNIFE_ROWS, leads: Sequence[str] = ("C/Insp Sam Smith", "TBC")
) -> bytes:
    return xlsx(
        [("Knife crime", "Violence 4P plan - Knife crime", rows)],
        leads=[["Knife Crime", *leads], ["USG & County Lines", "DCI Frost", ""]],
        merge={"Knife crime": KNIFE_PILLAR_ROWS},
    )


def csv_file(title: str | None, rows: Sequence[Sequence[Any]], header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if title is not None:
        writer.writerow([title])
        writer.writerow([])
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()
