"""The admin's user page: a user's role and scope changed from the browser (in force at the
user's next request, audited with the old and new values), beside the reset, the sign-out
everywhere and the last sign-in the page already had."""

from __future__ import annotations

import re

from sqlalchemy import select

from archive_store.tables import AuditRow
from handover.db import session_scope

from .conftest import sign_in


def _page(admin) -> str:
    r = admin.get("/admin/users", headers={"accept": "text/html"})
    assert r.status_code == 200
    return r.text


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_an_admin_moves_a_community_clerk_to_another_community_from_the_page(app, as_user, seed):
    clerk = sign_in(app, "comm_a")
    assert clerk.get(f"/api/dossiers/{seed.volume_a}").status_code == 200
    assert clerk.get(f"/api/dossiers/{seed.volume_b}").status_code == 404
    admin = as_user("admin")
    html = _page(admin)
    # one role form on the page, opened from the user's row (the communities are listed once)
    assert 'action="/admin/users/comm_a/role"' not in html and 'href="/admin/users?edit=comm_a#edit-role"' in html
    html = admin.get("/admin/users?edit=comm_a", headers={"accept": "text/html"}).text
    assert 'action="/admin/users/comm_a/role"' in html and html.count('name="community_id"') == 2  # and 新增用户's
    r = admin.client.post("/admin/users/comm_a/role", data={
        "role": "community_staff", "community_id": str(seed.community_b), "csrf_token": _csrf(html)},
        follow_redirects=False)
    assert r.status_code == 303
    # The clerk's open session sees the new scope at once, and only it.
    assert clerk.get(f"/api/dossiers/{seed.volume_a}").status_code == 404
    assert clerk.get(f"/api/dossiers/{seed.volume_b}").status_code == 200
    html = _page(admin)
    row = html.split('action="/admin/users/comm_a/active"', 1)[0].rsplit("<tr", 1)[1]
    assert "二七区五里堡街道五里堡社区" in row
    with session_scope(seed.cfg) as s:
        audit = s.scalar(select(AuditRow).where(AuditRow.action == "user_role"))
    assert (audit.actor, audit.target) == ("admin", "comm_a")
    assert audit.detail["old"]["community_id"] == seed.community_a
    assert audit.detail["new"]["community_id"] == seed.community_b


def test_a_role_change_drops_the_old_scope_and_takes_the_new_roles_rights(app, as_user, seed):
    clerk = sign_in(app, "ent_a")
    assert clerk.get("/api/search", params={"q": "退休"}).status_code == 403
    admin = as_user("admin")
    r = admin.put("/api/users/ent_a/role", json={"role": "community_staff", "community_id": seed.community_a})
    assert r.status_code == 200 and r.json() == {"username": "ent_a", "role": "community_staff",
                                                 "community_id": seed.community_a, "enterprise_id": None}
    assert clerk.get("/api/roster/summary").status_code == 403
    assert clerk.get(f"/api/dossiers/{seed.volume_a}").status_code == 200
    users = {u["username"]: u for u in admin.get("/api/users").json()["users"]}
    assert users["ent_a"]["enterprise"] == "" and users["ent_a"]["community_id"] == seed.community_a


def test_role_changes_that_cannot_be_made_are_refused_and_change_nothing(app, as_user, seed):
    admin = as_user("admin")
    html = _page(admin)
    bad = [({"role": "community_staff"}, "必须指定所属社区"),
           ({"role": "community_staff", "community_id": "99999"}, "所选社区不存在"),
           ({"role": "enterprise", "enterprise_id": "99999"}, "所选企业不存在"),
           ({"role": "superuser"}, "未知的角色")]
    for form, why in bad:
        r = admin.client.post("/admin/users/comm_b/role", data={**form, "csrf_token": _csrf(html)})
        assert r.status_code == 400 and why in r.text, form
    r = admin.client.post("/admin/users/admin/role", data={"role": "archive_staff", "csrf_token": _csrf(html)})
    assert r.status_code == 400 and "不能修改自己的角色" in r.text
    assert admin.client.post("/admin/users/comm_b/role", data={"role": "admin"}).status_code == 403  # no CSRF
    assert as_user("archivist").put("/api/users/comm_b/role", json={"role": "admin"}).status_code == 403
    users = {u["username"]: u for u in admin.get("/api/users").json()["users"]}
    assert users["comm_b"]["role"] == "community_staff" and users["comm_b"]["community_id"] == seed.community_b
    assert users["admin"]["role"] == "admin"
    with session_scope(seed.cfg) as s:
        assert s.scalar(select(AuditRow).where(AuditRow.action == "user_role")) is None


