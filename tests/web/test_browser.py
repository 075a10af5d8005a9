"""Browser tests: Debian's Chromium driven by Playwright against a real uvicorn server.

Screenshots of the main pages go to the test's temp folder, and also to $HANDOVER_WEB_SCREENSHOTS
when it is set (to look at them).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from handover.roster.writer import write_xlsx

from .conftest import PASSWORD
from .test_reconcile import mismatch  # noqa: F401 - a fixture

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path):
    folder = tmp_path / "screenshots"
    folder.mkdir()
    yield folder
    target = os.environ.get("HANDOVER_WEB_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for png in folder.glob("*.png"):
            shutil.copy(png, Path(target) / png.name)


@pytest.fixture
def page_for(browser, live_server):
    contexts = []

    def make(username: str):
        ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.set_default_timeout(30_000)
        pg.goto(live_server + "/")
        assert "/login" in pg.url
        pg.fill("input[name=username]", username)
        pg.fill("input[name=password]", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_url(live_server + "/")
        return pg

    yield make
    for ctx in contexts:
        ctx.close()


def test_sign_in_search_open_dossier_view_page(page_for, live_server, seed, shots, browser):
    login = browser.new_page(viewport={"width": 1366, "height": 900})
    login.goto(live_server + "/login")
    assert "用户登录" in login.content()
    login.screenshot(path=str(shots / "01-login.png"))
    login.close()

    pg = page_for("archivist")
    assert "档案检索" in pg.inner_text("nav.menu")
    pg.screenshot(path=str(shots / "02-home-archivist.png"))
    pg.click("text=档案检索")
    pg.fill("input[name=q]", "档案移交核验")
    pg.click(".search-box button")
    pg.wait_for_selector("table.results")
    assert pg.locator("table.results tbody tr").count() == 2
    assert pg.locator("table.results mark").count() >= 2
    pg.screenshot(path=str(shots / "03-search.png"), full_page=True)
    pg.click(f"table.results a[href^='/dossiers/{seed.volume_a}']")
    pg.wait_for_selector("#page-image")
    assert "卷内目录" in pg.content() and seed.person_a.id_number in pg.content()
    pg.wait_for_function("document.getElementById('page-image').naturalWidth > 0")
    width = pg.evaluate("document.getElementById('page-image').getBoundingClientRect().width")
    pg.click("button[data-zoom=in]")
    assert pg.inner_text("#zoom-level") == "125%"
    assert pg.evaluate("document.getElementById('page-image').getBoundingClientRect().width") > width
    pg.screenshot(path=str(shots / "04-dossier.png"), full_page=True)
    pg.click("#next-page")
    pg.wait_for_url(re.compile(r".*\?seq=2$"))
    pg.wait_for_function("document.getElementById('page-image').naturalWidth > 0")
    # Correct a 卷内目录 row the OCR misnamed, and come back to the dossier.
    pg.click("table.contents a:has-text('更正')")
    pg.fill("#contents-form input[name=title]", "招工审批表（补正）")
    pg.fill("#contents-form input[name=reason]", "核对原件")
    pg.screenshot(path=str(shots / "22-contents-edit.png"), full_page=True)
    pg.click("#contents-form button[type=submit]")
    pg.wait_for_selector("table.contents")
    assert "招工审批表（补正）" in pg.inner_text("table.contents") and "已更正卷内目录" in pg.inner_text(".notice-ok")


def test_enterprise_upload_report_import_and_download_bundle(page_for, seed, shots, tmp_path):
    path = write_xlsx(tmp_path / "退休人员名册.xlsx", seed.batch_a.retirees, seed.batch_a.enterprise)
    wb = load_workbook(path)
    wb.active.cell(row=6, column=7).value = "410105194912310021"
    wb.save(path)

    pg = page_for("ent_a")
    pg.click("nav.menu >> text=名册上传与校验")
    pg.set_input_files("input[type=file]", str(path))
    pg.screenshot(path=str(shots / "05-roster-upload.png"), full_page=True)
    pg.click("form[action='/roster/upload'] button")
    pg.wait_for_selector("table.problems")
    row = pg.locator("table.problems tbody tr.err").first
    assert row.locator("td").first.inner_text() == "6" and "校验位" in row.inner_text()
    assert pg.locator("button:has-text('全部导入')").is_disabled()
    pg.screenshot(path=str(shots / "06-roster-report.png"), full_page=True)
    pg.click("button:has-text('仅导入无误的')")
    pg.wait_for_url(re.compile(r".*/roster/summary$"))
    assert "已导入 11 人" in pg.content()
    pg.screenshot(path=str(shots / "07-roster-summary.png"), full_page=True)
    pg.click("text=生成并下载移交文书")
    pg.click("button:has-text('按已导入名册生成全部移交文书')")
    pg.wait_for_selector("#bundle-done", timeout=300_000)
    pg.screenshot(path=str(shots / "08-documents.png"), full_page=True)
    with pg.expect_download() as info:
        pg.click("#bundle-zip")
    download = info.value
    assert download.suggested_filename.endswith("_移交材料.zip")
    saved = tmp_path / "bundle.zip"
    download.save_as(saved)
    import zipfile

    assert "manifest.json" in zipfile.ZipFile(saved).namelist()


def test_a_community_user_is_denied_another_communitys_dossier(page_for, live_server, seed, shots):
    pg = page_for("comm_a")
    pg.goto(live_server + "/search?q=档案移交核验")
    assert pg.locator("table.results tbody tr").count() == 1
    assert seed.person_b.name not in pg.content()
    response = pg.goto(live_server + f"/dossiers/{seed.volume_b}")
    assert response.status == 404  # as if it did not exist: ids cannot be probed
    assert "未找到该案卷" in pg.content() and seed.person_b.name not in pg.content()
    pg.screenshot(path=str(shots / "09-denied.png"))
    pg.goto(live_server + f"/dossiers/{seed.volume_a}")
    assert "需经档案馆批准" in pg.content()
    pg.fill("input[name=reason]", "核实出生日期")
    pg.click("form[action$='/requests'] button")
    pg.wait_for_selector(".notice-ok")
    pg.screenshot(path=str(shots / "10-dossier-community.png"), full_page=True)


def test_admin_pages(page_for, live_server, shots):
    pg = page_for("admin")
    pg.click("nav.menu >> text=用户管理")
    assert pg.locator("table.data tbody tr").count() == 6
    pg.screenshot(path=str(shots / "11-admin-users.png"), full_page=True)
    pg.click("nav.menu >> text=审计日志")
    assert "登录" in pg.inner_text("table.data")
    pg.screenshot(path=str(shots / "12-admin-audit.png"))


def test_the_api_docs_render_under_the_csp(browser, live_server, shots):
    """/docs was blank: FastAPI's page loads Swagger UI from a CDN with an inline script."""
    pg = browser.new_page(viewport={"width": 1366, "height": 900})
    refused = []
    pg.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    pg.on("request", lambda r: refused.append(r.url) if not r.url.startswith(live_server) else None)
    pg.goto(live_server + "/docs")
    pg.wait_for_selector(".opblock-summary", timeout=30_000)
    assert "用户列表" in pg.inner_text("#swagger-ui") and "/api/search" in pg.inner_text("#swagger-ui")
    pg.screenshot(path=str(shots / "api-docs.png"))
    pg.close()
    assert refused == []


