"""Browser test of 数字化成果验收 (issue 17): Chromium starts the acceptance of a vendor's package
from the incoming folder, waits for the 四性检测, inspects every sampled volume beside its page
images, sees the rates and the conclusion, confirms it and downloads the 验收意见."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from docx import Document

from .test_acceptance import PACKAGE, vendor_package  # noqa: F401 - a fixture
from .test_browser import CHROMIUM, browser, page_for, shots  # noqa: F401 - fixtures

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
ITEMS = ("linkage", "image_quality", "naming", "catalogue")


def test_inspect_a_sample_and_download_the_opinion(page_for, live_server, seed, vendor_package, shots, tmp_path):
    shutil.copytree(vendor_package, seed.cfg.incoming_root / PACKAGE)
    pg = page_for("archivist")
    pg.click("nav.menu >> text=数字化成果验收")
    row = pg.locator(f"#incoming tr[data-package='{PACKAGE}']")
    assert "某数字化公司" in row.inner_text()
    row.locator("input[name=share]").fill("100")  # every volume, so that there is more than one to mark
    row.locator("button[type=submit]").click()
    pg.wait_for_url(re.compile(r".*/acceptance/\d+$"))
    pg.wait_for_selector("#acceptance-status[data-status=inspecting]", timeout=120_000)  # the page refreshes itself
    assert "全部通过" in pg.inner_text("#four-checks h2")
    seed_text = pg.inner_text("#seed")
    refs = pg.locator("#sample-volumes tbody tr").evaluate_all("rows => rows.map(r => r.dataset.ref)")
    assert len(refs) == 3 and seed_text
    pg.screenshot(path=str(shots / "50-acceptance-checked.png"), full_page=True)

    pg.click("#sample-volumes tbody tr:first-child a.inspect")
    for n, ref in enumerate(refs, 1):
        pg.wait_for_url(re.compile(rf".*/volumes/{n}$"))
        assert ref in pg.inner_text("h1")
        pg.wait_for_selector("#volume-images img")
        assert pg.locator("#volume-contents tbody tr").count() > 0
        # the page images from the package decode in the browser
        assert pg.locator("#volume-images img").first.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
        for item in ITEMS:
            pg.check(f"fieldset[data-item={item}] input[value=pass]")
        if n == 1:
            pg.screenshot(path=str(shots / "51-acceptance-volume.png"), full_page=True)
        pg.click("#save-marks")
    pg.wait_for_url(re.compile(r".*/acceptance/\d+$"))
    rates = pg.locator("#rates td.rate").all_inner_texts()
    assert rates == ["100.0%"] * 4
    assert pg.get_attribute("#conclusion", "data-conclusion") == "合格"
    pg.fill("#conclude textarea[name=problems]", "补充扫描设备型号")
    pg.click("#conclude-button")
    pg.wait_for_selector("#acceptance-status[data-status=concluded]")
    assert pg.get_attribute("#conclusion", "data-conclusion") == "合格" and "已作出结论" in pg.inner_text("#conclusion")
    assert pg.inner_text("#import-command").startswith("handover receive ")  # how to take it in, once 合格
    pg.screenshot(path=str(shots / "52-acceptance-concluded.png"), full_page=True)

    with pg.expect_download() as info:
        pg.click("#opinion-docx")
    saved = tmp_path / "验收意见.docx"
    info.value.save_as(saved)
    assert info.value.suggested_filename == f"验收意见-{PACKAGE}.docx"
    doc = Document(str(saved))
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    assert "结论：合格" in text and "结论：不合格" not in text and "（不达标）" not in text
    assert seed_text in text and all(ref in text for ref in refs) and "补充扫描设备型号" in text
