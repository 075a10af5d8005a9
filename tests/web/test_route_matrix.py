"""Every route × every role × own and other scope, against an explicit table of what each role may
use (issue 19). Allowed: 2xx/3xx (or the one status a route is documented to answer on its merits
in MERITS). Not allowed: 403 for the role; another community's or enterprise's id: 404, exactly
like an id that does not exist, so ids cannot be enumerated. No answer to a community clerk or an
enterprise clerk carries the other scope's names, ID numbers or 档号.

The routes are read from the application (the OpenAPI document and every route, the pages that are
left out of it included): a new route fails `test_every_route_is_in_the_table` until it is added to
ROUTES (how to call it) and to ALLOWED (who may)."""

from __future__ import annotations

import copy
import dataclasses
import html
import io
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from handover import config, idnumber
from handover.db import engine_for, session_scope
from handover.roster.writer import write_xlsx

from tests.conftest import use_database

from .conftest import (ERQI, JINSHUI, PASSWORD, PROFILE, _person, add_three_admins, seed_copy, seed_database,
                       sign_in)

# ---------------------------------------------------------------- who may use what

ADMIN, ARCHIVE, COMMUNITY, ENTERPRISE = "admin", "archive_staff", "community_staff", "enterprise"
SYSADMIN, SECADMIN, AUDITOR = "sysadmin", "secadmin", "auditor"  # 三员分立 (web.admin_duties)
PRINCIPALS = {ADMIN: "admin", ARCHIVE: "archivist", COMMUNITY: "comm_a", ENTERPRISE: "ent_a",
              SYSADMIN: "sysadmin", SECADMIN: "secadmin", AUDITOR: "auditor"}

# Open to anyone (the sign-in pages and the API description), so to every role.
PUBLIC = {"GET /login", "POST /login", "POST /api/session", "GET /openapi.json", "GET /docs"}
# Every signed-in user: the home page, who am I, sign-out, one's own password.
SIGNED_IN = PUBLIC | {
    "GET /", "GET /api/session", "DELETE /api/session", "POST /logout", "GET /account/password",
    "POST /account/password", "POST /api/session/password"}
# Staff (admin, archive, community): search, dossiers in scope, catalogs, 查阅/外借 requests.
STAFF = SIGNED_IN | {
    "GET /search", "GET /api/search", "GET /api/communities", "GET /dossiers/{volume_id}",
    "GET /dossiers/{volume_id}/pages/{seq}/image", "GET /dossiers/{volume_id}/volume.pdf",
    "GET /api/dossiers/{volume_id}", "GET /catalogs", "GET /api/catalogs", "GET /catalogs/{community_id}.xlsx",
    "GET /catalogs.xlsx",
    "GET /dossiers/{volume_id}/contents.{fmt}", "GET /requests", "POST /dossiers/{volume_id}/requests",
    "POST /requests/{request_id}/{action}", "GET /api/requests", "POST /api/dossiers/{volume_id}/requests",
    "POST /api/requests/{request_id}/{action}", "GET /dossiers/{volume_id}/review/{key}/crop"}
# Archive staff: intake, 校对, 卷内目录 corrections, acceptance, 退回, withdrawn list, check documents.
ARCHIVE_WORK = STAFF | {
    "POST /dossiers/{volume_id}/accept", "POST /api/dossiers/{volume_id}/accept",
    "POST /dossiers/{volume_id}/withdraw", "POST /api/dossiers/{volume_id}/withdraw", "GET /api/withdrawn",
    "GET /dossiers/{volume_id}/check/{kind}.docx", "GET /dossiers/{volume_id}/contents/{material_id}",
    "POST /dossiers/{volume_id}/contents/{material_id}", "PUT /api/dossiers/{volume_id}/contents/{material_id}",
    "GET /intake", "POST /intake", "POST /intake/batch", "POST /intake/folder", "GET /intake/{token}",
    "POST /intake/{token}/requeue", "POST /api/intake", "POST /api/intake/batch", "GET /api/intake/folders", "GET /api/intake/held",
    "POST /api/intake/folder", "GET /api/intake/{token}", "POST /api/intake/{token}/requeue/{dossier_id}",
    "GET /review", "GET /dossiers/{volume_id}/review", "POST /dossiers/{volume_id}/review/waive",
    "POST /dossiers/{volume_id}/review/{key}", "GET /api/review", "GET /api/dossiers/{volume_id}/review",
    "POST /api/dossiers/{volume_id}/review/waive", "PUT /api/dossiers/{volume_id}/review/{key}",
    "GET /reconcile", "GET /api/reconcile", "GET /reconcile/receipts/{receipt_id}", "POST /reconcile/receipts",
    "GET /requests/register", "GET /requests/register.xlsx", "GET /requests/register.pdf",  # 档案利用登记簿
    "GET /requests/register.docx", "GET /api/requests/register",
    "POST /api/reconcile/receipts",
    # 数字化成果验收 (vendors' DA/T 31 packages)
    "GET /acceptance", "POST /acceptance", "GET /acceptance/{acceptance_id}",
    "GET /acceptance/{acceptance_id}/volumes/{n}", "GET /acceptance/{acceptance_id}/volumes/{n}/images/{serial}",
    "POST /acceptance/{acceptance_id}/volumes/{n}", "POST /acceptance/{acceptance_id}/conclude",
    "POST /acceptance/{acceptance_id}/recheck",
    "GET /acceptance/{acceptance_id}/opinion.{fmt}", "GET /api/acceptance", "POST /api/acceptance",
    "GET /api/acceptance/{acceptance_id}", "PUT /api/acceptance/{acceptance_id}/marks",
    "POST /api/acceptance/{acceptance_id}/conclude"}
