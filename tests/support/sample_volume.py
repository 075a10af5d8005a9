"""Seeded sample volume folders (``handover.volume_folder``), with personnel-file-like Chinese text.

For tests and benchmarks only (the demo digitizes real sample scans instead); same seed, same
bytes. The folders are written through ``handover.volume_folder`` like the pipeline's. The OCR text imitates
Tesseract's output on purpose: sometimes spaces between CJK characters, sometimes full-width
digits and punctuation — exactly what the index has to normalise.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass
from pathlib import Path

from handover import volume_folder as vf

# (class code, material title, sentences that typically appear on such a page)
MATERIALS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("一", "职工登记表", ("家庭出身工人", "本人成分学生", "何时何地参加何种组织", "主要社会关系")),
    ("一", "干部履历表", ("简历自何年何月至何年何月", "在何地何单位任何职", "证明人")),
    ("二", "自传", ("我出生在一个工人家庭", "毕业后分配到厂里工作", "努力学习政治理论")),
    ("三", "年度考核登记表", ("考核等次为合格", "工作认真负责", "群众评议意见", "领导评语")),
    ("三", "职工鉴定表", ("该同志工作积极", "遵守劳动纪律", "团结同志")),
    ("四-1", "学历证明材料", ("中等专业学校毕业证书", "学制三年", "成绩合格准予毕业")),
    ("四-2", "专业技术职务任职资格审批表", ("评审委员会意见", "同意具备助理工程师任职资格")),
    ("六", "入党志愿书", ("我志愿加入中国共产党", "支部大会讨论意见", "上级党组织审批意见")),
    ("九-1", "转正定级审批表", ("试用期满", "同意转正定为二级工", "月工资标准")),
    ("九-1", "工资调整审批表", ("根据文件精神", "调整工资", "增加工资级别", "工资变动")),
    ("九-2", "招工登记表", ("经审查符合招工条件", "同意录用为全民所有制固定工", "劳动部门审批")),
    ("九", "退休审批表", ("符合国家规定的退休条件", "同意办理退休手续", "退休审批", "连续工龄")),
    ("九", "基本养老金核定表", ("基本养老金", "缴费年限", "个人账户储存额", "养老保险待遇核定")),
    ("十", "其他材料", ("情况说明", "特此证明", "经办人签字")),
)
FORM_LABELS = ("姓名", "性别", "出生日期", "民族", "籍贯", "原工作单位", "公民身份号码", "参加工作时间")


@dataclass(frozen=True)
class SamplePerson:
    id_number: str
    name: str
    sex: str = "男"
    birth: dt.date = dt.date(1950, 1, 1)
    employer: str = "郑州第一纺织厂"


def _spaced(text: str, rng: random.Random) -> str:
    """Tesseract-like: spaces between some CJK characters, full-width digits sometimes."""
    if rng.random() < 0.35:
        text = " ".join(text) if rng.random() < 0.5 else "".join(
            ch + (" " if rng.random() < 0.3 else "") for ch in text)
    if rng.random() < 0.2:
        text = text.translate(str.maketrans("0123456789:()", "０１２３４５６７８９：（）"))
    return text


def page_text(person: SamplePerson, title: str, sentences: tuple[str, ...], rng: random.Random,
              with_fields: bool = True, lines: int = 8) -> str:
    """One page of OCR-like text for a material."""
    out = [title]
    if with_fields:
        values = {"姓名": person.name, "性别": person.sex, "出生日期": f"{person.birth:%Y年%m月%d日}",
                  "民族": "汉族", "籍贯": rng.choice(["河南郑州", "河南开封", "湖北咸宁", "重庆巴县"]),
                  "原工作单位": person.employer, "公民身份号码": person.id_number,
                  "参加工作时间": f"{person.birth.year + rng.randint(16, 22)}年{rng.randint(1, 12)}月"}
        for label in rng.sample(FORM_LABELS, k=rng.randint(4, len(FORM_LABELS))):
            out.append(f"{label}:{values[label]}")
    for _ in range(lines):
        out.append("，".join(rng.sample(sentences, k=min(len(sentences), rng.randint(1, 3)))) + "。")
    return "\n".join(_spaced(line, rng) for line in out)


def _jpeg(rng: random.Random, label: int) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (60, 84), (250, 248, 240))
    px = img.load()
    for _ in range(40):
        px[rng.randrange(60), rng.randrange(84)] = (rng.randrange(256), 0, label % 256)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return buf.getvalue()


def _pdf(texts: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    for body in texts:
        c.setFont("STSong-Light", 11)
        y = 800
        for line in body.splitlines()[:40]:
            c.drawString(50, y, line[:60])
            y -= 16
        c.showPage()
    c.save()
    return buf.getvalue()


def write_sample_volume(root: Path, person: SamplePerson, *, seed: int | str = 1, materials: int = 3,
                        blank_side: bool = True, check: str | None = "complete",
                        extra_texts: dict[int, str] | None = None,
                        pages_per_material: tuple[int, int] = (1, 2)) -> Path:
    """Write a volume folder: ``materials`` materials of 1–2 pages (``pages_per_material``: the
    range drawn from), optionally one blank side.

    ``extra_texts``: page index → text appended to that page (to plant search targets).
    """
    rng = random.Random(f"volume:{person.id_number}:{seed}")
    root = Path(root)
    (root / vf.PAGES).mkdir(parents=True, exist_ok=True)
    (root / vf.ORIGINALS).mkdir(exist_ok=True)
    chosen = rng.sample(MATERIALS, k=min(materials, len(MATERIALS)))
    order = {code: i for i, (code, _, _) in enumerate(MATERIALS)}
    chosen.sort(key=lambda m: order[m[0]])
    pages: list[vf.Page] = []
    rows: list[vf.ContentsRow] = []
    texts: list[str] = []
    index = page_no = 0
    per_class: dict[str, int] = {}
    for code, title, sentences in chosen:
        n = rng.randint(*pages_per_material)
        start = page_no + 1
        for k in range(n):
            index += 1
            page_no += 1
            body = page_text(person, title, sentences, rng, with_fields=(k == 0))
            if extra_texts and index in extra_texts:
                body += "\n" + extra_texts[index]
            texts.append(body)
            # Resolution and size unknown (0), as the sample volumes always recorded them.
            pages.append(vf.Page(index=index, page_no=page_no, text=body, dpi=0, width=0, height=0,
                                 confidence=round(rng.uniform(0.82, 0.99), 3),
                                 lines=tuple(vf.Line(line, (40, 40 + 30 * i, 560, 64 + 30 * i), 0.9)
                                             for i, line in enumerate(body.splitlines()))))
        per_class[code.split("-")[0]] = per_class.get(code.split("-")[0], 0) + 1
        formed = dt.date(person.birth.year + rng.randint(18, 58), rng.randint(1, 12), rng.randint(1, 28))
        rows.append(vf.ContentsRow(seq=f"{code}-{per_class[code.split('-')[0]]}", class_code=code, title=title,
                                   formed_on=formed.isoformat(), pages=n, start_page=start, end_page=page_no))
        if blank_side and not any(p.blank for p in pages):
            index += 1
            texts.append("")
            pages.append(vf.Page(index=index, page_no=None, blank=True, confidence=0.0, dpi=0, width=0, height=0))
    for p in pages:
        data = _jpeg(rng, p.index)
        (root / vf.PAGES / vf.page_image(p.index)).write_bytes(data)
        (root / vf.ORIGINALS / f"scan-{p.index:03d}.jpg").write_bytes(data)
    (root / vf.VOLUME_PDF).write_bytes(_pdf(texts))
    info = vf.VolumeInfo(id_number=person.id_number, name=person.name, engine="sample", content_pages=page_no,
                         blank_pages=sum(p.blank for p in pages), created_at="2026-11-01T08:00:00+00:00")
    vf.write_records(root, info, vf.OcrFile("sample", tuple(pages)), vf.ContentsFile(tuple(rows)))
    if check:
        vf.write(root, vf.CheckFile(outcome=check))  # the outcome alone, no report
    return root
