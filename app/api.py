"""Every `/api/v1` router, mounted once behind bearer-token authentication."""

from fastapi import APIRouter, Depends

from app.auth.dependencies import current_actor
from app.imports.router import router as imports_router
from app.imports.router import upload_router as imports_upload_router
from app.strategies.router import router as strategies_router
from app.tasks.router import router as tasks_router

api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(current_actor)])
api_router.include_router(strategies_router)
api_router.include_router(tasks_router)
api_router.include_router(imports_router)
api_router.include_router(imports_upload_router)
