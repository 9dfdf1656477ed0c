"""The dashboard: one static page, its script and stylesheet, and the charting library (chart.js,
installed from the npm registry by `make install`; no build step). The page holds no data: it asks
the stats, alerts and dead-letter APIs with the admin token it is given, so the same checks guard
it as every other operation."""

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

HERE = Path(__file__).resolve().parents[2] / "dashboard"
ASSETS = {
    "dashboard.js": (HERE / "dashboard.js", "text/javascript"),
    "dashboard.css": (HERE / "dashboard.css", "text/css"),
    "chart.umd.min.js": (HERE / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js", "text/javascript"),
}
# Scripts and styles from this origin only: nothing inline, nothing fetched elsewhere.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter(tags=["dashboard"])


@router.get("/dashboard", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(HERE / "index.html", media_type="text/html", headers=HEADERS)


@router.get("/dashboard/assets/{name}", include_in_schema=False)
async def asset(name: str) -> FileResponse:
    found = ASSETS.get(name)
    if found is None or not found[0].exists():
        raise HTTPException(404, f"no asset {name!r}" + (" (run `make install`)" if found else ""))
    return FileResponse(found[0], media_type=found[1], headers=HEADERS)
