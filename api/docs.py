"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), served with the
vendored copies under api/static/vendor/ (swagger-ui/, redoc/): the intranet the system
runs on often reaches no CDN, and FastAPI's own pages load both from jsDelivr.

The app is built with `docs_url=None, redoc_url=None` (api/app.py), so FastAPI's own
CDN-backed pages never exist; these answer instead.
"""

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

DOCS = "/docs"
REDOC = "/redoc"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
VENDOR = "/static/vendor"
FAVICON = "/static/favicon.svg"
TITLE = "gridgov 接口文档"
# Sources a page needs beyond the common policy (api/headers.py reads this). ReDoc writes
# its styles at run time (styled-components) and fails without inline styles; its search
# runs in a worker it makes from a blob. Scripts stay strict; the page shows only the
# app's own OpenAPI document.
RELAXED = {REDOC: {"style-src": ("'unsafe-inline'",), "worker-src": ("blob:",)}}


@router.get(DOCS, response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over the app's OpenAPI document, every asset from /static."""
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url, title=TITLE,
        swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=FAVICON, oauth2_redirect_url=OAUTH2_REDIRECT,
        # Swagger UI would post the document to swagger.io to validate it.
        swagger_ui_parameters={"validatorUrl": None})


@router.get(OAUTH2_REDIRECT, response_class=HTMLResponse)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(REDOC, response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over the same document; no web fonts (they would come from Google)."""
    return get_redoc_html(openapi_url=request.app.openapi_url, title=TITLE,
                          redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
                          redoc_favicon_url=FAVICON, with_google_fonts=False)