# The administrator duties (三员分立): the list of users serves both the accounts and the grants.
USER_LIST = {"GET /admin/users", "GET /api/users"}
ACCOUNTS = USER_LIST | {
    "POST /admin/users", "POST /admin/users/{username}/active", "POST /admin/users/{username}/password",
    "POST /admin/users/{username}/sessions/end", "POST /api/users", "POST /api/users/{username}/disable",
    "POST /api/users/{username}/enable", "POST /api/users/{username}/password", "DELETE /api/users/{username}/sessions",
    "GET /admin/communities", "POST /admin/communities", "GET /api/communities/pending",
    "POST /api/communities/confirm", "POST /api/communities/reject"}
GRANTS = USER_LIST | {"POST /admin/users/{username}/role", "PUT /api/users/{username}/role"}
AUDIT = {"GET /admin/audit.xlsx", "GET /admin/audit", "GET /api/audit"}
# Here the three are set up (the separation is in force): ``admin`` keeps its archive work only.
# In single-admin mode it holds every duty (ALLOWED_SINGLE_ADMIN).
ALLOWED: dict[str, set[str]] = {
    ADMIN: ARCHIVE_WORK,
    SYSADMIN: SIGNED_IN | ACCOUNTS,
    SECADMIN: SIGNED_IN | GRANTS,
    AUDITOR: SIGNED_IN | AUDIT,
    ARCHIVE: ARCHIVE_WORK,
    COMMUNITY: STAFF,
    ENTERPRISE: SIGNED_IN | {
        "GET /roster", "POST /roster/upload", "GET /roster/uploads/{token}", "POST /roster/uploads/{token}/import",
        "GET /roster/uploads/{token}/report.xlsx", "GET /roster/summary", "GET /roster/summary.xlsx", "POST /api/roster/uploads",
        "GET /api/roster/uploads/{token}", "POST /api/roster/uploads/{token}/import", "GET /api/roster/summary",
        "GET /documents", "POST /documents/generate", "GET /documents/{token}/bundle.zip",
        "GET /documents/{token}/files/{index}", "POST /api/documents", "GET /api/documents/{token}",
        "GET /reconcile", "GET /api/reconcile"},
}

ALLOWED_SINGLE_ADMIN = ARCHIVE_WORK | ACCOUNTS | GRANTS | AUDIT

# Path parameters that name something of one community (for community staff) or of one
# enterprise (for its clerks): with the other scope's id they must answer 404.
SCOPED_PARAMS = {COMMUNITY: {"volume_id", "community_id", "request_id"}, ENTERPRISE: {"token"}}

# ---------------------------------------------------------------- how to call each route


@dataclass
class Ctx:
    """What the requests of one run are made of: the ids of the scope in use, and the state that
    changes on the way (the principal's password, names used)."""

    ids: dict
    files: Path
    password: str = PASSWORD
    serial: int = 0

    def unique(self, stem: str) -> str:
        self.serial += 1
        return f"{stem}{self.serial}"