def test_archive_staff_upload_scans_progress_and_completeness(page_for, live_server, shots, tmp_path):
    from ocr.sample_scans import generate

    import json

    generated = generate(tmp_path / "scans", dossiers=1, seed=7)[0]
    dossier = generated.path
    truth = json.loads(generated.truth_path.read_text(encoding="utf-8"))
    pages = sorted(dossier.glob("*.jpg"))[:2]
    pg = page_for("archivist")
    pg.click("nav.menu >> text=扫描件入库")
    pg.set_input_files("input[name=files]", [str(p) for p in pages])
    pg.fill("input[name=id_number]", dossier.name)
    pg.fill("input[name=name]", truth["name"])
    pg.fill("input[name=county]", "金水区")
    pg.fill("input[name=street]", "经八路街道")
    pg.fill("input[name=community]", "纬五路社区")
    pg.select_option("select[name=profile]", "henan-zhengzhou")
    pg.screenshot(path=str(shots / "13-intake-form.png"), full_page=True)
    pg.click("form[action='/intake'] button[type=submit]")
    pg.wait_for_url(re.compile(r".*/intake/[0-9a-f]{32}$"))
    pg.screenshot(path=str(shots / "14-intake-progress.png"))
    # The progress block updates in place every 2 s until the workers are done: no page reload.
    pg.evaluate("window.sameDocument = true")
    pg.wait_for_selector("#intake-live[data-done=yes]", timeout=300_000)
    assert pg.evaluate("window.sameDocument === true")
    assert "已入库" in pg.inner_text("#intake-status"), pg.inner_text("#intake-status")
    pg.screenshot(path=str(shots / "15-intake-done.png"))
    pg.click("#intake-status a[href^='/dossiers/']")
    pg.wait_for_selector("#page-image")
    assert "完整性检查" in pg.content() and "卷内目录" in pg.content()
    pg.wait_for_function("document.getElementById('page-image').naturalWidth > 0")
    pg.screenshot(path=str(shots / "16-dossier-after-intake.png"), full_page=True)


