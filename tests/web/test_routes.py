"""The dashboard's HTTP side in process: the shell, its assets, offline and safety guarantees."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from waymark.web.preferences import problem_page
from waymark.web.routes import CONTENT_SECURITY_POLICY, STATIC_DIR

OUR_FILES = [
    p
    for p in STATIC_DIR.rglob("*")
    if p.is_file() and "vendor" not in p.relative_to(STATIC_DIR).parts
]
JS_FILES = [p for p in OUR_FILES if p.suffix == ".js"]
IMPORT = re.compile(r"""(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}/[^"']+)["']""")
ASSET = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")


def test_the_shell_is_served_at_the_root_with_security_headers(web_client: TestClient) -> None:
    r = web_client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert '<script type="module" src="/static/js/app.js">' in r.text
    assert '<html lang="en">' in r.text


def test_every_asset_the_shell_names_is_served(web_client: TestClient) -> None:
    html = web_client.get("/").text
    charts = (STATIC_DIR / "js" / "charts.js").read_text()
    # ECharts is loaded by charts.js on the first chart, not by the shell
    assets = [*ASSET.findall(html), *re.findall(r'"(/static/vendor/[^"]+)"', charts)]
    assert "/static/vendor/echarts/echarts.min.js" in assets
    assert "/static/favicon.svg" in assets  # else the browser asks /favicon.ico and logs a 404
    kinds = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for asset in assets:
        r = web_client.get(asset)
        assert r.status_code == 200, asset
        assert r.headers["content-type"].startswith(kinds[Path(asset).suffix]), asset
        assert r.headers["cache-control"] == "no-cache"
        assert r.headers["x-content-type-options"] == "nosniff"


def test_a_missing_asset_is_a_json_404(web_client: TestClient) -> None:
    r = web_client.get("/static/js/nope.js")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_every_module_import_resolves_to_a_file() -> None:
    """The module graph is closed: a typo in an import would only show in the browser."""
    seen = 0
    for js in JS_FILES:
        for target in IMPORT.findall(js.read_text()):
            resolved = (js.parent / target).resolve()
            assert resolved.is_file(), f"{js.relative_to(STATIC_DIR)} imports missing {target}"
            assert STATIC_DIR.resolve() in resolved.parents
            seen += 1
    assert seen > 10


def test_no_asset_of_ours_reaches_outside_the_server() -> None:
    """Works offline: no CDN, no web font, no external script (the SVG namespace is a name)."""
    for path in OUR_FILES:
        text = path.read_text()
        urls = re.findall(r"https?://[^\s\"')]+", text)
        assert [u for u in urls if u != "http://www.w3.org/2000/svg"] == [], path


def test_api_data_never_goes_in_as_html() -> None:
    """Pages build DOM with textContent and attributes only, so traits cannot inject markup."""
    for js in JS_FILES:
        text = js.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, f"{js.relative_to(STATIC_DIR)} uses {sink}"


def test_the_admin_token_lives_in_session_storage_only() -> None:
    api = (STATIC_DIR / "js" / "api.js").read_text()
    assert "sessionStorage" in api
    for js in JS_FILES:
        text = js.read_text()
        assert "localStorage" not in text, js
        assert "document.cookie" not in text, js


def test_vendored_echarts_carries_its_licence_and_checksum() -> None:
    vendor = STATIC_DIR / "vendor" / "echarts"
    assert "Apache License" in (vendor / "LICENSE").read_text()
    assert "Apache ECharts" in (vendor / "NOTICE").read_text()
    version = (vendor / "VERSION").read_text()
    match = re.search(r"sha256\s+([0-9a-f]{64})\s+echarts\.min\.js", version)
    assert match, version
    assert hashlib.sha256((vendor / "echarts.min.js").read_bytes()).hexdigest() == match.group(1)


_segment = st.sampled_from(["..", "%2e%2e", ".", "js", "css", "app.js", "routes.py", "__init__.py"])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_segment | st.text(min_size=1, max_size=8), min_size=1, max_size=5))
def test_static_paths_never_escape_the_asset_folder(
    web_client: TestClient, segments: list[str]
) -> None:
    path = "/static/" + "/".join(s if s == "%2e%2e" else quote(s, safe=".") for s in segments)
    r = web_client.get(path)
    if r.status_code == 200:
        served = r.content
        inside = [p for p in STATIC_DIR.rglob("*") if p.is_file() and p.read_bytes() == served]
        assert inside, path
    else:
        assert r.status_code in (404, 405), (path, r.status_code)
    assert b"from starlette" not in r.content


CSS_DIR = STATIC_DIR / "css"
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\(")
DECLARED = re.compile(r"(--[\w-]+)\s*:\s*([^;]+);")
USED = re.compile(r"var\((--[\w-]+)\)")


def test_colour_variables_are_declared_once_in_the_theme(web_client: TestClient) -> None:
    """The dashboard and the preference page share theme.css's colours: neither stylesheet
    declares a colour variable of its own, each uses only variables the theme (or the file
    itself) declares, and both pages link the theme before their own sheet."""
    theme = dict(DECLARED.findall((CSS_DIR / "theme.css").read_text()))
    assert {"--text", "--bg", "--accent", "--accent-strong", "--focus"} <= set(theme)
    for name in ("app.css", "preferences.css"):
        css = (CSS_DIR / name).read_text()
        own = dict(DECLARED.findall(css))
        colours = {k: v for k, v in own.items() if COLOUR.search(v) and not k.endswith("shadow")}
        assert colours == {}, f"{name} declares colours the theme should hold"
        unknown = set(USED.findall(css)) - set(theme) - set(own)
        assert unknown == set(), f"{name} uses variables nobody declares"
    for page, own_sheet in (
        (web_client.get("/").text, "/static/css/app.css"),
        (problem_page("expired")[1], "/static/css/preferences.css"),
    ):
        sheets = [a for a in ASSET.findall(page) if a.endswith(".css")]
        assert sheets == ["/static/css/theme.css", own_sheet]
        assert web_client.get(sheets[0]).status_code == 200