def _roster_file(ctx: Ctx):
    return {"files": {"file": ("名册.xlsx", (ctx.files / "roster_a1.xlsx").read_bytes(),
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}}


def _new_password(ctx: Ctx) -> str:
    return "Matrix-Kennwort-1" if ctx.password != "Matrix-Kennwort-1" else "Matrix-Kennwort-2"


def _change_password_form(ctx: Ctx):
    new = _new_password(ctx)
    kw = {"data": {"current_password": ctx.password, "new_password": new, "confirm_password": new, "next": "/"}}
    ctx.password = new
    return kw


def _change_password_api(ctx: Ctx):
    new = _new_password(ctx)
    kw = {"json": {"current_password": ctx.password, "new_password": new}}
    ctx.password = new
    return kw


def _receipt_upload(ctx: Ctx):
    """The signed 档案移交名册表 of a street of enterprise B (the one with an imported roster)."""
    county, street = ctx.ids["receipt_street"]
    return {"data": {"enterprise_id": str(ctx.ids["receipt_enterprise"]), "county": county, "street": street},
            "files": {"file": ("档案移交名册表.pdf", (ctx.files / "receipt.pdf").read_bytes(), "application/pdf")}}


def _not_a_scan(name: str):
    return (name, b"not an image", "image/jpeg")


@dataclass(frozen=True)
class Call:
    """How a route is called: which id fills each path parameter (a key of the scope's ids, or a
    literal), the request's body or query, and when in the run (0 reads, 1 changes, 2 changes
    that spend a target — withdraws —, 3 sign-in and sign-out, each followed by a fresh session)."""

    params: dict = field(default_factory=dict)
    body: Callable[[Ctx], dict] | dict = field(default_factory=dict)
    phase: int = 1


GET = Call(phase=0)
ROUTES: dict[str, Call] = {
    "GET /openapi.json": GET, "GET /docs": GET, "GET /login": GET,
    "POST /login": Call(body=lambda c: {"data": {"username": c.ids["me"], "password": c.password, "next": "/"}},
                        phase=3),
    "POST /logout": Call(phase=3),
    "GET /account/password": GET,
    "POST /account/password": Call(body=_change_password_form, phase=3),
    "POST /api/session": Call(body=lambda c: {"json": {"username": c.ids["me"], "password": c.password}}, phase=3),
    "GET /api/session": GET,
    "DELETE /api/session": Call(phase=3),
    "POST /api/session/password": Call(body=_change_password_api, phase=3),
    "GET /": GET,
    # users (admin)
    "GET /admin/users": GET,
    "POST /admin/users": Call(body=lambda c: {"data": {"username": c.unique("matrix_form_"), "password": PASSWORD,
                                                       "role": "archive_staff"}}),
    "POST /admin/users/{username}/active": Call(body={"data": {"active": "0"}}),
    "POST /admin/users/{username}/password": Call(body={"data": {"password": "Reset-Kennwort-7"}}),
    "POST /admin/users/{username}/sessions/end": Call(),
    "POST /admin/users/{username}/role": Call(body=lambda c: {"data": {"role": "community_staff",
                                                                       "community_id": str(c.ids["community"])}}),
    "GET /admin/audit.xlsx": GET, "GET /admin/audit": GET, "GET /api/users": GET,
    "POST /api/users": Call(body=lambda c: {"json": {"username": c.unique("matrix_api_"), "password": PASSWORD,
                                                     "role": "archive_staff"}}),
    "POST /api/users/{username}/disable": Call(),
    "POST /api/users/{username}/enable": Call(),
    "POST /api/users/{username}/password": Call(body={"json": {"password": "Reset-Kennwort-8"}}),
    "DELETE /api/users/{username}/sessions": Call(),
    "PUT /api/users/{username}/role": Call(body=lambda c: {"json": {"role": "community_staff",
                                                                    "community_id": c.ids["community"]}}),
    "GET /api/audit": GET,
    # 社区名录 (admin): each decision on a name of its own (a name is decided once)
    "GET /admin/communities": GET, "GET /api/communities/pending": GET,
    "POST /admin/communities": Call(body={"data": {"action": "confirm", "county": "金水区", "street": "经八路街道",
                                                   "name": "矩阵表单社区"}}),
    "POST /api/communities/confirm": Call(body={"json": {"county": "金水区", "street": "经八路街道",
                                                         "name": "矩阵接口社区"}}),
    "POST /api/communities/reject": Call(body={"json": {"county": "金水区", "street": "经八路街道",
                                                        "name": "矩阵驳回社区", "reason": "名称有误"}}),
    # 档案接收核对 (archive; the enterprise its own) and the signed receipt of a street
    "GET /reconcile": GET,
    "GET /api/reconcile": Call(body=lambda c: {"params": {"enterprise_id": c.ids["enterprise"]}}, phase=0),
    "GET /reconcile/receipts/{receipt_id}": Call(params={"receipt_id": "receipt"}, phase=0),
    "POST /reconcile/receipts": Call(body=_receipt_upload),
    "POST /api/reconcile/receipts": Call(body=_receipt_upload),
    # roster (enterprise)
    "GET /roster": GET, "GET /roster/summary": GET, "GET /roster/summary.xlsx": GET, "GET /api/roster/summary": GET,
    "POST /roster/upload": Call(body=_roster_file),
    "POST /api/roster/uploads": Call(body=_roster_file),
    "GET /roster/uploads/{token}": Call(params={"token": "upload_form"}, phase=0),
    "GET /roster/uploads/{token}/report.xlsx": Call(params={"token": "upload_form"}, phase=0),
    "GET /api/roster/uploads/{token}": Call(params={"token": "upload_api"}, phase=0),
    "POST /roster/uploads/{token}/import": Call(params={"token": "upload_form"}, body={"data": {"mode": "all"}}),
    "POST /api/roster/uploads/{token}/import": Call(params={"token": "upload_api"}, body={"json": {"mode": "all"}}),
    # documents (enterprise)
    "GET /documents": GET,
    "POST /documents/generate": Call(phase=0),  # before the imports: see MERITS
    "POST /api/documents": Call(phase=0),
    "GET /documents/{token}/bundle.zip": Call(params={"token": "bundle"}, phase=0),
    "GET /documents/{token}/files/{index}": Call(params={"token": "bundle", "index": 0}, phase=0),
    "GET /api/documents/{token}": Call(params={"token": "bundle"}, phase=0),
    # search, dossiers, catalogs
    "GET /search": Call(body={"params": {"q": "退休"}}, phase=0),
    "GET /api/search": Call(body={"params": {"q": "退休"}}, phase=0),
    "GET /api/communities": GET,
    "GET /dossiers/{volume_id}": Call(params={"volume_id": "volume"}, phase=0),
    "GET /dossiers/{volume_id}/pages/{seq}/image": Call(params={"volume_id": "volume", "seq": 1}, phase=0),
    "GET /dossiers/{volume_id}/volume.pdf": Call(params={"volume_id": "volume"}, phase=0),
    "GET /api/dossiers/{volume_id}": Call(params={"volume_id": "volume"}, phase=0),
    "GET /catalogs": GET, "GET /catalogs.xlsx": GET, "GET /api/catalogs": GET, "GET /api/withdrawn": GET,
    "GET /catalogs/{community_id}.xlsx": Call(params={"community_id": "community"}, phase=0),
    "GET /dossiers/{volume_id}/check/{kind}.docx": Call(params={"volume_id": "incomplete", "kind": "statement"},
                                                         phase=0),
    "GET /dossiers/{volume_id}/contents.{fmt}": Call(params={"volume_id": "volume", "fmt": "docx"}, phase=0),
    "GET /dossiers/{volume_id}/contents/{material_id}": Call(params={"volume_id": "volume",
                                                                     "material_id": "material"}, phase=0),
    "POST /dossiers/{volume_id}/contents/{material_id}": Call(
        params={"volume_id": "volume", "material_id": "material"},
        body={"data": {"title": "职工登记表（更正）", "class_code": "一", "reason": "核对原件"}}),
    "PUT /api/dossiers/{volume_id}/contents/{material_id}": Call(
        params={"volume_id": "volume", "material_id": "material"},
        body={"json": {"title": "职工登记表（再更正）", "class_code": "一", "reason": "核对原件"}}),
    "POST /dossiers/{volume_id}/accept": Call(params={"volume_id": "incomplete"},
                                              body={"data": {"statement_ref": "企业说明〔2026〕1号"}}),
    "POST /api/dossiers/{volume_id}/accept": Call(params={"volume_id": "incomplete_2"},
                                                  body={"json": {"statement_ref": "企业说明〔2026〕2号"}}),
    "POST /dossiers/{volume_id}/withdraw": Call(params={"volume_id": "incomplete"},
                                                body={"data": {"reason": "缺少退休审批表"}}, phase=2),
    "POST /api/dossiers/{volume_id}/withdraw": Call(params={"volume_id": "incomplete_2"},
                                                    body={"json": {"reason": "缺少退休审批表"}}, phase=2),
    # 查阅/外借
    "GET /requests": GET, "GET /api/requests": GET,
    "POST /dossiers/{volume_id}/requests": Call(params={"volume_id": "volume"},
                                                body={"data": {"kind": "view", "reason": "核对待遇"}}),
    "POST /api/dossiers/{volume_id}/requests": Call(params={"volume_id": "volume"},
                                                    body={"json": {"kind": "view", "reason": "核对待遇"}}),
    "POST /requests/{request_id}/{action}": Call(params={"request_id": "request_form", "action": "cancel"}),
    "POST /api/requests/{request_id}/{action}": Call(params={"request_id": "request_api", "action": "cancel"},
                                                     body={"json": {}}),
    "GET /requests/register": GET, "GET /requests/register.xlsx": GET, "GET /requests/register.pdf": GET,
    "GET /requests/register.docx": GET, "GET /api/requests/register": GET,
    # intake (archive)
    "GET /intake": GET, "GET /api/intake/folders": GET, "GET /api/intake/held": GET,
    "GET /intake/{token}": Call(params={"token": "intake"}, phase=0),
    "GET /api/intake/{token}": Call(params={"token": "intake"}, phase=0),
    "POST /intake": Call(body={"data": {"id_number": "123"}, "files": [("files", _not_a_scan("1.jpg"))]}),
    "POST /api/intake": Call(body={"data": {"id_number": "123"}, "files": [("files", _not_a_scan("1.jpg"))]}),
    "POST /intake/batch": Call(body={"files": {"archive": ("batch.zip", b"not a zip", "application/zip")}}),
    "POST /api/intake/batch": Call(body={"files": {"archive": ("batch.zip", b"not a zip", "application/zip")}}),
    "POST /intake/folder": Call(body={"data": {"folder": "empty"}}),
    "POST /api/intake/folder": Call(body={"json": {"folder": "empty"}}),
    "POST /intake/{token}/requeue": Call(params={"token": "intake"}, body=lambda c: {"data": {
        "dossier_id": str(c.ids["dossier"])}}),
    "POST /api/intake/{token}/requeue/{dossier_id}": Call(params={"token": "intake", "dossier_id": "dossier"}),
    # 校对 (archive; the crops to staff who may read the images)
    "GET /review": GET, "GET /api/review": GET,
    "GET /dossiers/{volume_id}/review": Call(params={"volume_id": "review"}, phase=0),
    "GET /api/dossiers/{volume_id}/review": Call(params={"volume_id": "review"}, phase=0),
    "GET /dossiers/{volume_id}/review/{key}/crop": Call(params={"volume_id": "review", "key": "review_key"},
                                                        phase=0),
    "POST /dossiers/{volume_id}/review/{key}": Call(params={"volume_id": "review", "key": "formed_on:4"},
                                                   body={"data": {"value": "1956-07-01"}}),
    "PUT /api/dossiers/{volume_id}/review/{key}": Call(params={"volume_id": "review", "key": "title:5"},
                                                      body={"json": {"value": "退休审批表"}}),
    "POST /dossiers/{volume_id}/review/waive": Call(params={"volume_id": "review"},
                                                   body={"data": {"reason": "已与原件核对"}}),
    "POST /api/dossiers/{volume_id}/review/waive": Call(params={"volume_id": "review_2"},
                                                       body={"json": {"reason": "已与原件核对"}}),
    # 数字化成果验收: form routes on one open acceptance, API routes on another (each concluded once)
    "GET /acceptance": GET, "GET /api/acceptance": GET,
    "POST /acceptance": Call(body={"data": {"package": "验收包甲", "share": "5"}}),
    "POST /api/acceptance": Call(body={"json": {"package": "验收包乙"}}),
    "GET /acceptance/{acceptance_id}": Call(params={"acceptance_id": "acceptance"}, phase=0),
    "GET /acceptance/{acceptance_id}/volumes/{n}": Call(params={"acceptance_id": "acceptance", "n": 1}, phase=0),
    "GET /acceptance/{acceptance_id}/volumes/{n}/images/{serial}": Call(
        params={"acceptance_id": "acceptance", "n": 1, "serial": 1}, phase=0),
    "GET /acceptance/{acceptance_id}/opinion.{fmt}": Call(params={"acceptance_id": "acceptance", "fmt": "docx"},
                                                          phase=0),
    "GET /api/acceptance/{acceptance_id}": Call(params={"acceptance_id": "acceptance_2"}, phase=0),
    "POST /acceptance/{acceptance_id}/volumes/{n}": Call(
        params={"acceptance_id": "acceptance", "n": 1},
        body={"data": {"linkage": "pass", "image_quality": "pass", "naming": "pass", "catalogue": "pass"}}),
    "PUT /api/acceptance/{acceptance_id}/marks": Call(
        params={"acceptance_id": "acceptance_2"},
        body=lambda c: {"json": {"ref_no": c.ids["acceptance_2_ref"], "item": "linkage", "passed": True}}),
    "POST /acceptance/{acceptance_id}/conclude": Call(params={"acceptance_id": "acceptance"}, phase=2),
    "POST /acceptance/{acceptance_id}/recheck": Call(params={"acceptance_id": "acceptance"}),
    "POST /api/acceptance/{acceptance_id}/conclude": Call(params={"acceptance_id": "acceptance_2"},
                                                          body={"json": {}}, phase=2),
}

# Allowed routes whose request here is refused on its merits (after the role and scope checks),
# because a successful one would start real work the other tests cover.
MERITS = {
    "POST /documents/generate": (400, "ent_a has imported nobody yet; generating a bundle is test_documents'"),
    "POST /api/documents": (400, "as above"),
    "POST /intake": (400, "not a scan: a real one would start OCR (test_intake)"),
    "POST /api/intake": (400, "as above"),
    "POST /intake/batch": (415, "not a ZIP: a real one would start OCR (test_intake_batch)"),
    "POST /api/intake/batch": (415, "as above"),
    "POST /intake/folder": (400, "an empty scanning-room folder"),
    "POST /api/intake/folder": (400, "as above"),
    "POST /intake/{token}/requeue": (409, "the dossier is not in quarantine (test_intake_batch requeues)"),
    "POST /api/intake/{token}/requeue/{dossier_id}": (409, "as above"),
    "POST /acceptance": (409, "the package's acceptance is open (test_acceptance starts them)"),
    "POST /api/acceptance": (409, "as above"),
    "POST /acceptance/{acceptance_id}/recheck": (409, "its checks are done (test_acceptance restarts a stopped one)"),
}

# ---------------------------------------------------------------- the routes of the application

def app_routes(app) -> set[str]:
    """"METHOD /path" of every route: the OpenAPI document's and the pages left out of it."""
    found = set()
    for route in iter_route_contexts(app.routes):
        for method in route.methods or ():
            if method != "HEAD":
                found.add(f"{method} {route.path}")
    for path, operations in app.openapi()["paths"].items():
        found |= {f"{method.upper()} {path}" for method in operations}
    return found


def _missing_message(key: str) -> str:
    return (f"route {key} is not in the matrix: add it to ROUTES in tests/web/test_route_matrix.py "
            f"(which ids fill its path parameters, its body, its phase) and to ALLOWED of each role that may "
            f"use it ({', '.join(ALLOWED)}); a role not listing it must get 403, and an id of another "
            f"community or enterprise 404")


def test_every_route_is_in_the_table(app):
    routes = app_routes(app)
    assert "GET /admin/users" in routes and "GET /api/dossiers/{volume_id}" in routes  # the walk sees both kinds
    missing = sorted(routes - set(ROUTES))
    assert missing == [], "\n".join(_missing_message(k) for k in missing)
    assert sorted(set(ROUTES) - routes) == [], "ROUTES names routes the application no longer has"
    for role, allowed in ALLOWED.items():
        assert allowed <= set(ROUTES), (role, sorted(allowed - set(ROUTES)))
    assert set(MERITS) <= set(ROUTES)


# ---------------------------------------------------------------- the seeded scopes


@dataclass
class Matrix:
    """The seed of conftest plus, per scope: an approved request for the clerk, two pending ones,
    two incomplete volumes, a volume with open 校对 items, two roster uploads, a finished bundle."""

    root: Path
    scopes: dict  # "own" / "other" → ids
    secrets: dict  # role → strings no answer to that role's principal may contain


def _publish_incomplete(cfg, root: Path, name: str, n: int, area: str, dest) -> int:
    from archive_store.publish import publish_volume
    from completeness.check import check_volume
    from handover.policy import load_profile
    from tests.support.sample_volume import write_sample_volume

    folder = write_sample_volume(root / "src" / name, _person(name, n, area), seed=n, materials=3, check=None)
    check_volume(folder, None, load_profile(PROFILE), probe_images=False)
    return publish_volume(cfg, folder, dest, PROFILE, "入库员").volume_id


@pytest.fixture(scope="session")
def matrix_template(seed_template, tmp_path_factory, request) -> tuple[Path, dict, dict]:
    from archive_store import access
    from archive_store.publish import publish_volume
    from archive_store.tables import MaterialRow, VolumeRow
    from handover.config import Settings
    from web.app import create_app
    from web.tables import BundleRow, IntakeRow, UserRow
    from workers.tables import BatchRow, DossierRow

    from .test_review import build_review_volume

    template, info = seed_template
    root = tmp_path_factory.mktemp("route-matrix")
    shutil.copytree(template / "data", root / "data")
    cfg = Settings(data_dir=root / "data", database_url=seed_database(request, root, copy_of=template),
                   secret_key="test-secret-key-for-web-tests", storage="local")
    add_three_admins(cfg)
    scopes = {"own": {"volume": info["volume_a"], "community": info["community_a"], "incomplete": info["volume_c"]},
              "other": {"volume": info["volume_b"], "community": info["community_b"]}}
    scopes["own"]["incomplete_2"] = _publish_incomplete(cfg, root, "周立新", 4, "410105", JINSHUI)
    scopes["other"]["incomplete"] = _publish_incomplete(cfg, root, "郑秀兰", 5, "410103", ERQI)
    scopes["other"]["incomplete_2"] = _publish_incomplete(cfg, root, "何建华", 6, "410103", ERQI)
    scopes["own"]["review"] = publish_volume(cfg, build_review_volume(root / "src" / "review"), JINSHUI, PROFILE,
                                             "入库员").volume_id
    scopes["other"]["review"] = scopes["other"]["incomplete_2"]
    # One more open queue in community A, for the second waiver.
    scopes["own"]["review_2"] = _publish_incomplete(cfg, root, "马国庆", 7, "410105", JINSHUI)
    scopes["other"]["review_2"] = scopes["other"]["review"]
    scopes["own"]["review_key"] = "name:3"
    from archive_store import review
    from archive_store.storage import open_storage

    engine, storage = engine_for(cfg.db_url), open_storage(cfg)
    with session_scope(cfg) as s:
        q = review.queue(s, storage, s.get(VolumeRow, scopes["other"]["review"]))
        scopes["other"]["review_key"] = next(i.key for i in q.open if i.page is not None)
    # Settled, so that they can be accepted (and their check documents drafted).
    for volume in (scopes["own"]["incomplete_2"], scopes["other"]["incomplete"]):
        review.waive(engine, storage, volume, "已与原件核对", "archivist")
    files = root / "files"
    files.mkdir()
    batch_a, batch_b = info["batch_a"], info["batch_b"]
    write_xlsx(files / "roster_a1.xlsx", batch_a.retirees[:6], batch_a.enterprise)
    write_xlsx(files / "roster_a2.xlsx", batch_a.retirees[6:], batch_a.enterprise)
    write_xlsx(files / "roster_b.xlsx", batch_b.retirees, batch_b.enterprise)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HANDOVER_DATA_DIR", str(cfg.data_dir))
        use_database(mp, cfg.database_url)
        mp.setenv("HANDOVER_STORAGE", "local")
        config.settings.cache_clear()
        app = create_app(config.settings())
        tokens = {}
        for who, name in (("ent_a", "roster_a1"), ("ent_a", "roster_a2"), ("ent_b", "roster_b")):
            r = sign_in(app, who).post("/api/roster/uploads",
                                       files={"file": (f"{name}.xlsx", (files / f"{name}.xlsx").read_bytes())})
            assert r.status_code == 201, r.text
            tokens[name] = r.json()["token"]
    config.settings.cache_clear()
    scopes["own"].update(upload_form=tokens["roster_a1"], upload_api=tokens["roster_a2"])
    scopes["other"].update(upload_form=tokens["roster_b"], upload_api=tokens["roster_b"])
    with session_scope(cfg) as s:
        users = {u.username: u for u in s.scalars(select(UserRow))}
        for scope, clerk in (("own", "comm_a"), ("other", "comm_b")):
            ids = scopes[scope]
            refs = {v.id: v.ref_no for v in s.scalars(select(VolumeRow))}
            for volume in ("volume", "review"):
                row = access.request_access(s, refs[ids[volume]], "view", clerk, "核对待遇")
                access.approve(s, row.id, "archivist")
            ids["request_form"] = access.request_access(s, refs[ids["volume"]], "view", clerk, "核对").id
            ids["request_api"] = access.request_access(s, refs[ids["volume"]], "view", clerk, "核对").id
            ids["material"] = s.scalar(select(MaterialRow.id).where(MaterialRow.volume_id == ids["volume"])
                                       .order_by(MaterialRow.ordinal))
            ent = users["ent_a" if scope == "own" else "ent_b"]
            token = ("a" if scope == "own" else "b") * 32
            s.add(BundleRow(token=token, enterprise_id=ent.enterprise_id, user_id=ent.id, status="done",
                            persons=1, label="完成", manifest={
                                "documents": [{"type": "roster", "title": "花名册", "path": "花名册.xlsx",
                                               "format": "xlsx", "community": "", "rows": 1}],
                                "zip": "移交文书.zip"}))
            folder = cfg.data_dir / "web" / "bundles" / token
            folder.mkdir(parents=True)
            (folder / "花名册.xlsx").write_bytes(b"PK roster")
            (folder / "移交文书.zip").write_bytes(b"PK zip")
            ids["bundle"] = token
        batch = BatchRow(name="matrix", source_dir=str(root / "scans"))
        s.add(batch)
        s.flush()
        dossier = DossierRow(batch_id=batch.id, entry="e", id_number="", source_path=str(root / "scans" / "e"),
                             source_sha256="0" * 64, stage="published")
        s.add(dossier)
        s.flush()
        s.add(IntakeRow(token="c" * 32, user_id=users["archivist"].id, id_number="", status="done",
                        batch_id=batch.id))
        for ids in scopes.values():
            ids.update(intake="c" * 32, dossier=dossier.id)
        persons = {v.id: (v.name, v.id_number, v.ref_no) for v in s.scalars(select(VolumeRow))}
        # A signed receipt on record for a street of enterprise B (the one whose roster is imported).
        import pikepdf

        from archive_store.receipts import store_receipt
        from handover.db import EnterpriseRow, RetireeRow

        with pikepdf.new() as pdf:
            pdf.add_blank_page()
            pdf.save(files / "receipt.pdf")
        ent_b = s.get(EnterpriseRow, users["ent_b"].enterprise_id)
        street = s.execute(select(RetireeRow.dest_county, RetireeRow.dest_street).where(
            RetireeRow.enterprise_id == ent_b.id, RetireeRow.dest_county.is_not(None))).first()
        receipt = store_receipt(s, storage, ent_b, street[0], street[1], files / "receipt.pdf", "receipt.pdf",
                                "archivist").id
        for scope, clerk in (("own", "ent_a"), ("other", "ent_b")):
            scopes[scope].update(enterprise=users[clerk].enterprise_id, receipt=receipt, receipt_enterprise=ent_b.id,
                                 receipt_street=tuple(street))
    (root / "intake-room" / "empty").mkdir(parents=True)
    # Two vendors' packages in the incoming folder, each with an open acceptance (the second one's
    # sample marked already but for what the API marks).
    from archive_store import acceptance
    from tests.support.dat31_package import make_package

    for key, name in (("acceptance", "验收包甲"), ("acceptance_2", "验收包乙")):
        make_package(root / "vendor" / name, cfg.incoming_root / name, volumes=3)
        with session_scope(cfg) as s:
            row = acceptance.start(s, cfg, name, "archivist")
        acceptance.run_checks(cfg, row.id, "archivist")
        for ids in scopes.values():
            ids[key], ids[f"{key}_ref"] = row.id, row.sample[0]
    with session_scope(cfg) as s:
        row = acceptance.get(s, scopes["own"]["acceptance_2"])
        for item in acceptance.ITEM_KEYS[1:]:
            acceptance.mark(s, row, row.sample[0], item, True, "", "archivist")
    engine_for(cfg.db_url).dispose()
    # What community A's clerk must never read, and enterprise A's clerk.
    other_community = {"五里堡"}
    for key in ("volume", "incomplete", "incomplete_2"):
        name, number, ref_no = persons[scopes["other"][key]]
        other_community |= {name, number, idnumber.mask(number), ref_no}
    names_a = {r.name for r in batch_a.retirees} | {p[0] for p in persons.values()}
    other_enterprise = {batch_b.enterprise.name} | {r.id_number for r in batch_b.retirees} \
        | {idnumber.mask(r.id_number) for r in batch_b.retirees} \
        | {r.name for r in batch_b.retirees if len(r.name) > 2 and not any(r.name in n for n in names_a)}
    return root, scopes, {COMMUNITY: other_community, ENTERPRISE: other_enterprise}


@pytest.fixture
def matrix(matrix_template, tmp_path, monkeypatch, request) -> Matrix:
    template, scopes, secrets = matrix_template
    seed_copy(request, template, tmp_path, monkeypatch)
    shutil.copytree(template / "files", tmp_path / "files")
    monkeypatch.setenv("HANDOVER_STORAGE", "local")
    monkeypatch.setenv("HANDOVER_SECRET_KEY", "test-secret-key-for-web-tests")
    monkeypatch.setenv("HANDOVER_INTAKE_ROOT", str(template / "intake-room"))
    config.settings.cache_clear()
    yield Matrix(tmp_path, {k: dict(v) for k, v in scopes.items()}, secrets)
    engine_for(config.settings().db_url).dispose()
    config.settings.cache_clear()


# ---------------------------------------------------------------- the run


def _url(key: str, call: Call, ids: dict) -> str:
    path = key.split(" ", 1)[1]
    for name in re.findall(r"{(\w+)}", path):
        value = call.params.get(name)
        if value is None:
            raise AssertionError(f"{key}: ROUTES gives no value for {{{name}}}")
        path = path.replace(f"{{{name}}}", str(ids[value] if isinstance(value, str) and value in ids else value))
    return path


def _scoped(role: str, key: str) -> bool:
    return bool(set(re.findall(r"{(\w+)}", key)) & SCOPED_PARAMS.get(role, set()))


def _expected(role: str, key: str, scope: str, allowed: set[str]) -> str:
    if key not in allowed:
        return "403"
    if scope == "other" and _scoped(role, key):
        return "404"
    return "allowed"


def _verdict(key: str, status: int, expected: str) -> bool:
    if expected == "allowed":
        return 200 <= status < 400 or status == MERITS.get(key, (None,))[0]
    return status == int(expected)


def _planned(role: str, scope: str, allowed: set[str]) -> list[str]:
    """The routes of this run, in order. The other scope: routes with an id of that scope only —
    for community and enterprise clerks, every such route (each must refuse); for admins and
    archive staff, who see every community, the reads."""
    keys = list(ROUTES)
    if scope == "other":
        keys = [k for k in keys if re.search(r"{\w+}", k)]
        if role in (ADMIN, ARCHIVE):
            keys = [k for k in keys if ROUTES[k].phase == 0]
        else:
            keys = [k for k in keys if _scoped(role, k) or k not in allowed]
    return sorted(keys, key=lambda k: ROUTES[k].phase)


def _readable(r) -> str:
    """What a user could read in an answer: its headers (file names unquoted), its text, and the
    text inside an XLSX/DOCX/ZIP download."""
    parts = [unquote(f"{k}: {v}") for k, v in r.headers.items()]
    if r.content.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(r.content)) as z:
                # XML members: openpyxl writes CJK text as character references.
                parts += [html.unescape(z.read(name).decode("utf-8", "replace")) for name in z.namelist()]
        except zipfile.BadZipFile:
            pass
    parts.append(r.content.decode("utf-8", "replace"))
    return "\n".join(parts)


