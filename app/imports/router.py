"""Importing delivery plans from spreadsheets, and exporting them in the same layout."""

from collections.abc import Callable, Coroutine
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive

from app.auth.dependencies import ActorDep
from app.core.db import SessionDep
from app.core.errors import PayloadTooLarge
from app.core.exports import XLSX
from app.core.openapi import tag
from app.core.schemas import Id
from app.imports import export, service
from app.imports.schemas import ImportReport, PlanExportFormat

# Room for the multipart framing and the small form fields around the file itself.
FORM_OVERHEAD = 64 * 1024


def _too_large(limit: int) -> str:
    return f"the file is larger than {limit:,} bytes: split the plans into smaller files"


def _capped(receive: Receive, limit: int) -> Receive:
    """The request's body, refused once it is clearly more than a file of `limit` bytes."""
    received = 0

    async def capped() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit + FORM_OVERHEAD:
            raise HTTPException(413, _too_large(limit))
        return message

    return capped


class UploadRoute(APIRoute):
    """A route whose body is refused with 413 before it is read whole when it is too large."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = request.app.state.settings.import_max_bytes
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit + FORM_OVERHEAD:
                raise PayloadTooLarge(_too_large(limit))
            return await handler(Request(request.scope, _capped(request.receive, limit)))

        return limited


IMPORTS = tag(
    "imports",
    "Delivery plans read from spreadsheets in the layout of the strategy's Appendix 2; a dry run "
    "reports each row without writing.",
)
router = APIRouter(tags=IMPORTS)
upload_router = APIRouter(tags=IMPORTS, route_class=UploadRoute)


@upload_router.post("/imports")
def import_plans(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="An .xlsx workbook or a .csv file.")],
    strand: Annotated[str, Form(max_length=80, description="The strand's slug.")],
    plan: Annotated[
        str | None, Form(max_length=200, description="The plan's name, for a one-plan file.")
    ] = None,
    dry_run: Annotated[bool, Form(description="Report what would change; write nothing.")] = False,
    added_on: Annotated[
        date | None, Form(description="When new tasks joined the plan; today by default.")
    ] = None,
    effective_date: Annotated[
        date | None,
        Form(description="When a Status changed in the sheet took effect; today by default."),
    ] = None,
) -> ImportReport:
    """Import delivery plans (Appendix 2 layout) into a strand: every row's outcome is reported."""
    limit = request.app.state.settings.import_max_bytes
    content = file.file.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(_too_large(limit))
    return service.import_file(
        session=session,
        actor=actor,
        content=content,
        filename=file.filename or "",
        strand_slug=strand,
        plan_name=plan or None,
        dry_run=dry_run,
        added_on=added_on,
        effective_date=effective_date,
        settings=request.app.state.settings,
    )


FormatQuery = Annotated[PlanExportFormat, Query(alias="format", description="xlsx or csv.")]


@router.get(
    "/plans/{plan_id:int}/export",
    response_class=Response,
    responses={200: {"content": {XLSX: {}, "text/csv": {}}}},
)
def export_plan(
    plan_id: Id, session: SessionDep, fmt: FormatQuery = PlanExportFormat.xlsx
) -> Response:
    """A plan as a spreadsheet in the Appendix 2 layout, ready to edit and import again."""
    plan = export.plan_export(session=session, plan_id=plan_id)
    return export.download([plan], fmt, export.file_stem(plan))