def test_the_page_shows_each_users_last_sign_in_and_the_reset_and_sign_out_buttons(app, as_user):
    sign_in(app, "comm_b"), sign_in(app, "comm_b")
    admin = as_user("admin")
    html = _page(admin)
    row = html.split('action="/admin/users/comm_b/active"', 1)[0].rsplit("<tr", 1)[1]
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row)  # 最近登录
    assert "在线 2" in row
    assert {u["username"]: u["open_sessions"] for u in admin.get("/api/users").json()["users"]}["comm_b"] == 2
    admin.delete("/api/users/comm_b/sessions")
    row = _page(admin).split('action="/admin/users/comm_b/active"', 1)[0].rsplit("<tr", 1)[1]
    assert "在线" not in row
    never = html.split('action="/admin/users/ent_b/active"', 1)[0].rsplit("<tr", 1)[1]
    assert "—" in never
    for action in ("/admin/users/comm_b/password", "/admin/users/comm_b/sessions/end"):
        assert f'action="{action}"' in html
    assert 'href="/admin/users?edit=comm_b#edit-role"' in html  # the role form, opened from the row


def test_a_reset_with_the_password_left_blank_shows_a_one_time_password_once(app, as_user, seed):
    victim = sign_in(app, "ent_b")
    admin = as_user("admin")
    r = admin.client.post("/admin/users/ent_b/password", data={"password": "", "csrf_token": _csrf(_page(admin))},
                          headers={"accept": "text/html"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    password = re.search(r"一次性密码：\s*<strong[^>]*>([^<]+)</strong>", r.text).group(1)
    assert "ent_b" in r.text and password not in (r.cookies.get("handover_session") or "")
    assert victim.get("/api/session").status_code == 401
    api = sign_in(app, "ent_b", password)
    assert api.get("/api/session").json()["password_change_required"] is True
    assert password not in _page(admin)  # shown once
    with session_scope(seed.cfg) as s:
        audit = s.scalar(select(AuditRow).where(AuditRow.action == "password_reset"))
    assert (audit.actor, audit.target) == ("admin", "ent_b") and password not in str(audit.detail)


def test_the_user_list_is_paged_filtered_and_sorted_with_the_filters_in_its_links(as_user, seed):
    import datetime as dt
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    from web.tables import UserRow

    with session_scope(seed.cfg) as s:  # an office's staff: 70 archive clerks, 10 of them disabled
        seeded = len(s.scalars(select(UserRow.id)).all())
        for i in range(70):
            s.add(UserRow(username=f"clerk{i:03d}", display_name=f"档案员{i}", password_hash="-", role="archive_staff",
                          active=i >= 10, last_login_at=dt.datetime(2026, 1, 1) + dt.timedelta(hours=i)))
    admin = as_user("admin")
    first = admin.get("/api/users").json()
    assert first["total"] == 70 + seeded and len(first["users"]) == 50 and first["next"]
    rest = admin.get(first["next"]).json()
    assert len({u["username"] for u in first["users"] + rest["users"]}) == first["total"]
    clerks = admin.get("/api/users", params={"role": "archive_staff", "active": "0", "limit": 5}).json()
    assert clerks["total"] == 10 and {u["username"] for u in clerks["users"]} <= {f"clerk{i:03d}" for i in range(10)}
    assert {k: v[0] for k, v in parse_qs(urlsplit(clerks["next"]).query).items()} == \
        {"role": "archive_staff", "active": "0", "limit": "5", "offset": "5"}
    latest = admin.get("/api/users", params={"sort": "-last_login", "q": "档案员"}).json()["users"]
    assert latest[0]["username"] == "clerk069" and latest[1]["username"] == "clerk068"
    html = unescape(admin.get("/admin/users", params={"q": "clerk", "sort": "username"},
                              headers={"accept": "text/html"}).text)
    listed = html.split('id="users"')[1].split('id="users-pager"')[0]
    assert "<td>clerk049</td>" in listed and "<td>clerk050</td>" not in listed
    nxt = re.search(r'rel="next" href="([^"]+)"', html).group(1)
    assert {k: v[0] for k, v in parse_qs(urlsplit(nxt).query).items()} == {"q": "clerk", "sort": "username",
                                                                           "offset": "50"}
    assert "clerk050" in admin.get(nxt, headers={"accept": "text/html"}).text
    assert admin.get("/api/users?role=king").status_code == 400
    assert admin.get("/api/users?active=yes").status_code == 400
