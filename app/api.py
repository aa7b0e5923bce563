"""Every `/api/v1` router, mounted once behind bearer-token authentication."""

from fastapi import APIRouter, Depends

from app.audit.router import router as audit_router
from app.auth.dependencies import current_actor
from app.changes.router import router as changes_router
from app.core.query import refuse_unknown_query
from app.dashboard.router import router as dashboard_router
from app.imports.router import router as imports_router
from app.imports.router import upload_router as imports_upload_router
from app.papers.router import router as papers_router
from app.pcp.router import reports_router as pcp_reports_router
from app.pcp.router import router as pcp_router
from app.people.router import router as people_router
from app.periods.router import router as periods_router
from app.reminders.router import router as reminders_router
from app.reports.router import router as reports_router
from app.returns.router import router as returns_router
from app.risks.router import router as risks_router
from app.strategies.router import router as strategies_router
from app.tasks.router import router as tasks_router
from app.webhooks.router import router as webhooks_router

api_router = APIRouter(
    prefix="/api/v1", dependencies=[Depends(current_actor), Depends(refuse_unknown_query)]
)
# Routes are matched in the order they are included: the dashboard, which the intranet polls,
# and tasks, which every page and script reads, come first.
api_router.include_router(dashboard_router)
api_router.include_router(tasks_router)
api_router.include_router(strategies_router)
api_router.include_router(returns_router)
api_router.include_router(audit_router)
api_router.include_router(risks_router)
api_router.include_router(webhooks_router)
api_router.include_router(changes_router)
api_router.include_router(imports_router)
api_router.include_router(imports_upload_router)
api_router.include_router(reports_router)
api_router.include_router(periods_router)
api_router.include_router(people_router)
api_router.include_router(pcp_router)
api_router.include_router(pcp_reports_router)
api_router.include_router(reminders_router)
api_router.include_router(papers_router)
