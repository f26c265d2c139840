"""``waymark serve`` with the dashboard routes, for the browser tests.

The dashboard's routes module is ready, but ``waymark.api.app`` cannot list it in
``ROUTE_MODULES`` while import-linter keeps ``waymark.api | waymark.web`` independent. Until the
lead registers it, this launcher runs the real ``serve`` command with ``create_app`` wrapped to
add the dashboard routes; once ``/`` is served by the app itself it adds nothing.

    python -m tests.web._serve serve --port 8420 --data DIR --quiet
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

import waymark.cli.serve as serve_command
from waymark.api.app import create_app
from waymark.cli.main import main
from waymark.runtime.services import Services
from waymark.web.routes import routes


def serves_dashboard(app: Starlette) -> bool:
    return any(isinstance(r, Route) and r.path == "/" for r in app.routes)


def create_app_with_dashboard(services: Services) -> Starlette:
    app = create_app(services)
    if not serves_dashboard(app):
        app.router.routes.extend(routes())
    return app


if __name__ == "__main__":
    serve_command.create_app = create_app_with_dashboard  # type: ignore[attr-defined]
    main()
