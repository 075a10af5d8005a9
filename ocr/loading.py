"""Stage 1: load the dossier and validate every page before anything is processed.

Problems are collected over the whole dossier and reported together, so staff fix a delivery in
one round trip; any refusal holds back the whole dossier. Warnings do not: a resolution below the
recommended one, and the colour and storage-format rules of DA/T 31 (``image_rules``), each naming
the file and page.
"""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from PIL import Image, ImageSequence, UnidentifiedImageError

from . import image_rules
from .errors import DossierRejected, where
from .records import SourcePage, Warning_

MIN_DPI = 200  # DA/T 31-2017 §9: below this a page is refused
GOOD_DPI = 300  # below this small or faint text suffers: warned
MAX_PAGE_PIXELS = 60_000_000  # A3 at 600 dpi is ~70 MP… of paper we never get; A4 at 600 is 35 MP
# Pillow refuses images above twice this; set deliberately so the limit is ours, not a default.
Image.MAX_IMAGE_PIXELS = MAX_PAGE_PIXELS // 2
warnings.simplefilter("ignore", Image.DecompressionBombWarning)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".pdf", ".bmp"}


@dataclass
class LoadedDossier:
    pages: list[SourcePage]
    files: list[Path]
    warnings: list[Warning_] = field(default_factory=list)


@dataclass
class _Problems:
    items: list[tuple[str, str, int | None, str]] = field(default_factory=list)

    def add(self, code: str, file: str, page: int | None, reason: str) -> None:
        self.items.append((code, file, page, reason))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        self.items.sort(key=lambda it: (it[1], it[2] or 0))
        code, file, page, _ = self.items[0]
        lines = [f"{where(f, p)}：{r}" for _, f, p, r in self.items]
        more = f"（共{len(lines)}处问题）" if len(lines) > 1 else ""
        raise DossierRejected("档案无法数字化，本卷未发布" + more + "：\n" + "\n".join(lines),
                              file=file, page=page, code=code)


def _natural(p: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]