def run_matrix(app, role: str, scope: str, matrix: Matrix, allowed: set[str] | None = None) -> list[str]:
    allowed = ALLOWED[role] if allowed is None else allowed
    me = PRINCIPALS[role]
    ids = {**matrix.scopes[scope], "me": me,
           "username": "ent_b" if scope == "own" else "comm_b"}
    ctx = Ctx(ids, matrix.root / "files")
    api = sign_in(app, me)
    problems = []
    for key in _planned(role, scope, allowed):
        call = ROUTES[key]
        params = {**call.params}
        if "{username}" in key:
            params["username"] = "username"
        url = _url(key, dataclasses.replace(call, params=params), ids)
        kw = call.body(ctx) if callable(call.body) else copy.deepcopy(call.body)
        method = key.split(" ", 1)[0]
        # As a browser asks for a page (refusals are then pages too), as a client asks the API.
        headers = {"accept": "application/json" if url.startswith("/api/") else "text/html"}
        r = getattr(api, method.lower())(url, headers=headers, follow_redirects=False, **kw)
        expected = _expected(role, key, scope, allowed)
        if not _verdict(key, r.status_code, expected):
            problems.append(f"{role} {scope} {key} → {r.status_code}, expected {expected}: {r.text[:200]}")
        body = _readable(r)
        leaked = sorted(s for s in matrix.secrets.get(role, ()) if s and s in body)
        if leaked:
            problems.append(f"{role} {scope} {key} → {r.status_code} LEAKS {leaked}")
        if call.phase == 3:  # signed in again, signed out or password changed: a fresh session
            api = sign_in(app, me, ctx.password)
    return problems


