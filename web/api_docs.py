"""The API documentation at /docs: Swagger UI served from this server (the swagger-ui-bundle-v2
package), so it works on an office LAN without internet and under the Content-Security-Policy
(FastAPI's own page loads its scripts from a CDN and starts them with an inline script, which
``script-src 'self'`` blocks: the page stayed blank). The start-up code is a file of ours."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/static/swagger-ui"

_PAGE = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{title}} · 接口文档</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png"></head>
<body><div id="swagger-ui" data-openapi-url="{{openapi_url}}"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body></html>"""


def install(app: FastAPI) -> None:
    """Mount the Swagger UI files and serve /docs; the app is created with ``docs_url=None``."""
    import html

    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")
    body = _PAGE.format(title=html.escape(app.title), openapi_url=html.escape(app.openapi_url or "/openapi.json"))

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(body)
