"""The sample generator: repeatable, with ground truth, and able to inject defects."""

from __future__ import annotations

import hashlib
import json

from click.testing import CliRunner

from ocr.cli import digitize_command, sample_scans_command
from ocr.sample_scans import DossierFaults, SampleOptions, generate

TINY = SampleOptions(materials=("招工审批表", "企业职工退休审批表"), blank_backs=False, rotations=False,
                     duplicates=False)


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes(tmp_path):
    a = generate(tmp_path / "a", dossiers=1, seed=11, options=TINY)[0]
    b = generate(tmp_path / "b", dossiers=1, seed=11, options=TINY)[0]
    c = generate(tmp_path / "c", dossiers=1, seed=12, options=TINY)[0]
    assert _digest(a.path) == _digest(b.path)
    assert a.truth_path.read_bytes() == b.truth_path.read_bytes()
    assert _digest(a.path) != _digest(c.path)


def test_ground_truth_describes_the_pages(dossier):
    t = dossier.truth
    assert len(t["pages"]) == len(list(dossier.path.iterdir()))
    assert {m["title"] for m in t["materials"]} >= {"职工登记表", "招工审批表", "企业职工退休审批表", "基本养老金核定表",
                                                    "入党志愿书"}
    assert t["name"] in t["pages"][0]["text"]
    assert all(p["text"] == "" for p in t["pages"] if p["blank"])
    assert all(p["page_no"] is None for p in t["pages"] if p["blank"] or p["duplicate_of"])
    assert {p["rotation"] for p in t["pages"]} - {0}, "some pages arrive turned"
    assert max(abs(p["skew_degrees"]) for p in t["pages"]) > 0.5


def test_faults_are_injected_and_recorded(tmp_path):
    opts = SampleOptions(materials=("职工登记表", "招工审批表", "企业职工退休审批表", "基本养老金核定表"),
                         blank_backs=False, rotations=False, duplicates=False, fmt="jpg")
    faults = DossierFaults(drop_materials=("招工审批表",), repeat_pages=(1,), foreign_form="企业职工退休审批表",
                           unreadable_page=2)
    d = generate(tmp_path, dossiers=1, seed=4, options=opts, faults={0: faults})[0]
    titles = [m["title"] for m in d.truth["materials"]]
    assert "招工审批表" not in titles
    assert titles.count("企业职工退休审批表") == 2
    assert [m["foreign"] for m in d.truth["materials"]][-1] is True
    pages = d.truth["pages"]
    assert pages[1]["duplicate_of"] == 1 or pages[2]["duplicate_of"] == 1
    assert sum(p["unreadable"] for p in pages) == 1
    foreign = [p for p in pages if p["foreign"]]
    assert len(foreign) == 1 and d.truth["name"] not in foreign[0]["text"]
    assert d.truth["faults"]["drop_materials"] == ["招工审批表"]


def test_dropped_page_shortens_the_file(tmp_path):
    full = generate(tmp_path / "a", dossiers=1, seed=4, options=TINY)[0]
    short = generate(tmp_path / "b", dossiers=1, seed=4, options=TINY, faults={0: DossierFaults(drop_pages=(1,))})[0]
    assert len(short.truth["pages"]) == len(full.truth["pages"]) - 1
    assert short.truth["materials"][0]["title"] == "企业职工退休审批表"


def test_pdf_and_tiff_containers(tmp_path):
    pdf = generate(tmp_path / "p", dossiers=1, seed=2, options=SampleOptions(**{**TINY.__dict__, "fmt": "pdf"}))[0]
    tif = generate(tmp_path / "t", dossiers=1, seed=2, options=SampleOptions(**{**TINY.__dict__, "fmt": "tiff"}))[0]
    from ocr.loading import load

    assert [p.dpi for p in load(pdf.path).pages] == [300, 300]
    assert [(p.width, p.height, p.dpi) for p in load(tif.path).pages] == [(2480, 3508, 300)] * 2


