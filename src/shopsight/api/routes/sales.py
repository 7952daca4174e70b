"""The sales platform's upload endpoints (seed 004, Phase 1)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from shopsight.api.auth import principal_of
from shopsight.errors import AccessDenied
from shopsight.pipeline.uploads import StoreCheck, StoreUploads, UploadResult, UploadTicket
from shopsight.pipeline.workflow import RunResult
from shopsight.systems.sales.access import (
    AnalyticsResponse,
    DownloadTicket,
    FilePage,
    SalesData,
)
from shopsight.systems.sales.daily_analysis import DailyAnalysis, ReportListing
from shopsight.systems.sales.insights import ChangeLine, DailyInsights, DriverLine

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
    if result.status == "processed":  # check-all-stores: the last store starts the analysis
        request.app.state.daily_triggers.after_upload(result)
    status = 200 if result.status == "processed" else 422
    return JSONResponse(status_code=status, content=result.model_dump(mode="json"))


@router.get("/stores-status", response_model=StoreCheck)
def stores_status(business_date: date, uploads: Uploads) -> StoreCheck:
    """check-all-stores: which expected stores have reported for a date."""
    return uploads.check_all_stores(business_date)


def get_sales_data(request: Request) -> SalesData:
    data: SalesData = request.app.state.sales_data
    return data


Data = Annotated[SalesData, Depends(get_sales_data)]


def _own_stores(request: Request) -> list[str] | None:
    """Store keys are limited to their stores; other roles see everything."""
    principal = principal_of(request)
    return principal.store_ids if principal.role == "store" else None


@router.get("/files", response_model=FilePage)
def list_files(request: Request, data: Data, prefix: str = "",
               date_from: date | None = None, date_to: date | None = None,
               page: Annotated[int, Query(ge=1)] = 1,
               page_size: Annotated[int, Query(ge=1, le=500)] = 50) -> FilePage:
    """list-files: uploads, processed and rejected files, reports and exports, paged."""
    return data.list_files(prefix, date_from, date_to, page, page_size, _own_stores(request))


class DownloadUrlRequest(BaseModel):
    """Which file to download."""

    key: str = Field(description="A key from /sales/files.")


@router.post("/download-url", response_model=DownloadTicket)
def generate_download_url(body: DownloadUrlRequest, request: Request,
                          data: Data) -> DownloadTicket:
    """generate-download-url: a signed, expiring URL for one file."""
    return data.generate_download_url(body.key, _own_stores(request))


@router.get("/download")
def download(data: Data, key: str, expires: int, signature: str) -> Response:
    """Serve a file at a signed URL (no key needed, the signature authorises)."""
    body = data.read_signed(key, expires, signature)
    media = "text/csv" if key.endswith(".csv") else (
        "text/html" if key.endswith(".html") else "application/octet-stream")
    return Response(content=body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{key.rsplit("/", 1)[-1]}"'})


@router.get("/analytics", response_model=AnalyticsResponse)
def analytics(data: Data, start: date, end: date, store_id: str | None = None,
              level: Literal["store", "company"] = "store") -> AnalyticsResponse:
    """get-analytics: daily metrics per store or for the company over a date range."""
    return data.analytics(start, end, store_id, level)


def get_analysis(request: Request) -> DailyAnalysis:
    analysis: DailyAnalysis = request.app.state.daily_analysis
    return analysis


Analysis = Annotated[DailyAnalysis, Depends(get_analysis)]


@router.get("/reports", response_model=list[ReportListing])
def reports(analysis: Analysis, limit: Annotated[int, Query(ge=1, le=366)] = 60
            ) -> list[ReportListing]:
    """The daily reports archive, newest first."""
    return analysis.reports(limit)


@router.get("/reports/{business_date}", response_model=DailyInsights)
def report(business_date: date, analysis: Analysis) -> DailyInsights:
    """A day's insights: KPIs, changes, stores, products, anomalies, drivers, actions."""
    return analysis.report(business_date)


@router.get("/reports/{business_date}/html", response_class=HTMLResponse)
def report_html(business_date: date, analysis: Analysis) -> HTMLResponse:
    """The day's report as a self-contained HTML page."""
    return HTMLResponse(analysis.report_html(business_date))


class TrendsResponse(BaseModel):
    """Changes and what drove them, for one business date."""

    business_date: date
    changes: list[ChangeLine]
    drivers: list[DriverLine]


@router.get("/trends", response_model=TrendsResponse)
def trends(analysis: Analysis, business_date: date) -> TrendsResponse:
    """get-trends: the day's changes (day/week/month/year over year) and their drivers."""
    insights = analysis.report(business_date)
    return TrendsResponse(business_date=business_date, changes=insights.changes,
                          drivers=insights.drivers)


@router.post("/analysis/{business_date}", response_model=RunResult)
def run_analysis(business_date: date, analysis: Analysis, force: bool = False) -> RunResult:
    """Run the daily analysis for a date now (admin); ``force`` repeats a finished run."""
    check = analysis.uploads.check_all_stores(business_date)
    return analysis.run(business_date, "manual", check.missing, force=force)