def dossier_files(source: Path) -> list[Path]:
    if not source.exists():
        raise DossierRejected(f"找不到档案“{source.name}”。", file=source.name, code="missing")
    if source.is_file():
        return [source]
    files = sorted((p for p in source.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                   key=_natural)
    if not files:
        raise DossierRejected(f"文件夹“{source.name}”中没有扫描图像或PDF文件。", file=source.name, code="empty")
    return files


def load(source: Path) -> LoadedDossier:
    files = dossier_files(Path(source))
    problems = _Problems()
    pages: list[SourcePage] = []
    for f in files:
        with open(f, "rb") as fh:
            head = fh.read(8)
        delivered = image_rules.format_of(head, f.name)
        if head.startswith(b"%PDF"):
            got = _load_pdf(f, problems)
        elif f.suffix.lower() == ".pdf":
            problems.add("not_pdf", f.name, None, "不是有效的PDF文件（文件头不符，可能已损坏或格式错误）")
            got = []
        else:
            got = _load_image(f, problems)
        pages += [dataclasses.replace(p, delivered=delivered) for p in got]
    warns: list[Warning_] = []
    for i, p in enumerate(pages, 1):
        if p.dpi < MIN_DPI:
            problems.add("low_dpi", p.file, p.page, f"分辨率仅{p.dpi}dpi，低于最低要求{MIN_DPI}dpi，请重新扫描")
        elif p.dpi < GOOD_DPI:
            warns.append(Warning_("low_dpi", i, f"{where(p.file, p.page)}分辨率为{p.dpi}dpi，低于建议的{GOOD_DPI}dpi"))
    problems.raise_if_any()
    facts = [image_rules.PageFacts(i, p.file, p.page, p.delivered, p.colour_declared, p.colour)
             for i, p in enumerate(pages, 1)]
    warns += [Warning_(f.code, f.index, f.message) for f in image_rules.dossier_findings(facts)]
    return LoadedDossier(pages, files, warns)


def _too_big(w: int, h: int) -> str:
    return f"图像尺寸{w}×{h}像素，超过单页上限{MAX_PAGE_PIXELS // 1_000_000}百万像素（疑似异常图像，拒绝解码）"


def _load_image(f: Path, problems: _Problems) -> list[SourcePage]:
    data = f.read_bytes()
    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        problems.add("image_bomb", f.name, 1, "图像像素数超过上限（疑似异常图像，拒绝解码）")
        return []
    except (UnidentifiedImageError, OSError):
        problems.add("corrupt", f.name, None, "无法识别的图像文件（已损坏或不是图像）")
        return []
    out = []
    multi = getattr(img, "n_frames", 1) > 1
    for n, frame in enumerate(ImageSequence.Iterator(img), 1):
        w, h = frame.size
        if w * h > MAX_PAGE_PIXELS:
            problems.add("image_bomb", f.name, n, _too_big(w, h))
            continue
        try:
            frame.load()  # decode fully: a truncated file fails here, not halfway through OCR
        except (OSError, SyntaxError, ValueError) as err:
            problems.add("corrupt", f.name, n, f"图像数据不完整或已损坏（{type(err).__name__}）")
            continue
        dpi = _dpi(frame.info.get("dpi"))
        declared, actual = image_rules.colour_modes(frame)
        if multi or img.format not in ("JPEG", "PNG"):
            buf = io.BytesIO()
            frame.convert("L" if frame.mode in ("1", "L") else "RGB").save(buf, "PNG")
            out.append(SourcePage(f.name, n, buf.getvalue(), "PNG", dpi, w, h, colour_declared=declared, colour=actual))
        else:
            out.append(SourcePage(f.name, n, data, img.format, dpi, w, h, colour_declared=declared, colour=actual))
    return out


def _dpi(value) -> int:
    if not value:
        return 0  # unknown: reported as below the minimum, a scan must say its resolution
    try:
        return int(round(min(float(value[0]), float(value[1]))))
    except (TypeError, ValueError, IndexError):
        return 0


def _load_pdf(f: Path, problems: _Problems) -> list[SourcePage]:
    try:
        pdf = pikepdf.open(f)
    except pikepdf.PasswordError:
        problems.add("encrypted", f.name, None, "PDF文件设有密码保护，无法读取，请提供未加密的文件")
        return []
    except pikepdf.PdfError:
        problems.add("corrupt", f.name, None, "PDF文件已损坏或不完整，无法读取")
        return []
    out = []
    with pdf:
        for n, page in enumerate(pdf.pages, 1):
            try:
                got = _pdf_page(f, n, page)
            except _PageProblem as p:
                problems.add(p.code, f.name, n, p.reason)
                continue
            except (pikepdf.PdfError, OSError, ValueError, KeyError) as err:
                problems.add("corrupt", f.name, n, f"页面数据已损坏（{type(err).__name__}）")
                continue
            out.append(got)
    return out


class _PageProblem(Exception):
    def __init__(self, code: str, reason: str):
        self.code, self.reason = code, reason


def _image_placement(page: pikepdf.Page) -> tuple[str, pikepdf.Object, list[float]]:
    """The largest image drawn on the page and its transformation matrix."""
    best = None
    stack: list[list[float]] = []
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    images = page.resources.get("/XObject", {})
    for operands, op in pikepdf.parse_content_stream(page):
        op = str(op)
        if op == "q":
            stack.append(ctm)
        elif op == "Q" and stack:
            ctm = stack.pop()
        elif op == "cm":
            m = [float(x) for x in operands]
            ctm = [m[0] * ctm[0] + m[1] * ctm[2], m[0] * ctm[1] + m[1] * ctm[3],
                   m[2] * ctm[0] + m[3] * ctm[2], m[2] * ctm[1] + m[3] * ctm[3],
                   m[4] * ctm[0] + m[5] * ctm[2] + ctm[4], m[4] * ctm[1] + m[5] * ctm[3] + ctm[5]]
        elif op == "Do":
            name = str(operands[0])
            xobj = images.get(name)
            if xobj is not None and xobj.get("/Subtype") == "/Image":
                area = int(xobj.Width) * int(xobj.Height)
                if best is None or area > best[0]:
                    best = (area, name, xobj, ctm)
    if best is None:
        raise _PageProblem("no_image", "页面中没有扫描图像（不是扫描件）")
    return best[1], best[2], best[3]


def _pdf_page(f: Path, n: int, page: pikepdf.Page) -> SourcePage:
    _, xobj, m = _image_placement(page)
    w, h = int(xobj.Width), int(xobj.Height)
    if w * h > MAX_PAGE_PIXELS:
        raise _PageProblem("image_bomb", _too_big(w, h))
    a, b, c, d = m[:4]
    turn = _quarter_turns(a, b, c, d) + int(page.obj.get("/Rotate", 0)) // 90
    # Extent on the page in points; the pixel axes follow the turn.
    ext_w, ext_h = abs(a) + abs(c), abs(b) + abs(d)
    px_w, px_h = (w, h) if turn % 2 == 0 else (h, w)
    if turn % 2:
        ext_w, ext_h = ext_h, ext_w  # /Rotate by 90 swaps the page axes too
    dpi = int(round(min(px_w * 72 / max(ext_w, 1e-6), px_h * 72 / max(ext_h, 1e-6)))) if turn % 2 == 0 else \
        int(round(min(px_w * 72 / max(ext_h, 1e-6), px_h * 72 / max(ext_w, 1e-6))))
    filters = xobj.get("/Filter")
    filters = [str(x) for x in filters] if isinstance(filters, pikepdf.Array) else [str(filters)] if filters else []
    if filters == ["/DCTDecode"] and turn % 4 == 0:
        raw = xobj.read_raw_bytes()
        try:
            with Image.open(io.BytesIO(raw)) as im:
                im.load()
                declared, actual = image_rules.colour_modes(im)
        except Image.DecompressionBombError:
            raise _PageProblem("image_bomb", _too_big(w, h)) from None
        except (OSError, SyntaxError) as err:
            raise _PageProblem("corrupt", f"图像数据不完整或已损坏（{type(err).__name__}）") from None
        return SourcePage(f.name, n, raw, "JPEG", dpi, w, h, colour_declared=declared, colour=actual)
    try:
        img = pikepdf.PdfImage(xobj).as_pil_image()
    except (pikepdf.PdfError, NotImplementedError, OSError, pikepdf.models.image.UnsupportedImageTypeError,
            pikepdf.DependencyError):
        img = _render(f, n, dpi)  # e.g. JBIG2 without jbig2dec: poppler decodes it
        turn = 0  # rendered as displayed
    declared, actual = image_rules.colour_modes(img)
    if img.mode not in ("L", "RGB"):
        img = img.convert("L" if img.mode == "1" else "RGB")
    img = _turn(img, turn)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return SourcePage(f.name, n, buf.getvalue(), "PNG", dpi, img.width, img.height, colour_declared=declared,
                      colour=actual)


def _quarter_turns(a: float, b: float, c: float, d: float) -> int:
    """Clockwise quarter turns the viewer applies to the image's pixel grid."""
    if abs(a) >= abs(b):
        return 0 if a > 0 else 2
    return 1 if b < 0 else 3


def _turn(img: Image.Image, turn: int) -> Image.Image:
    turn %= 4
    if turn == 1:
        return img.transpose(Image.Transpose.ROTATE_270)  # PIL's ROTATE_270 turns clockwise
    if turn == 2:
        return img.transpose(Image.Transpose.ROTATE_180)
    if turn == 3:
        return img.transpose(Image.Transpose.ROTATE_90)
    return img


def _render(f: Path, n: int, dpi: int) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "p"
        subprocess.run(["pdftoppm", "-r", str(max(dpi, 72)), "-f", str(n), "-l", str(n), "-gray", "-png",
                        "-singlefile", str(f), str(out)], check=True, capture_output=True, timeout=120)
        with Image.open(out.with_suffix(".png")) as im:
            return im.copy()
