"""The sales platform's upload endpoints (seed 004, Phase 1)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shopsight.api.auth import principal_of
from shopsight.errors import AccessDenied
from shopsight.pipeline.uploads import StoreCheck, StoreUploads, UploadResult, UploadTicket

router = APIRouter(prefix="/sales", tags=["sales"])


def get_uploads(request: Request) -> StoreUploads:
    uploads: StoreUploads = request.app.state.uploads
    return uploads


Uploads = Annotated[StoreUploads, Depends(get_uploads)]


class UploadUrlRequest(BaseModel):
    """Ask for a signed URL to upload one store's sales for one business date."""

    store_id: str = Field(pattern=r"^[0-9]{4}$", description="Four-digit store id.")
    business_date: date
    content_type: str = "text/csv"


@router.post("/upload-url", response_model=UploadTicket)
def generate_upload_url(body: UploadUrlRequest, uploads: Uploads,
                        request: Request) -> UploadTicket:
    """generate-upload-url: a signed, expiring URL bound to store, date and content type."""
    principal = principal_of(request)
    if principal.role == "store" and body.store_id not in principal.store_ids:
        raise AccessDenied("store", f"upload for store {body.store_id}")
    return uploads.generate_upload_url(body.store_id, body.business_date, body.content_type)


@router.put("/uploads/{store_id}/{business_date}", response_model=UploadResult,
            responses={422: {"model": UploadResult}})
async def upload(request: Request, store_id: str, business_date: date, uploads: Uploads,
                 content_type: Annotated[str, Query()], expires: Annotated[int, Query()],
                 signature: Annotated[str, Query()]) -> JSONResponse:
    """process-upload: accept the file at a signed URL; 422 with reasons when rejected."""
    uploads.verify_upload(store_id, business_date, content_type, expires, signature)
    body = await request.body()
    result = uploads.process_upload(store_id, business_date, body,
                                    f"store_{store_id}.csv")
    status = 200 if result.status == "processed" else 422
    return JSONResponse(status_code=status, content=result.model_dump(mode="json"))


@router.get("/stores-status", response_model=StoreCheck)
def stores_status(business_date: date, uploads: Uploads) -> StoreCheck:
    """check-all-stores: which expected stores have reported for a date."""
    return uploads.check_all_stores(business_date)
