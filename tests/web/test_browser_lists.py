"""Browser tests of the lists at a size that pages (issue 20): Chromium paging through the
移交去向汇总, the audit log filtered by date and 档号, a filtered list's URL opened by another
browser, and a user's scope changed from the user page."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from archive_store.tables import VolumeRow
from handover.communities import CONFIRMED, decide
from handover.db import session_scope
from handover.roster.importer import import_roster
from handover.roster.writer import write_csv
from handover.sample import invented_communities, make_retirees

from .conftest import PROFILE, days_logged
from .test_browser import CHROMIUM, browser, page_for, shots  # noqa: F401 - fixtures

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian chromium not installed")
PEOPLE = 130


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def enterprise_a(seed, tmp_path):
    """Enterprise A's roster of 130 retirees over 4 communities, imported."""
    retirees = make_retirees(PROFILE, PEOPLE, communities=4, seed=5, enterprise=seed.batch_a.enterprise)
    path = write_csv(tmp_path / "roster.csv", retirees, "utf-8")
    with session_scope(seed.cfg) as s:
        for county, street, name in sorted(invented_communities(retirees)):
            decide(s, county, street, name, CONFIRMED, "test")
    with session_scope(seed.cfg) as s:
        assert import_roster(s, path, seed.batch_a.enterprise.name).rows_imported == PEOPLE
    return retirees


def test_page_through_the_summary_and_open_a_shared_filtered_url(page_for, enterprise_a, shots):
    pg = page_for("ent_a")
    pg.click("nav.menu >> text=移交去向汇总")
    pager = "#summary-pager"
    assert f"第 1–50 条，共 {PEOPLE} 条" in pg.inner_text(pager)
    first = pg.inner_text("#summary-people tbody")
    pg.click(f"{pager} a[rel=next]")
    pg.wait_for_url(re.compile(r".*offset=50$"))
    assert f"第 51–100 条，共 {PEOPLE} 条" in pg.inner_text(pager)
    assert pg.inner_text("#summary-people tbody") != first
    pg.click(f"{pager} a[rel=next]")
    assert f"第 101–{PEOPLE} 条" in pg.inner_text(pager)
    assert pg.locator(f"{pager} span.disabled", has_text="下一页").count() == 1  # the last page
    assert pg.locator("#summary-people tbody tr").count() == PEOPLE - 100
    pg.click(f"{pager} a[rel=prev]")
    assert "第 51–100 条" in pg.inner_text(pager)

    # A community's people, sorted by name: the filter and the order are in the URL.
    pg.click("#summary-communities tbody tr:first-child td:nth-child(3) a")
    community = pg.inner_text("#summary-communities tbody tr:first-child td:nth-child(3)")
    count = int(pg.inner_text("#summary-communities tbody tr:first-child td:nth-child(4)"))
    pg.click("#summary-people th a:has-text('姓名')")
    pg.wait_for_url(re.compile(r".*sort=name"))
    shared = pg.url
    assert _query(shared)["community"] == community and f"共 {count} 条" in pg.inner_text(pager)
    rows = pg.inner_text("#summary-people tbody")
    pg.screenshot(path=str(shots / "30-summary-filtered.png"), full_page=True)

    # The link opened by a colleague's browser: the same filter, order and rows.
    other = page_for("ent_a")
    other.goto(shared)
    assert other.inner_text("#summary-people tbody") == rows
    assert other.input_value("#summary-filters input[name=community]") == community
    assert f"共 {count} 条" in other.inner_text(pager)
    # and the export link carries the same filter
    assert _query(other.get_attribute("#export-xlsx", "href")) == {k: v for k, v in _query(shared).items()
                                                                   if k != "offset"}


def test_filter_the_audit_log_by_date_and_ref_no_and_share_it(page_for, live_server, seed, shots):
    staff = page_for("archivist")
    for volume in (seed.volume_a, seed.volume_b):  # two volumes opened today: two 档号 in the log
        staff.goto(f"{live_server}/dossiers/{volume}")
        staff.wait_for_selector("#page-image")
    with session_scope(seed.cfg) as s:
        ref_a = s.scalar(select(VolumeRow.ref_no).where(VolumeRow.id == seed.volume_a))
        ref_b = s.scalar(select(VolumeRow.ref_no).where(VolumeRow.id == seed.volume_b))
    first_day, last_day = days_logged(seed.cfg)  # the filter is on the office's days
    first, last = first_day.isoformat(), last_day.isoformat()

    pg = page_for("admin")
    pg.click("nav.menu >> text=审计日志")
    pg.fill("#audit-filters input[name=since]", first)
    pg.fill("#audit-filters input[name=until]", last)
    pg.fill("#audit-filters input[name=subject]", ref_a)
    pg.click("#audit-filters button[type=submit]")
    pg.wait_for_url(re.compile(r".*subject="))
    assert _query(pg.url) == {"since": first, "until": last, "subject": ref_a}
    targets = pg.locator("table.data tbody tr td:nth-child(5)").all_inner_texts()
    assert targets and all(ref_a in t for t in targets) and not any(ref_b in t for t in targets)
    assert "archivist" in pg.inner_text("table.data tbody")
    pg.screenshot(path=str(shots / "31-audit-filtered.png"), full_page=True)
    shared = pg.url

    other = page_for("admin")
    other.goto(shared)
    assert other.input_value("#audit-filters input[name=subject]") == ref_a
    assert other.input_value("#audit-filters input[name=since]") == first
    assert other.locator("table.data tbody tr td:nth-child(5)").all_inner_texts() == targets
    # the day before only: nothing of these
    yesterday = (first_day - dt.timedelta(days=1)).isoformat()
    other.fill("#audit-filters input[name=since]", yesterday)
    other.fill("#audit-filters input[name=until]", yesterday)
    other.click("#audit-filters button[type=submit]")
    other.wait_for_url(re.compile(rf".*until={yesterday}"))
    assert "没有记录" in other.inner_text("table.data tbody")


def test_change_a_users_scope_from_the_user_page(page_for, live_server, seed, shots):
    clerk = page_for("comm_a")
    base = live_server
    clerk.goto(base + "/catalogs")
    assert clerk.locator(f"a[href='/dossiers/{seed.volume_a}']").count() >= 1
    assert clerk.locator(f"a[href='/dossiers/{seed.volume_b}']").count() == 0

    pg = page_for("admin")
    pg.click("nav.menu >> text=用户管理")
    pg.fill("#user-filters input[name=q]", "comm_a")
    pg.click("#user-filters button[type=submit]")
    pg.wait_for_url(re.compile(r".*q=comm_a"))
    assert pg.locator("#users tbody tr").count() == 1
    pg.click("#users a:has-text('修改角色')")
    pg.wait_for_selector("#edit-role")
    assert "q=comm_a" in pg.url and "edit=comm_a" in pg.url
    pg.select_option("#edit-role select[name=community_id]", str(seed.community_b))
    pg.screenshot(path=str(shots / "32-user-scope.png"), full_page=True)
    pg.click("#edit-role button[type=submit]")
    pg.wait_for_selector(".notice-ok")
    assert "comm_a" in pg.inner_text(".notice-ok")
    row = pg.locator("#users tbody tr", has_text="comm_a").inner_text()
    assert "五里堡社区" in row

    # The clerk's open session sees the new community's volumes at the next request, not the old ones.
    clerk.goto(base + "/catalogs")
    assert clerk.locator(f"a[href='/dossiers/{seed.volume_b}']").count() >= 1
    assert clerk.locator(f"a[href='/dossiers/{seed.volume_a}']").count() == 0