def test_without_a_session_only_the_public_routes_answer(matrix):
    """Signed out, every other route answers 401 (with a valid CSRF token, so that the unsafe ones
    reach the sign-in check) and says nothing of what it holds."""
    from web.app import create_app

    app = create_app(config.settings())
    client = TestClient(app)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    ctx = Ctx({**matrix.scopes["own"], "me": "comm_a", "username": "ent_b"}, matrix.root / "files")
    secrets = matrix.secrets[COMMUNITY] | matrix.secrets[ENTERPRISE] | {"张建国", "纬五路"}
    problems = []
    for key in ROUTES:
        if key in PUBLIC:
            continue
        call = ROUTES[key]
        params = {**call.params, **({"username": "username"} if "{username}" in key else {})}
        url = _url(key, dataclasses.replace(call, params=params), ctx.ids)
        kw = call.body(ctx) if callable(call.body) else copy.deepcopy(call.body)
        r = client.request(key.split(" ", 1)[0], url, headers={"accept": "application/json", "x-csrf-token": csrf},
                           follow_redirects=False, **kw)
        if r.status_code != 401 or any(s in r.text for s in secrets):
            problems.append(f"signed out {key} → {r.status_code}: {r.text[:200]}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("scope", ["own", "other"])
@pytest.mark.parametrize("role", list(PRINCIPALS))
def test_route_matrix(matrix, role, scope):
    from web.app import create_app

    app = create_app(config.settings(), max_upload_bytes=2 * 1024 * 1024, bundle_text_pdf=False)
    problems = run_matrix(app, role, scope, matrix)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("scope", ["own", "other"])
def test_route_matrix_single_admin(matrix, monkeypatch, scope):
    """Single-admin mode (``admin_separation`` off): with the three set up or not, the one
    ``admin`` keeps every administrator duty next to its archive work."""
    from web.app import create_app

    monkeypatch.setenv("HANDOVER_ADMIN_SEPARATION", "0")
    config.settings.cache_clear()
    app = create_app(config.settings(), max_upload_bytes=2 * 1024 * 1024, bundle_text_pdf=False)
    problems = run_matrix(app, ADMIN, scope, matrix, ALLOWED_SINGLE_ADMIN)
    assert problems == [], "\n".join(problems)
