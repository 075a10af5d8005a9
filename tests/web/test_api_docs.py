"""/docs works under the Content-Security-Policy and without internet: every script and style it
loads comes from this server and answers, and there is no inline script for the CSP to block."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def _csp(header: str) -> dict[str, set[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = set(words[1:])
    return out


def test_docs_load_only_same_origin_assets_the_csp_allows(app):
    client = TestClient(app)
    r = client.get("/docs")
    assert r.status_code == 200 and "swagger-ui" in r.text
    policy = _csp(r.headers["content-security-policy"])
    assets = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', r.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for url in assets:
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not served by this server"
        answer = client.get(url)
        assert answer.status_code == 200 and answer.content, url
    # Scripts and styles from 'self' only, and no inline script (the CSP would block it).
    assert policy["script-src"] == {"'self'"} and policy["style-src"] == {"'self'"}
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", r.text) == []
    # The page finds the API description it names.
    openapi = re.search(r'data-openapi-url="([^"]+)"', r.text).group(1)
    assert client.get(openapi).json()["info"]["title"] == app.title


def test_no_page_of_the_docs_reaches_a_cdn(app):
    client = TestClient(app)
    assert "cdn" not in client.get("/docs").text
    assert client.get("/redoc").status_code == 404  # ReDoc needs a CDN and inline styles: not served
