"""The 验收 of a received package (archive_store.acceptance): the pass rates against DA/T 31's
thresholds, the conclusion, and the draft 验收意见 of ``handover receive --dry-run --opinion``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from archive_store import dat31_layout as L
from archive_store.acceptance import FAIL, PASS, Mark, evaluate, incoming_packages, package_folder
from archive_store.cli import receive_command
from handover.config import Settings
from handover.errors import NotFound

from tests.support.dat31_package import make_package

REFS = [f"410105-W-{n:04d}" for n in range(1, 21)]
ITEMS = ("linkage", "image_quality", "naming", "catalogue")


def _all_passed(refs, **failed) -> list[Mark]:
    """Every item of every volume passed, except ``item=[档号 …]``."""
    return [Mark(r, item, r not in failed.get(item, ()), "问题" if r in failed.get(item, ()) else "")
            for r in refs for item in ITEMS]


def test_every_item_passed_and_the_checks_passed_is_accepted():
    result = evaluate(True, REFS, _all_passed(REFS))
    assert result.conclusion == PASS and result.marks_complete
    assert [r.rate for r in result.rates] == [1.0] * 4


def test_one_linkage_failure_is_enough_to_reject_but_one_in_twenty_elsewhere_is_not():
    # 目录与图像对应 must be 100%: one volume of twenty fails the batch, at once (before the rest is marked).
    early = evaluate(True, REFS, [Mark(REFS[0], "linkage", False, "第3页与目录不对应")])
    assert early.conclusion == FAIL and not early.marks_complete
    # image quality 19/20 = 95%: met; 18/20 = 90%: not.
    assert evaluate(True, REFS, _all_passed(REFS, image_quality=REFS[:1])).conclusion == PASS
    rejected = evaluate(True, REFS, _all_passed(REFS, image_quality=REFS[:2]))
    assert rejected.conclusion == FAIL
    assert [r.met for r in rejected.rates] == [True, False, True, True] and rejected.rates[1].rate == 0.9


def test_a_sample_of_one_volume_allows_no_failure():
    refs = REFS[:1]
    assert evaluate(True, refs, _all_passed(refs, naming=refs)).conclusion == FAIL


def test_the_conclusion_stays_open_until_decided():
    assert evaluate(True, REFS, _all_passed(REFS)[:-1]).conclusion is None
    assert evaluate(None, REFS, _all_passed(REFS)).conclusion is None  # 四性检测 still running
    assert evaluate(False, REFS, _all_passed(REFS)).conclusion == FAIL  # a failed automatic check decides
    # marks of volumes outside the sample count for nothing
    assert evaluate(True, REFS[:1], [Mark("other", i, True) for i in ITEMS]).conclusion is None


def test_only_package_folders_of_the_incoming_folder_are_offered(tmp_path):
    cfg = Settings(data_dir=tmp_path / "data", incoming_dir=tmp_path / "incoming")
    pkg = make_package(tmp_path / "work", tmp_path / "incoming" / "供应商甲-2026-001", volumes=2)
    (tmp_path / "incoming" / "空文件夹").mkdir()
    (tmp_path / "incoming" / ".copying").mkdir()
    (tmp_path / "incoming" / "链接").symlink_to(pkg)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / L.README).write_text("生成人：x\n", encoding="utf-8")
    found = incoming_packages(cfg)
    assert [(p.name, p.vendor, p.volumes) for p in found] == [("供应商甲-2026-001", "某数字化公司", 2)]
    assert package_folder(cfg, "供应商甲-2026-001") == pkg
    for name in ("链接", "../outside", "空文件夹", ".copying", str(pkg), "供应商甲-2026-001/..", ""):
        with pytest.raises(NotFound):
            package_folder(cfg, name)


def _text(path: Path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_receive_dry_run_writes_the_draft_opinion(cfg, tmp_path):
    pkg = make_package(tmp_path / "work", tmp_path / "pkg", volumes=3)
    out = tmp_path / "验收意见.docx"
    result = CliRunner().invoke(receive_command, [str(pkg), "--dry-run", "--seed", "s1", "--opinion", str(out)])
    assert result.exit_code == 0, result.output
    assert "验收意见草稿已写入" in result.output
    text = _text(out)
    assert "草稿" in text and "种子 s1" in text and "某数字化公司" in text and "全部通过" in text
    assert "结论：□ 合格　　□ 不合格" in text  # the manual part is the inspector's
    assert "验收人" in text and "审核人" in text

    # A broken package: 不合格 already, and the file named.
    (pkg / L.README).write_bytes((pkg / L.README).read_bytes() + b"x")
    broken = CliRunner().invoke(receive_command, [str(pkg), "--dry-run", "--opinion", str(out)])
    assert broken.exit_code == 1
    text = _text(out)
    assert "结论：不合格" in text and f"{L.README}：" in text and "未全部通过" in text


def test_the_package_is_identified_by_its_manifest_and_a_change_before_the_checks_voids_the_acceptance(cfg, tmp_path):
    from archive_store import acceptance as acc
    from archive_store.storage import sha256_file
    from handover.db import session_scope
    from handover.errors import InputRefused

    cfg = Settings(data_dir=cfg.data_dir, database_url=cfg.database_url, incoming_dir=tmp_path / "incoming")
    pkg = make_package(tmp_path / "work", tmp_path / "incoming" / "包甲", volumes=2)
    with session_scope(cfg) as s:
        row = acc.start(s, cfg, "包甲", "验收员", seed="s")
        assert row.manifest_sha256 == sha256_file(pkg / L.MANIFEST)[0] == acc.manifest_sha256(pkg)
        aid = row.id
    (pkg / L.MANIFEST).write_bytes((pkg / L.MANIFEST).read_bytes() + b"\n")  # after the draw, before the checks
    with pytest.raises(InputRefused):
        acc.run_checks(cfg, aid, "验收员")
    with session_scope(cfg) as s:
        row = acc.get(s, aid)
        assert row.status == acc.ERROR and "清单文件被改动" in row.error and row.checks is None
