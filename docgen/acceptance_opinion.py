"""The 验收意见 (acceptance opinion) on a vendor's 数字化成果 (DA/T 31-2017 §12.3): the package, the
四性检测 of all of it, the manual sample (share, seed, 档号), each inspection item's pass rate
against its threshold, the conclusion, the problems to fix, and the signature block.

``AcceptanceOpinion`` is the whole content (built by ``archive_store.acceptance_opinion``);
``write_docx`` lays it out with python-docx, the PDF is that DOCX through LibreOffice
(``docgen.convert``), as for the project's other text documents. A draft (no manual results yet)
leaves the manual part blank for the inspector to fill in by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from .ooxml import FANGSONG, HEI, SONG, XBS, cell_width, fixed_layout, page_setup, set_font, table_borders

BLANK = "＿＿＿＿"


@dataclass(frozen=True)
class CheckLine:
    group: str  # 真实性 …
    title: str
    passed: bool
    checked: int
    failures: list[tuple[str, str]] = field(default_factory=list)  # (file, message)


@dataclass(frozen=True)
class ItemLine:
    title: str
    threshold: float
    inspected: int
    passed: int
    sample: int
    met: bool | None


@dataclass(frozen=True)
class AcceptanceOpinion:
    package: str
    vendor: str
    scope: str
    volumes: int
    images: int
    checked_at: str
    checks: list[CheckLine]
    share: float
    seed: str
    population: int
    sampled: list[str]
    items: list[ItemLine]
    draft: bool = False  # the manual part left blank, to be filled in by hand
    note: str = ""  # under the title, e.g. that the conclusion is not confirmed yet
    failed_marks: list[tuple[str, str, str]] = field(default_factory=list)  # (档号, item, remark)
    conclusion: str | None = None  # 合格 / 不合格; None: not yet decided
    problems: list[str] = field(default_factory=list)  # to fix, beyond the failures listed
    inspector: str = ""
    date: str = ""  # 2026年12月5日, empty: written by hand

    @property
    def checks_passed(self) -> bool:
        return all(c.passed for c in self.checks)


MAX_FILES = 20  # failures listed per check; the rest counted (the JSON report has them all)


def _para(doc, text: str = "", *, font: str = FANGSONG, size: float = 12, bold: bool = False,
          align=None, indent: bool = False):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.space_after = Pt(3)
    if text:
        set_font(p.add_run(text), font, size, bold)
    return p


def _heading(doc, text: str) -> None:
    _para(doc, text, font=HEI, size=14)


def _table(doc, header: list[str], rows: list[list[str]], widths_mm: list[float]) -> None:
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table_borders(table)
    fixed_layout(table, widths_mm)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell_width(cell, width)
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.text = ""
            set_font(cell.paragraphs[0].add_run(value), SONG, 10.5, r == 0)
    doc.add_paragraph()


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%".replace(".0%", "%")


def write_docx(op: AcceptanceOpinion, out: Path) -> Path:
    doc = Document()
    page_setup(doc.sections[0], "portrait", top=25, bottom=25, left=25, right=20)
    _para(doc, "纸质档案数字化成果验收意见", font=XBS, size=20, align=WD_ALIGN_PARAGRAPH.CENTER)
    if op.draft:
        _para(doc, "（草稿：机器检测部分已填，人工抽检部分待检查人员填写）", size=11,
              align=WD_ALIGN_PARAGRAPH.CENTER)
    if op.note:
        _para(doc, op.note, size=11, align=WD_ALIGN_PARAGRAPH.CENTER)

    _heading(doc, "一、基本情况")
    for label, value in (("移交包", op.package), ("移交（数字化）单位", op.vendor or BLANK),
                         ("移交范围", op.scope or "—"), ("案卷数", f"{op.volumes} 卷"),
                         ("图像数", f"{op.images} 幅"), ("检测时间", op.checked_at or "—"),
                         ("验收依据", "DA/T 31-2017《纸质档案数字化规范》、DA/T 70-2018（四性检测）")):
        _para(doc, f"{label}：{value}")

    _heading(doc, "二、四性检测（计算机自动检测，检测全部文件，合格率须为100%）")
    passed = sum(c.passed for c in op.checks)
    _para(doc, f"共 {len(op.checks)} 项，通过 {passed} 项，未通过 {len(op.checks) - passed} 项："
               f"{'全部通过' if op.checks_passed else '未全部通过'}。", indent=True)
    _table(doc, ["类别", "检测项", "检查数", "结果"],
           [[c.group, c.title, str(c.checked), "通过" if c.passed else f"未通过（{len(c.failures)} 处）"]
            for c in op.checks], [22, 88, 20, 35])
    for c in op.checks:
        if c.passed:
            continue
        _para(doc, f"{c.group}·{c.title}未通过：", bold=True)
        for file, message in c.failures[:MAX_FILES]:
            _para(doc, f"{file or '移交包'}：{message}", size=10.5)
        if len(c.failures) > MAX_FILES:
            _para(doc, f"另有 {len(c.failures) - MAX_FILES} 处，见四性检测报告。", size=10.5)

    _heading(doc, "三、人工抽检（按案卷抽检，比例不少于5%）")
    _para(doc, f"从 {op.population} 卷中抽取 {len(op.sampled)} 卷（抽检比例 {_pct(op.share)}），"
               f"抽样种子 {op.seed}（以同一种子可重现本次抽样）。抽检档号：{'、'.join(op.sampled) or '—'}。",
          indent=True)
    rows = []
    for i in op.items:
        required = "100%" if i.threshold >= 1 else f"≥{_pct(i.threshold)}"
        if op.draft:
            rows.append([i.title, required, str(i.sample), "", "", ""])
            continue
        rate = _pct(i.passed / i.inspected) if i.inspected else "—"
        rows.append([i.title, required, str(i.sample), str(i.inspected), str(i.passed),
                     rate + ("" if i.met is None else "（达标）" if i.met else "（不达标）")])
    _table(doc, ["检查项", "要求合格率", "抽检卷数", "已检卷数", "合格卷数", "合格率"], rows, [35, 26, 24, 24, 24, 32])
    if op.failed_marks:
        _para(doc, "抽检发现的问题：", bold=True)
        for ref_no, item, remark in op.failed_marks:
            _para(doc, f"{ref_no}　{item}：{remark}", size=10.5)

    _heading(doc, "四、验收结论")
    if op.conclusion:
        basis = "四性检测未全部通过（计算机检测项须100%合格）" if op.draft else "经四性检测和人工抽检"
        _para(doc, f"{basis}，该批数字化成果验收{op.conclusion}。", indent=True)
        _para(doc, f"结论：{op.conclusion}", font=HEI, size=14)
    else:
        _para(doc, "结论：□ 合格　　□ 不合格", font=HEI, size=14)

    _heading(doc, "五、需整改的问题")
    lines = [f"{c.group}·{c.title}未通过（{len(c.failures)} 处）" for c in op.checks if not c.passed]
    lines += [f"{ref_no} {item}：{remark}" for ref_no, item, remark in op.failed_marks]
    lines += op.problems
    if lines:
        for n, text in enumerate(lines, 1):
            _para(doc, f"{n}．{text}")
    elif not op.draft:
        _para(doc, "无。")
    else:
        for _ in range(3):
            _para(doc, "")

    doc.add_paragraph()
    sign = doc.add_table(rows=1, cols=3)
    for cell, text in zip(sign.rows[0].cells, (f"验收人：{op.inspector or BLANK}", f"审核人：{BLANK}",
                                                f"日期：{op.date or '　　年　　月　　日'}")):
        cell.text = ""
        set_font(cell.paragraphs[0].add_run(text), FANGSONG, 12)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    return out


def write_pdf(op: AcceptanceOpinion, out: Path) -> Path:
    """The DOCX, converted by LibreOffice (``docgen.convert``; refused in Chinese when missing)."""
    from .convert import convert_to_pdf

    docx = write_docx(op, out.with_suffix(".docx"))
    return convert_to_pdf([docx])[0]
