"""An upload over the limit is answered in Chinese — a page for a browser form, JSON for the API —
whether the length is declared or the body arrives in chunks (finding 8 of issue 19). The test
app's limit is 2 MB (+64 KB for the form's other fields)."""

from __future__ import annotations

import json

BOUNDARY = "----handover-test-boundary"
TOO_BIG = 3 * 1024 * 1024


def _form_body(size: int, csrf: str) -> list[bytes]:
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"名册.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    chunk = b"a,b\n" * 16384
    return [head] + [chunk] * (size // len(chunk)) + [f"\r\n--{BOUNDARY}--\r\n".encode()]


def _post(api, url: str, parts: list[bytes], *, chunked: bool, html: bool):
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}",
               "accept": "text/html,application/xhtml+xml" if html else "application/json",
               "referer": "http://testserver/roster"}
    content = iter(parts) if chunked else b"".join(parts)  # an iterator is sent chunked, without a length
    return api.post(url, content=content, headers=headers)


def test_a_browser_form_over_the_limit_gets_a_chinese_page(as_user):
    ent = as_user("ent_a")
    for chunked in (True, False):
        r = _post(ent, "/roster/upload", _form_body(TOO_BIG, ent.csrf), chunked=chunked, html=True)
        assert r.status_code == 413, (chunked, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("text/html")
        assert "上传文件过大" in r.text and "2 MB" in r.text and 'href="/roster"' in r.text
        assert "error parsing" not in r.text


def test_the_api_over_the_limit_gets_chinese_json(as_user):
    ent = as_user("ent_a")
    for chunked in (True, False):
        r = _post(ent, "/api/roster/uploads", _form_body(TOO_BIG, ent.csrf), chunked=chunked, html=False)
        assert r.status_code == 413, (chunked, r.status_code, r.text[:200])
        assert json.loads(r.text)["detail"] == "上传文件过大：不能超过2 MB"


def test_the_way_back_never_leaves_the_site(as_user):
    ent = as_user("ent_a")
    parts = _form_body(TOO_BIG, ent.csrf)
    r = ent.post("/roster/upload", content=b"".join(parts),
                 headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}", "accept": "text/html",
                          "referer": "http://evil.example/phish"})
    assert r.status_code == 413 and 'href="/"' in r.text and "evil" not in r.text


def test_an_upload_within_the_limit_still_works(as_user):
    ent = as_user("ent_a")
    r = _post(ent, "/api/roster/uploads", _form_body(64 * 1024, ent.csrf), chunked=True, html=False)
    assert r.status_code in (201, 400), r.text  # checked as a roster, not refused for its size
    assert "过大" not in r.text