def test_archive_staff_batch_zip_progress_requeue_and_withdraw(page_for, live_server, shots, tmp_path, scans):
    import zipfile

    from .test_intake import STRANGER, jpeg

    number, name, folder = scans[1]
    archive = tmp_path / "第二批.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(folder.glob("*.jpg")):
            zf.write(p, f"第二批/{number}/{p.name}")
        zf.writestr(f"第二批/{STRANGER}/0001.jpg", jpeg())  # no receiving community known
        zf.writestr("第二批/manifest.csv", f"公民身份号码,姓名,接收区县,接收街道,接收社区\n"
                                        f"{number},{name},金水区,经八路街道,纬五路社区\n")
    pg = page_for("archivist")
    pg.click("nav.menu >> text=扫描件入库")
    pg.set_input_files("#zip-form input[name=archive]", str(archive))
    pg.select_option("#zip-form select[name=profile]", "henan-zhengzhou")
    pg.screenshot(path=str(shots / "17-intake-batch-form.png"), full_page=True)
    pg.click("#zip-form button[type=submit]")
    pg.wait_for_url(re.compile(r".*/intake/[0-9a-f]{32}$"))
    assert "批次数字化进度" in pg.content()
    pg.wait_for_selector("#intake-status[data-done=yes]", timeout=300_000)
    status = pg.inner_text("#intake-status")
    assert "已入库" in status and "已隔离" in status and "接收社区" in status, status
    assert pg.inner_text("#count-published") == "1" and pg.inner_text("#count-quarantined") == "1"
    pg.screenshot(path=str(shots / "18-batch-done.png"), full_page=True)
    batch_url = pg.url
    pg.click("nav.menu >> text=扫描件入库")
    todo = pg.inner_text("#quarantined")
    assert "接收社区" in todo and "第二批" in todo  # the held-back dossier on the to-do list, by batch name
    pg.screenshot(path=str(shots / "21-intake-todo.png"), full_page=True)
    pg.click("#quarantined a.button")
    pg.wait_for_url(re.compile(re.escape(batch_url) + "#dossier-[0-9]+$"))

    pg.click("form.requeue button")  # unchanged: it is held back again, with the same reason
    pg.wait_for_selector(".notice-ok")
    assert "已重新排队" in pg.inner_text(".notice-ok")
    pg.wait_for_selector("#intake-status[data-done=yes]", timeout=120_000)
    assert pg.inner_text("#count-quarantined") == "1"

    pg.click("#intake-status a[href^='/dossiers/']")
    pg.wait_for_selector("#page-image")
    pg.click("#withdraw summary")
    pg.fill("#withdraw input[name=reason]", "缺少入党志愿书原件，退回移交单位补充")
    pg.click("#withdraw button[type=submit]")
    pg.wait_for_selector("#withdrawn")
    assert "缺少入党志愿书原件" in pg.inner_text("#withdrawn") and "已退回" in pg.inner_text(".notice-ok")
    pg.screenshot(path=str(shots / "19-dossier-withdrawn.png"), full_page=True)
    pg.click("nav.menu >> text=案卷目录与台账")
    pg.click("#withdrawn-list a")  # found again from the list of withdrawn volumes
    pg.wait_for_selector("#withdrawn")
    pg.go_back()
    pg.screenshot(path=str(shots / "20-catalogs-withdrawn.png"), full_page=True)