def test_cli_commands(tmp_path, inputs):
    runner = CliRunner()
    made = runner.invoke(sample_scans_command, ["--dossiers", "1", "--out", str(tmp_path / "s"), "--seed", "3"])
    assert made.exit_code == 0 and "份扫描档案" in made.output.replace("\n", "")
    truth = json.loads(next((tmp_path / "s").glob("*.json")).read_text(encoding="utf-8"))
    assert truth["pages"]
    from ocr import handfonts

    hands = {p["hand"] for p in truth["pages"]} - {None}  # blank sides carry no hand
    assert hands and hands <= set(handfonts.FACES)  # the command's default: handwriting, like real files
    refused = runner.invoke(digitize_command, [str(inputs / "c02-22.pdf"), "--id", "410105194906111615",
                                               "--out", str(tmp_path / "v")])
    assert refused.exit_code == 3 and "150dpi" in refused.output and not (tmp_path / "v").exists()
    bad_engine = runner.invoke(digitize_command, [str(inputs / "linn.pdf"), "--id", "1", "--engine", "x",
                                                  "--out", str(tmp_path / "v")])
    assert bad_engine.exit_code == 2


def test_cli_digitize_follows_the_configuration(tmp_path, monkeypatch):
    import pikepdf

    from handover import config

    d = generate(tmp_path / "s", dossiers=1, seed=4, options=TINY)[0]
    monkeypatch.setenv("HANDOVER_PDFA", "0")
    monkeypatch.setenv("HANDOVER_OCR_ENGINE", "tesseract")
    config.settings.cache_clear()
    try:
        done = CliRunner().invoke(digitize_command, [str(d.path), "--id", d.truth["id_number"], "--jobs", "1",
                                                     "--out", str(tmp_path / "v")])
    finally:
        config.settings.cache_clear()
    assert done.exit_code == 0, done.output
    assert "已生成卷" in done.output and "引擎 tesseract" in done.output
    with pikepdf.open(tmp_path / "v" / "volume.pdf") as pdf:
        assert "/OutputIntents" not in pdf.Root  # HANDOVER_PDFA=0: a plain PDF
    assert json.loads((tmp_path / "v" / "volume.json").read_text(encoding="utf-8"))["engine"] == "tesseract"


def test_files_of_given_retirees(tmp_path):
    from handover.sample import make_batch

    batch = make_batch("henan-zhengzhou", 5, seed=9)
    chosen = list(batch.retirees[2:4])
    made = generate(tmp_path, dossiers=2, seed=9, options=TINY, people=chosen, employer="郑州第九纺织厂")
    assert [(d.truth["id_number"], d.truth["name"]) for d in made] == [(r.id_number, r.name) for r in chosen]
    assert [d.truth["party_member"] for d in made] == [r.party_member for r in chosen]  # not made up
    assert any("郑州第九纺织厂" in p["text"] for d in made for p in d.truth["pages"])


# --- Handwritten values (hand="kai" | "mixed" | a face of ocr.handfonts) -------------------------

HAND = SampleOptions(materials=("职工登记表", "招工审批表", "企业职工退休审批表"), blank_backs=False, rotations=False,
                     duplicates=False, max_skew=0, speckle=0, hand="long-cang", page_number_missing=0)


def _ink(img, box):
    import numpy as np

    x0, y0, x1, y1 = box
    return int((np.asarray(img.convert("L"))[y0:y1, x0:x1] < 200).sum())


