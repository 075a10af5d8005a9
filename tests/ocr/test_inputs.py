"""Stage 1 and 2 on real scans we did not make (OCRmyPDF's test resources) and on broken files:
every bad input is refused with a Chinese message naming the file and page, and nothing is
published."""

from __future__ import annotations

import io

import numpy as np
import pikepdf
import pytest
from PIL import Image

from ocr import cleaning, loading
from ocr.errors import DossierRejected
from ocr.pipeline import digitize


def _refused(source, out):
    with pytest.raises(DossierRejected) as err:
        digitize(source, "410105194906111615", out, jobs=1)
    assert not out.exists(), "a refused dossier must not leave an output directory"
    assert not list(out.parent.glob(f".{out.name}.*")), "no staging directory may be left behind"
    return err.value


def test_not_a_pdf_is_refused(inputs, tmp_path):
    err = _refused(inputs / "invalid.pdf", tmp_path / "out")
    assert "invalid.pdf" in str(err) and "PDF" in str(err)
    assert err.file == "invalid.pdf"


def test_150_dpi_scan_is_refused_for_the_page(inputs, tmp_path):
    err = _refused(inputs / "c02-22.pdf", tmp_path / "out")
    assert err.code == "low_dpi" and err.page == 1
    assert "c02-22.pdf" in str(err) and "第1页" in str(err) and "150dpi" in str(err)


def test_each_bad_page_of_a_mixed_pdf_is_named(inputs, tmp_path):
    err = _refused(inputs / "multipage.pdf", tmp_path / "out")
    message = str(err)
    assert "第2页" in message and "9000×9000" in message  # the image bomb, never decoded
    assert "第3页：分辨率仅96dpi" in message


def test_password_protected_pdf(inputs, tmp_path):
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(inputs / "linn.pdf") as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="o", user="secret"))
    err = _refused(locked, tmp_path / "out")
    assert err.code == "encrypted" and "locked.pdf" in str(err) and "密码" in str(err)


def test_truncated_jpeg_names_file_and_page(dossier, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    good = (dossier.path / "0001.jpg").read_bytes()
    (folder / "0001.jpg").write_bytes(good)
    (folder / "0002.jpg").write_bytes(good[: len(good) // 2])
    err = _refused(folder, tmp_path / "out")
    assert err.code == "corrupt" and err.file == "0002.jpg" and "0002.jpg" in str(err)


def test_image_bomb_file_is_not_decoded(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    Image.new("1", (10000, 8000), 1).save(folder / "0001.png", dpi=(300, 300))  # tiny file, 80 MP
    err = _refused(folder, tmp_path / "out")
    assert err.code == "image_bomb" and "0001.png" in str(err)


def test_garbage_with_an_image_name(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "0001.jpg").write_bytes(b"not an image at all" * 10)
    err = _refused(folder, tmp_path / "out")
    assert err.code == "corrupt" and "0001.jpg" in str(err)


def test_below_300_dpi_is_warned_not_refused(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    Image.new("L", (2067, 2923), 255).save(folder / "0001.jpg", dpi=(250, 250))
    loaded = loading.load(folder)
    assert [w.code for w in loaded.warnings] == ["low_dpi", "no_colour"]  # a grey page: ocr.image_rules
    assert "250dpi" in loaded.warnings[0].message


def test_existing_output_is_untouched_when_refused(inputs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier volume")
    with pytest.raises(DossierRejected):
        digitize(inputs / "c02-22.pdf", "410105194906111615", out, jobs=1)
    assert (out / "keep.txt").read_text() == "earlier volume"


def test_cardinal_orientations(inputs):
    """The same page at 0/90/180/270: every one comes out upright and equal to the first."""
    pages = loading.load(inputs / "cardinal.pdf").pages
    cleaned = [cleaning.clean(p) for p in pages]
    assert [c.rotation for c in cleaned] == [0, 270, 180, 90]

    def thumb(img):
        return np.asarray(Image.fromarray(img).convert("L").resize((255, 330)), np.float32)
    ref = thumb(cleaned[0].image)
    for c in cleaned[1:]:
        assert np.abs(thumb(c.image) - ref).mean() < 8, "page not upright after correction"
    upside_down = np.abs(np.rot90(ref, 2) - ref).mean()
    assert upside_down > 15  # the comparison does tell orientations apart


def test_skewed_scan_is_straightened(inputs):
    page = loading.load(inputs / "skew.pdf").pages[0]
    before = cleaning.estimate_skew(cleaning.ink_view(cleaning.decode(page)))
    assert abs(before) > 1.0
    after = cleaning.clean(page)
    assert abs(cleaning.estimate_skew(cleaning.ink_view(after.image))) < 1.0


@pytest.mark.parametrize("name", ["ccitt.pdf", "jbig2.pdf", "linn.pdf"])
def test_bilevel_scans_decode(inputs, name):
    page = loading.load(inputs / name).pages[0]
    assert page.dpi == 300 and (page.width, page.height) == (2550, 3300)
    img = Image.open(io.BytesIO(page.data))
    assert img.size == (2550, 3300)
    assert not cleaning.is_blank(cleaning.ink_view(cleaning.decode(page)))