@pytest.fixture
def review_volume(seed, tmp_path_factory) -> int:
    """A published volume whose real completeness check left name, formed_on and title items open."""
    from archive_store.publish import publish_volume

    from .conftest import JINSHUI, PROFILE
    from .test_review import build_review_volume

    source = build_review_volume(tmp_path_factory.mktemp("review-browser") / "volume")
    return publish_volume(seed.cfg, source, JINSHUI, PROFILE, "入库员").volume_id


def test_archive_staff_proofread_a_dossier_with_the_keyboard(page_for, live_server, seed, shots, review_volume):
    from .test_review import FORMED_KEY, NAME, NAME_KEY, TITLE_KEY

    vol = review_volume
    pg = page_for("archivist")
    assert "待校对" in pg.inner_text("#review-pending")
    pg.screenshot(path=str(shots / "26-home-review-pending.png"))
    pg.click("#review-pending")
    pg.wait_for_selector("#review-pending-list")
    pg.screenshot(path=str(shots / "27-review-pending-list.png"), full_page=True)
    assert pg.locator(f"#review-pending-list a[href='/dossiers/{vol}/review']").count() == 1
    pg.goto(f"{live_server}/dossiers/{vol}")  # the dossier page links its queue, with the count
    assert "3 项待人工确认" in pg.inner_text("#review-link") and pg.is_visible("#outcome-provisional")
    pg.screenshot(path=str(shots / "28-dossier-review-link.png"), full_page=True)
    pg.click("#review-link a")
    pg.wait_for_selector("#review-list")
    assert "待校对" in pg.inner_text("#review-summary") and pg.is_visible("#review-provisional")
    assert pg.inner_text("#review-outcome") == "不完整"
    from playwright.sync_api import expect

    crops = pg.locator(".review-crop img")
    assert crops.count() >= 3
    for img in crops.all():  # each item shows the crop of its page image
        img.scroll_into_view_if_needed()
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 0
    pg.evaluate("window.scrollTo(0, 0)")
    pg.screenshot(path=str(shots / "23-review-queue.png"), full_page=True)

    typed = {TITLE_KEY: "退休审批表", NAME_KEY: NAME, FORMED_KEY: "1958年3月8日"}
    active = "document.activeElement.closest('li.review-item')?.getAttribute('data-key')"
    first = pg.evaluate(active)
    assert first in typed  # the cursor starts in the first open item: no mouse needed
    for key in [first] + [k for k in typed if k != first]:
        if pg.evaluate(active) != key:
            pg.focus(f"li[data-key='{key}'] input[name=value]")
        pg.keyboard.type(typed[key])  # the machine's value is selected: typing replaces it
        pg.keyboard.press("Enter")
        pg.wait_for_selector(f"li[data-key='{key}'].done")
        moved = pg.evaluate(active)
        assert moved != key  # one keystroke: the cursor went on to the next open item
        if key == TITLE_KEY:
            assert pg.inner_text("#review-outcome") == "完整"  # 退休审批表 found: the re-check follows
    assert "已更正为“1958-03-08”，卷内目录已同步" in pg.inner_text(f"li[data-key='{FORMED_KEY}']")
    assert pg.inner_text("#review-open") == "0" and pg.is_visible("#review-final")
    assert not pg.is_visible("#review-provisional") and not pg.is_visible("#waive")
    pg.screenshot(path=str(shots / "24-review-done.png"), full_page=True)

    pg.click("#review-summary a:has-text('返回案卷')")
    pg.wait_for_selector("table.contents")
    contents = pg.inner_text("table.contents")
    assert "退休审批表" in contents and "1958-03-08" in contents and "未识别材料" not in contents
    assert "完整" in pg.inner_text(".facts") and "不完整" not in pg.inner_text(".facts")
    pg.screenshot(path=str(shots / "25-dossier-after-review.png"), full_page=True)