def test_every_face_loads_and_covers_the_characters_the_generator_writes():
    """Names, sexes and dates in every face; a character a face lacks is substituted, never blank."""
    import random

    from handover.sample import GIVEN_FEMALE, GIVEN_MALE, SURNAMES
    from ocr import handfonts
    from ocr.fonts import RING, font, glyph_kind
    from ocr.scan_forms import Layout, Pen
    from ocr.scan_render import draw

    used = set(SURNAMES + GIVEN_MALE + GIVEN_FEMALE + "男女年月日0123456789X.-〇一二三四五六七八九十")
    assert len(handfonts.FACES) >= 3
    for face in handfonts.FACES:
        kind = f"hand:{face}"
        assert font(kind, 50).getname()[0]
        lacking = {ch for ch in used if glyph_kind(kind, ch) != kind}
        assert lacking <= {RING}, f"{face} lacks {lacking}"
        # 〇 is in no installed face: it is drawn as a ring, in the Kai files as well as the handwritten.
        for pen in (Pen(), Pen(face=face, rng=random.Random(1))):
            page = Layout("", "form", pen=pen)
            op = page.hand(300, 300, "一九五〇年", 60)
            ring = next(g for g in op.glyphs if g.ch == RING) if op.glyphs else None
            x = ring.x if ring else 300 + font("kai", 60).getlength("一九五")
            assert _ink(draw(page), (int(x), 300, int(x) + 60, 380)) > 150, (face, pen.face)


def test_a_handwritten_value_is_not_the_kai_rendering():
    import random

    import numpy as np

    from ocr import handfonts
    from ocr.scan_forms import Layout, Pen
    from ocr.scan_render import draw

    def render(pen):
        page = Layout("", "form", pen=pen)
        page.hand(300, 300, "刘建国1950年3月", 54)
        return np.asarray(draw(page).convert("L").crop((250, 250, 1200, 420)), np.int16)

    kai = render(Pen())
    seen = []
    for face in handfonts.FACES:
        hand = render(Pen(face=face, rng=random.Random(3)))
        assert (np.abs(hand - kai) > 60).mean() > 0.02, face
        assert all((np.abs(hand - other) > 60).mean() > 0.01 for other in seen), face
        seen.append(hand)


def test_a_missing_face_is_refused_in_chinese_naming_the_make_step(tmp_path, monkeypatch):
    import pytest

    from ocr import handfonts

    monkeypatch.setattr(handfonts, "CACHE", tmp_path / "empty")
    with pytest.raises(handfonts.HandFontMissing, match="make handfonts"):
        generate(tmp_path / "s", dossiers=1, seed=1, options=HAND)
    assert not (tmp_path / "s").exists()
    made = CliRunner().invoke(sample_scans_command, ["--dossiers", "1", "--out", str(tmp_path / "c"),
                                                     "--hand", "long-cang"])
    assert made.exit_code == 4 and "缺少手写字体" in made.output and "make handfonts" in made.output
    assert CliRunner().invoke(sample_scans_command, ["--out", str(tmp_path / "c"), "--hand", "x"]).exit_code == 2


def test_kai_stays_the_default():
    assert SampleOptions().hand == "kai"


def test_handwritten_truth_fields_ids_and_pencilled_numbers(tmp_path):
    from PIL import Image

    from handover.idnumber import parse

    faults = DossierFaults(unnumbered_pages=(2,))
    d = generate(tmp_path, dossiers=1, seed=8, options=HAND, faults={0: faults})[0]
    t = d.truth
    assert t["hand"] == "long-cang" and {p["hand"] for p in t["pages"]} == {"long-cang"}
    for p in t["pages"]:
        fields = {f["label"]: f for f in p["fields"]}
        assert fields["姓名"]["value"] == t["name"] and t["name"] in p["text"]
        x0, y0, x1, y1 = fields["姓名"]["box"]
        assert 0 <= x0 < x1 <= 2480 and 0 <= y0 < y1 <= 3508
        page = Image.open(d.path / p["source"].split("#")[0])
        assert _ink(page, (x0, y0, x1, y1)) > 100  # the name is really drawn where the truth says
    retirement = next(p for p in t["pages"] if p["heading"] == "企业职工退休审批表")
    fields = {f["label"]: f["value"] for f in retirement["fields"]}
    idn = parse(fields["身份证号码"])
    assert idn.number == t["id_number"] and fields["出生年月"] == f"{idn.birth_date.year}年{idn.birth_date.month}月"
    # Every counted page carries its pencilled number top right, except the planted one.
    assert [p["written_page_no"] for p in t["pages"]] == [1, None, 3]
    corner = (1900, 0, 2480, 260)
    marks = [_ink(Image.open(d.path / p["source"].split("#")[0]), corner) for p in t["pages"]]
    assert marks[1] == 0 and marks[0] > 100 and marks[2] > 100


