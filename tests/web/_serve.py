"""``waymark serve`` as the browser tests start it:

    python -m tests.web._serve serve --port 8420 --data DIR --quiet

The app serves the dashboard itself (``waymark.api.app`` lists ``waymark.web.routes`` in
``ROUTE_MODULES``), so this runs the real ``serve`` command and the real app. The wrapper
``create_app_with_dashboard`` (also what ``conftest.web_client`` builds) adds the dashboard's
routes only to an app that does not serve ``/``; with the routes registered it adds nothing.
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
