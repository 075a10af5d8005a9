"""DA/T 31's colour and storage-format rules at intake (ocr.image_rules through ocr.loading and
workers.ingest): reported per page with file and page named, never refused; a real colour scan
is not reported."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
from PIL import Image, ImageDraw

from ocr import image_rules as R
from ocr import loading

from tests.conftest import use_database


def _paper(seal: bool, seed: int = 1) -> Image.Image:
    """An A5-ish page as a colour scanner delivers it: tinted paper with sensor noise, black text,
    and a red seal if ``seal``."""
    rng = np.random.default_rng(seed)
    px = np.full((600, 420, 3), (246, 242, 230), np.int16) + rng.normal(0, 2.5, (600, 420, 3)).astype(np.int16)
    img = Image.fromarray(np.clip(px, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    for y in range(60, 500, 40):
        d.rectangle((40, y, 380, y + 12), fill=(25, 25, 25))
    if seal:
        d.ellipse((250, 420, 370, 540), outline=(200, 30, 40), width=8)
    return img


def _grey_as_colour(seed: int = 2) -> Image.Image:
    """The same page scanned in grey, then saved as a colour image (three equal channels)."""
    return _paper(True, seed).convert("L").convert("RGB")


def test_colour_modes_declared_and_actual(tmp_path):
    _paper(True).save(tmp_path / "c.jpg", quality=85)
    _grey_as_colour().save(tmp_path / "g.jpg", quality=85)
    with Image.open(tmp_path / "c.jpg") as im:
        assert R.colour_modes(im) == (R.COLOUR, R.COLOUR)
    with Image.open(tmp_path / "g.jpg") as im:
        assert im.mode == "RGB" and R.colour_modes(im) == (R.COLOUR, R.GREY)  # JPEG rounding is no colour
    assert R.colour_modes(_paper(False).convert("L")) == (R.GREY, R.GREY)
    assert R.colour_modes(_paper(False).convert("1")) == (R.BILEVEL, R.BILEVEL)
    # plain black text on tinted paper, scanned in colour, is colour: the paper's tint and the noise
    assert R.colour_modes(_paper(False)) == (R.COLOUR, R.COLOUR)


def test_format_is_read_from_the_bytes_not_the_name(tmp_path):
    _paper(False).save(tmp_path / "0001.jpg", "PNG")
    assert R.file_format(tmp_path / "0001.jpg") == "PNG"
    assert R.format_of(b"II*\x00....") == R.format_of(b"MM\x00*....") == "TIFF"


def test_intake_reports_the_pages_in_another_format_and_grey_stored_as_colour(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    _paper(True).save(d / "0001.jpg", quality=85, dpi=(300, 300))
    _grey_as_colour().save(d / "0002.jpg", quality=85, dpi=(300, 300))
    _paper(False, 3).save(d / "0003.jpg", quality=85, dpi=(300, 300))
    frames = [_paper(False, 4), _paper(True, 5)]  # a two-page TIFF among JPEGs
    frames[0].save(d / "0004.tif", save_all=True, append_images=frames[1:], dpi=(300, 300), compression="tiff_lzw")
    loaded = loading.load(d)  # warnings, not a refusal
    assert [p.delivered for p in loaded.pages] == ["JPEG"] * 3 + ["TIFF"] * 2
    assert [p.colour for p in loaded.pages] == [R.COLOUR, R.GREY, R.COLOUR, R.COLOUR, R.COLOUR]
    found = {(w.code, w.page): w.message for w in loaded.warnings}
    assert set(found) == {("mixed_format", 4), ("grey_as_colour", 2)}
    assert found[("mixed_format", 4)].startswith("文件“0004.tif”第1–2页（2页）为TIFF格式，本卷其余3页为JPEG格式")
    assert found[("grey_as_colour", 2)].startswith("文件“0002.jpg”第1页以彩色存储，但各颜色通道几乎相同")


def test_a_dossier_without_a_colour_page_is_reported_once(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    for n in range(1, 4):
        _paper(True, n).convert("L").save(d / f"{n:04d}.jpg", quality=85, dpi=(300, 300))
    _paper(False).convert("1").save(d / "0004.png", dpi=(300, 300))
    loaded = loading.load(d)
    assert [(w.code, w.page) for w in loaded.warnings] == [("mixed_format", 4), ("no_colour", 1)]
    no_colour = loaded.warnings[1].message
    assert "本卷全部4页均为灰度、黑白图像" in no_colour and "请对照原件核查" in no_colour


def test_a_generated_colour_scan_is_not_reported(dossier):
    """The sample generator's scans (colour, seals in red, paper and scanner noise): nothing to say."""
    loaded = loading.load(dossier.path)
    assert {p.colour for p in loaded.pages} == {R.COLOUR}
    assert not [w for w in loaded.warnings if w.code in ("mixed_format", "grey_as_colour", "no_colour")]


def test_ingest_names_the_files_not_in_the_batchs_format(tmp_path, monkeypatch, database_url):
    from handover import config, idnumber
    from workers.ingest import ingest

    monkeypatch.setenv("HANDOVER_DATA_DIR", str(tmp_path / "data"))
    use_database(monkeypatch, database_url)
    monkeypatch.delenv("HANDOVER_BROKER", raising=False)
    config.settings.cache_clear()
    batch = tmp_path / "batch"
    ids = [idnumber.make("410105", dt.date(1949 + n, 6, 11), 2 * n + 1) for n in range(3)]
    for id_number in ids:
        (batch / id_number).mkdir(parents=True)
        for page in (1, 2):
            _paper(True, page).save(batch / id_number / f"{page:04d}.jpg", quality=80, dpi=(300, 300))
    odd = batch / ids[1] / "0002.jpg"
    shutil.copyfile(odd, batch / ids[1] / "tmp")
    with Image.open(batch / ids[1] / "tmp") as im:
        im.save(odd, "PNG")  # named .jpg, stored as PNG
    (batch / ids[1] / "tmp").unlink()
    report = ingest(batch)
    assert report.format_notes == [f"“{ids[1]}/0002.jpg”为PNG格式，本批次其余5个文件为JPEG格式："
                                   "同一批次应采用同一种存储格式（DA/T 31）"]
    config.settings.cache_clear()


def test_batch_findings_tie_goes_to_the_first_format():
    assert R.batch_findings([("a", "1.jpg", "JPEG")] * 2) == []
    notes = R.batch_findings([("a", "1.tif", "TIFF"), ("b", "1.jpg", "JPEG")])
    assert notes == ["“b/1.jpg”为JPEG格式，本批次其余1个文件为TIFF格式：同一批次应采用同一种存储格式（DA/T 31）"]
