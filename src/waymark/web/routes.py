"""The dashboard: one HTML shell at ``/`` and its assets under ``/static/``.

Everything the dashboard shows comes from the JSON admin API, called from the browser with the
admin token as a bearer header; this module serves only files from the package, so the
dashboard works offline and needs no build step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR: Final = Path(__file__).parent / "static"

# Everything is same-origin. Styles allow 'unsafe-inline' only because ECharts writes its
# tooltips as HTML with style attributes; scripts never run inline.
CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # revalidate every time (cheap: ETag/304), so an upgraded server never runs stale modules
    "Cache-Control": "no-cache",
}


class _Assets(StaticFiles):
    """Package files with the dashboard's security and caching headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


def routes(static_dir: Path = STATIC_DIR) -> list[BaseRoute]:
    """The dashboard shell at ``/`` and its assets under ``/static/``."""
    shell = (static_dir / "index.html").read_bytes()

    async def dashboard(request: Request) -> Response:
        return Response(shell, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)

    return [
        Route("/", dashboard, methods=["GET", "HEAD"], name="dashboard"),
        Mount("/static", app=_Assets(directory=static_dir), name="static"),
    ]