def test_the_review_queue_works_without_javascript(browser, live_server, seed, shots, review_volume):
    from .test_review import FORMED_KEY

    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", java_script_enabled=False)
    try:
        pg = ctx.new_page()
        pg.goto(live_server + "/login")
        pg.fill("input[name=username]", "archivist")
        pg.fill("input[name=password]", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_url(live_server + "/")
        pg.goto(f"{live_server}/dossiers/{review_volume}/review")
        field = f"li[data-key='{FORMED_KEY}'] input[name=value]"
        pg.fill(field, "1958年13月8日")
        pg.press(field, "Enter")  # the plain form posts; the refusal comes back beside the item
        assert "材料形成时间应为有效日期" in pg.inner_text(f"li[data-key='{FORMED_KEY}']")
        assert pg.evaluate("document.activeElement.closest('li').getAttribute('data-key')") == FORMED_KEY
        pg.screenshot(path=str(shots / "29-review-nojs-refused.png"), full_page=True)
        pg.fill(field, "1958-03-08")
        pg.press(field, "Enter")
        pg.wait_for_selector("#review-answered-list")
        assert "已更正“材料形成时间”" in pg.inner_text(".notice-ok")
        # The page comes back with the cursor in the next open item: Enter again answers it.
        assert pg.evaluate("document.activeElement.name") == "value"
        assert pg.evaluate("document.activeElement.closest('li').getAttribute('data-key')") != FORMED_KEY
    finally:
        ctx.close()


def test_archive_staff_file_the_signed_roster_of_a_street(page_for, live_server, seed, shots, mismatch, tmp_path):
    """档案接收核对 in the browser: the enterprise from the home page, the mismatch marked, the signed
    档案移交名册表 uploaded through the street's form, 接收手续已办结 on the page and the dossier."""
    ent_id, person, dest, volume_id = mismatch
    pg = page_for("archivist")
    assert "档案接收情况" in pg.inner_text("#reconcile-dashboard")
    pg.click(f"#reconcile-dashboard >> text={seed.batch_b.enterprise.name}")
    row = pg.locator("tr", has_text=person.name)
    assert "-2" in row.inner_text() and "完整" in row.inner_text()
    section = pg.locator("section.street", has_text=person.name)
    section.locator("summary").click()
    scan = tmp_path / "建设路街道-签章.pdf"
    scan.write_bytes(b"%PDF-1.4\n" + b"signed and sealed\n" * 200 + b"%%EOF\n")
    section.locator("input[type=file]").set_input_files(str(scan))
    section.locator("button[type=submit]").click()
    pg.wait_for_url(f"{live_server}/reconcile?enterprise={ent_id}")
    assert "接收手续已办结" in pg.inner_text(".notice-ok")
    assert "李档案" in pg.locator("section.street", has_text=person.name).locator(".receipt").inner_text()
    pg.screenshot(path=str(shots / "40-reconcile-receipt.png"), full_page=True)
    with pg.expect_download() as download:
        pg.locator("section.street", has_text=person.name).locator(".receipt a").click()
    assert Path(download.value.path()).read_bytes() == scan.read_bytes()
    pg.goto(f"{live_server}/dossiers/{volume_id}")
    assert "接收手续已办结" in pg.inner_text("#receipt")