def test_struck_through_values_are_not_in_the_truth_text():
    import random

    from handover.sample import make_batch
    from ocr import scan_forms as forms
    from ocr.scan_render import truth_text

    r = make_batch("henan-zhengzhou", 2, seed=3).retirees[0]
    pen = forms.Pen(face="zhi-mang-xing", rng=random.Random(5), effects=True, correction=1.0)
    page = forms.retirement(r, forms.Career.of(r, random.Random(1)), "郑州第一纺织厂", random.Random(2), pen=pen).pages[0]
    struck = [op for op in page.ops if isinstance(op, forms.Text) and op.strike]
    assert len(struck) == 1 and not struck[0].truth
    kept = [op.text for op in page.ops if isinstance(op, forms.Text) and op.truth]
    assert sorted(truth_text(page).split("\n")) == sorted(kept)  # the correction in, the slip out


def test_new_faults_are_planted_and_recorded(tmp_path):
    from tests.support.evaluation import Expected, expected_findings
    from handover.policy import load_profile

    opts = SampleOptions(**{**HAND.__dict__, "materials": ("职工登记表", "招工审批表", "企业职工退休审批表", "基本养老金核定表"),
                            "hand": "mixed"})
    faults = {0: DossierFaults(near_name_foreign="企业职工退休审批表"), 1: DossierFaults(unreadable_first_of="招工审批表")}
    near, gone = generate(tmp_path, dossiers=2, seed=6, options=opts, faults=faults)
    profile = load_profile("henan-zhengzhou")

    t = near.truth
    foreign = [p for p in t["pages"] if p["foreign"]]
    assert len(foreign) == 1 and foreign[0]["page_no"] is not None
    other = {f["label"]: f["value"] for f in foreign[0]["fields"]}
    own = {f["label"]: f["value"] for f in t["pages"][0]["fields"]}
    assert len(other["姓名"]) == len(t["name"]) and sum(a != b for a, b in zip(other["姓名"], t["name"])) == 1
    assert other["姓名"] == t["faults"]["near_name"] and other["出生年月"] != own["出生年月"]
    assert other["身份证号码"] != t["id_number"]
    assert Expected("foreign_form", page=foreign[0]["index"]) in expected_findings(t, profile)

    t = gone.truth
    first = next(m for m in t["materials"] if m["title"] == "招工审批表")
    page = t["pages"][first["first_index"] - 1]
    assert first["first_page_unreadable"] and page["unreadable"] and page["text"] == ""
    assert page["page_no"] == first["start_page"] and page["written_page_no"] == page["page_no"]
    exp = expected_findings(t, profile)
    assert Expected("unreadable_page", page=page["index"]) in exp
    from completeness.checks.text import title_matches

    hiring = [q.name for q in profile.required_for(t["party_member"])
              if any(title_matches("招工审批表", a) for a in q.accepted)]
    assert hiring and not [e for e in exp if e.code == "missing_material" and e.material in hiring]


def test_mixed_hands_same_seed_same_bytes(tmp_path):
    opts = SampleOptions(**{**HAND.__dict__, "hand": "mixed", "speckle": 300, "max_skew": 1.5})
    a = generate(tmp_path / "a", dossiers=2, seed=13, options=opts)
    b = generate(tmp_path / "b", dossiers=2, seed=13, options=opts)
    assert [_digest(x.path) for x in a] == [_digest(x.path) for x in b]
    assert [x.truth_path.read_bytes() for x in a] == [x.truth_path.read_bytes() for x in b]


def test_installed_faces_are_not_fetched_again(monkeypatch):
    """`make install` runs the font step every time: with the faces in the cache it needs no npm."""
    from ocr import handfonts

    monkeypatch.setattr(handfonts.shutil, "which", lambda name: None)
    assert [handfonts.ensure(name) for name in handfonts.FACES] == [handfonts.path(n) for n in handfonts.FACES]
    assert handfonts.main([]) == 0
