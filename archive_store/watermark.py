"""水印: the marks put on every page image and PDF a reader takes from a personnel file.

Applied on the fly to the bytes being served, never to the stored originals (their hashes are
the fixity record). Two marks:

- visible: the viewer, organisation, date/time and request number, tiled diagonally in a
  semi-transparent grey over the whole page, so that a photographed or printed page names who
  took it. Archive staff's working views may go without it (``Settings.watermark_custodians``).
- invisible: a random identifier per download (``new_mark_id``), written into the file's
  metadata (JPEG comment, PNG text chunk; PDF document info, XMP and an invisible text object),
  on marked page images also as a faint pattern in the pixels that outlives stripped metadata,
  re-compression and cropping (``read_pattern``), and into the audit row of the download, so that a leaked copy leads back to it
  (``read_mark`` here, ``archive_store.audit``'s filter on the id).

Pure functions over bytes; the web's serving routes call them and record the audit row.
"""

from __future__ import annotations

import io
import math
import re
import secrets
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# Metadata key of the identifier in every format (PNG text chunk, PDF document info).
KEY = "HandoverMark"
MARK_ID = re.compile(r"[0-9a-f]{12}")
_LABEL = "水印编号"
_ANGLE = 30  # degrees, counter-clockwise: the usual slant of a 水印
_GREY = 96  # level of the visible mark's ink
_OPACITY = 0.22  # of the ink: the page stays readable underneath
_IN_TEXT = re.compile(rf"{_LABEL}[:：]?\s*([0-9a-f]{{12}})|{KEY}[:=]\s*([0-9a-f]{{12}})")


def new_mark_id() -> str:
    """12 hex digits (48 random bits): unique enough per download, short enough to read out."""
    return secrets.token_hex(6)


@dataclass(frozen=True)
class Mark:
    viewer: str  # display name and account, e.g. "刘社工（comm_a）"
    organisation: str
    at: str  # local date and time as shown, e.g. "2026-12-04 18:40"
    request_no: int | None  # the approved 查阅/外借 request the read rests on
    mark_id: str

    @property
    def lines(self) -> tuple[str, str]:
        """The visible text: who, then when and on which request."""
        when = self.at + (f" 申请第{self.request_no}号" if self.request_no else "")
        return f"{self.viewer} {self.organisation}".strip(), when

    @property
    def hidden_text(self) -> str:
        """What the PDF carries as invisible text: the identifier and the visible words (which the
        tiled image holds only as pixels), so that a search of a leaked copy's text finds both."""
        return " ".join((f"{_LABEL} {self.mark_id}", *self.lines))


def visible_for(custodian: bool, custodians_see_it: bool) -> bool:
    """Everyone's copies carry the visible mark; the custodians' (archive staff and admins,
    ``read_rule.Reader.custodian``) only when configured so."""
    return not custodian or custodians_see_it


# ---------------------------------------------------------------- page images


@lru_cache(maxsize=8)
def _image_font(size: int):
    from handover.errors import Unavailable
    from ocr.fonts import font

    for kind in ("sans", "kai"):  # Noto Sans CJK SC; the Kai face where Noto is not installed
        try:
            return font(kind, size)
        except OSError:
            continue
    raise Unavailable("未找到绘制水印的中文字体：请安装 fonts-noto-cjk 或 fonts-arphic-gkai00mp（make install）")


def _tile(lines: tuple[str, ...], size: int):
    """The mark's text once, rotated: an "L" image whose values are the ink's coverage, and the
    size of the text block before the rotation (what the lattice of ``_grid`` is spaced by)."""
    from PIL import Image, ImageDraw

    font = _image_font(size)
    widths = [font.getlength(line) for line in lines]
    pad = size
    block = Image.new("L", (int(max(widths)) + 2 * pad, int(len(lines) * size * 1.4) + 2 * pad), 0)
    draw = ImageDraw.Draw(block)
    for i, line in enumerate(lines):
        draw.text((pad, pad + i * size * 1.4), line, fill=255, font=font)
    return block.rotate(_ANGLE, expand=True, resample=Image.BICUBIC), block.size


# The visible words change with the minute: a reader paging through a volume gets the same
# coverage for every page of a size, drawn once (~9 MB per A4 page at 300 dpi, hence so few).
@lru_cache(maxsize=4)
def _ink_mask(width: int, height: int, lines: tuple[str, ...]):
    """The whole page's coverage: the rotated text tiled over it, scaled by the opacity."""
    from PIL import Image, ImageChops

    size = max(8, round(min(width, height) / 40))
    tile, block = _tile(lines, size)
    tile = tile.point(lambda v: round(v * _OPACITY))
    mask = Image.new("L", (width, height), 0)
    tw, th = tile.size
    for x, y in _grid(width, height, block, tile.size, size):
        # the rotated tiles' corners overlap: keep the stronger coverage, never blend them away
        box = (x, y, x + tw, y + th)
        mask.paste(ImageChops.lighter(mask.crop(box), tile), box)
    return mask


def _grid(width: float, height: float, block: tuple[float, float], tile: tuple[float, float], size: float):
    """Top-left corners (y downwards) of the rotated tiles over a page: their centres on a lattice
    turned by the mark's angle, a text's width apart along the slant and every other row shifted
    by half a step, so that the lines never run into each other and the edges are covered too."""
    bw, bh = block
    tw, th = tile
    a = math.radians(_ANGLE)
    along, across = (math.cos(a), -math.sin(a)), (math.sin(a), math.cos(a))
    step_u, step_v = bw + 2 * size, bh * 1.5
    reach = math.hypot(width, height) / 2 + max(tw, th)
    n_u, n_v = math.ceil(reach / step_u) + 1, math.ceil(reach / step_v) + 1
    for j in range(-n_v, n_v + 1):
        for i in range(-n_u, n_u + 1):
            u, v = (i + (j % 2) / 2) * step_u, j * step_v
            cx = width / 2 + u * along[0] + v * across[0]
            cy = height / 2 + u * along[1] + v * across[1]
            x, y = cx - tw / 2, cy - th / 2
            if x < width and y < height and x + tw > 0 and y + th > 0:
                yield round(x), round(y)


def mark_image(data: bytes, mark: Mark, *, visible: bool) -> tuple[bytes, str]:
    """A page image with the visible mark (if ``visible``) and the identifier in its metadata.
    JPEG stays JPEG and PNG stays PNG; anything else is served as PNG. Returns (bytes, media type).
    Without the visible mark the pixels are not decoded at all: the stored bytes with one
    metadata segment added, so a custodian's working view loses nothing to re-compression."""
    from PIL import Image

    if data.startswith(_JPEG) and not visible:
        return _tag_jpeg(data, mark.mark_id), "image/jpeg"
    if data.startswith(_PNG) and not visible:
        return _tag_png(data, mark.mark_id), "image/png"
    img = Image.open(io.BytesIO(data))
    fmt, dpi = img.format, img.info.get("dpi", (300, 300))
    img.load()
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    if visible:
        ink = Image.new(img.mode, img.size, _GREY if img.mode == "L" else (_GREY,) * 3)
        img.paste(ink, (0, 0), _ink_mask(img.width, img.height, mark.lines))
        img = _with_pattern(img, mark.mark_id)
    out = io.BytesIO()
    if fmt == "JPEG":
        img.save(out, "JPEG", quality=90, dpi=dpi)
        return _tag_jpeg(out.getvalue(), mark.mark_id), "image/jpeg"
    img.save(out, "PNG", dpi=dpi)
    return _tag_png(out.getvalue(), mark.mark_id), "image/png"


# The identifier in the pixels too, for a copy whose metadata was stripped: 80 bits (the id's 48
# and their CRC-32) as cells of 8×8 pixels lightened or darkened by 3 levels, the block of 8×10
# cells repeated over the page. Not to be seen on a page's paper; it survives re-compression
# (JPEG quality 50) and cropping, not rescaling (a screenshot at another zoom, a photograph) —
# the visible mark is for those.
_CELL, _COLS, _ROWS, _AMP = 8, 8, 10, 3


def _pattern_bits(mark_id: str):
    import binascii

    import numpy as np

    raw = bytes.fromhex(mark_id)
    return np.unpackbits(np.frombuffer(raw + binascii.crc32(raw).to_bytes(4, "big"), np.uint8)).reshape(_ROWS, _COLS)


def _with_pattern(img, mark_id: str):
    import numpy as np
    from PIL import Image, ImageChops

    bits = _pattern_bits(mark_id)
    w, h = img.size
    layers = []
    for cells in (bits, 1 - bits):  # the cells lightened, then those darkened
        block = np.kron(cells.astype(np.uint8) * _AMP, np.ones((_CELL, _CELL), np.uint8))
        full = np.tile(block, (-(-h // block.shape[0]), -(-w // block.shape[1])))[:h, :w]
        layer = Image.fromarray(np.ascontiguousarray(full), "L")
        layers.append(layer if img.mode == "L" else Image.merge(img.mode, (layer,) * len(img.mode)))
    return ImageChops.subtract(ImageChops.add(img, layers[0]), layers[1])  # both clip at 0 and 255


def read_pattern(img) -> str | None:
    """The identifier from the pixels of a marked page (``_with_pattern``), cropped or not:
    the page folded onto one block (the median per position, so the text does not weigh), then
    each of the block's shifts tried until one's 80 bits check (a false find: ~1 in 10⁶)."""
    import binascii

    import numpy as np

    gray = np.asarray(img.convert("L"), np.float32)
    ph, pw = _ROWS * _CELL, _COLS * _CELL
    h, w = gray.shape[0] - gray.shape[0] % ph, gray.shape[1] - gray.shape[1] % pw
    if h < 2 * ph or w < 2 * pw:
        return None
    blocks = gray[:h, :w].reshape(h // ph, ph, w // pw, pw).transpose(1, 3, 0, 2).reshape(ph, pw, -1)
    fold = np.median(blocks, axis=2)
    fold -= fold.mean()
    for dy in range(ph):
        for dx in range(pw):
            cells = np.roll(fold, (-dy, -dx), axis=(0, 1)).reshape(_ROWS, _CELL, _COLS, _CELL).mean(axis=(1, 3))
            data = np.packbits((cells > 0).astype(np.uint8).ravel()).tobytes()
            if binascii.crc32(data[:6]).to_bytes(4, "big") == data[6:]:
                return data[:6].hex()
    return None


_JPEG, _PNG = b"\xff\xd8", b"\x89PNG\r\n\x1a\n"


def _tag_jpeg(data: bytes, mark_id: str) -> bytes:
    """A COM segment with the identifier, after the APPn segments (JFIF/Exif must come first)."""
    pos = 2
    while data[pos] == 0xFF and 0xE0 <= data[pos + 1] <= 0xEF:
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    payload = f"{KEY}={mark_id}".encode()
    return data[:pos] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + data[pos:]


def _tag_png(data: bytes, mark_id: str) -> bytes:
    """A tEXt chunk with the identifier, right after the IHDR chunk."""
    import zlib

    end = 8 + 8 + int.from_bytes(data[8:12], "big") + 4  # signature, IHDR (length, type, data, CRC)
    body = b"tEXt" + KEY.encode() + b"\0" + mark_id.encode()
    chunk = (len(body) - 4).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
    return data[:end] + chunk + data[end:]


# ---------------------------------------------------------------- PDF


def _hidden_text(c, x: float, y: float, text: str, fonts, size: float) -> None:
    """``text`` as invisible text from (x, y), each character in a face that has it (rare name
    characters of a viewer)."""
    runs: list[tuple[str, str]] = []
    for ch in text:
        face = fonts.font_for(ch)
        if runs and runs[-1][0] == face:
            runs[-1] = (face, runs[-1][1] + ch)
        else:
            runs.append((face, ch))
    t = c.beginText(x, y)
    t.setTextRenderMode(3)
    for face, run in runs:
        t.setFont(face, size)
        t.textOut(run)
    c.drawText(t)


_PDF_SCALE = 3  # pixels of the mark's tile per point: 216 dpi, sharp when printed


def _overlay(width: float, height: float, mark: Mark, visible: bool) -> bytes:
    """One page of the given size holding the mark: the tiled text (if ``visible``) as one
    semi-transparent image drawn many times — an image, so that copying or extracting the page's
    text gets the page's words and not the mark's characters scattered among them — and the
    mark's words with its identifier as invisible text (render mode 3: extractable, never drawn)."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from docgen.pdffont import cover

    fonts = cover(mark.hidden_text)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height), invariant=1)
    if visible:
        size = max(8.0, min(width, height) / 40)
        coverage, (bw, bh) = _tile(mark.lines, round(size * _PDF_SCALE))
        alpha = coverage.point(lambda v: round(v * _OPACITY))
        tile = Image.merge("LA", (Image.new("L", coverage.size, _GREY), alpha)).convert("RGBA")
        reader = ImageReader(tile)
        tw, th = coverage.width / _PDF_SCALE, coverage.height / _PDF_SCALE
        for x, y in _grid(width, height, (bw / _PDF_SCALE, bh / _PDF_SCALE), (tw, th), size):
            c.drawImage(reader, x, height - y - th, tw, th, mask="auto")
    _hidden_text(c, 4, 4, mark.hidden_text, fonts, 6)
    c.showPage()
    c.save()
    return buf.getvalue()


def mark_pdf_file(source: Path, out: Path, mark: Mark, *, visible: bool) -> None:
    """Write ``source`` with the mark over every page to ``out`` (one overlay per page size, shared
    as a form XObject) and the identifier in its document info and XMP. The pages' own content,
    and so their text layer, is kept as it was. File to file: qpdf reads each page's streams from
    ``source`` as it writes them, so what is held in memory does not grow with the volume's pages
    (a 60-page volume PDF is ~50 MB of scans)."""
    import pikepdf

    with pikepdf.open(source) as pdf:
        forms: dict[tuple[float, float], pikepdf.Object] = {}
        sources = []  # the overlay documents stay open until the save copies from them
        for page in pdf.pages:
            box = page.mediabox
            x0, y0, x1, y1 = (float(v) for v in box)
            size = (round(x1 - x0, 2), round(y1 - y0, 2))
            if size not in forms:
                src = pikepdf.open(io.BytesIO(_overlay(*size, mark, visible)))
                sources.append(src)
                forms[size] = pdf.copy_foreign(src.pages[0].as_form_xobject())
            page.add_overlay(forms[size], pikepdf.Rectangle(x0, y0, x1, y1))
        pdf.docinfo[pikepdf.Name("/" + KEY)] = mark.mark_id
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["xmpMM:InstanceID"] = f"{KEY}:{mark.mark_id}"
        pdf.save(out)
        for src in sources:
            src.close()


def mark_pdf(data: bytes, mark: Mark, *, visible: bool) -> bytes:
    """``mark_pdf_file`` on a PDF held in memory (a page's worth; tests)."""
    with tempfile.TemporaryDirectory(prefix="handover-mark-") as tmp:
        source, out = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        source.write_bytes(data)
        mark_pdf_file(source, out, mark, visible=visible)
        return out.read_bytes()


# ---------------------------------------------------------------- reading a copy back


def read_mark(data: bytes) -> str | None:
    """The identifier of a served copy (PDF, JPEG or PNG): from its metadata, else from the
    pattern in an image's pixels (``read_pattern``); None when it carries none."""
    if data.startswith(b"%PDF"):
        import pikepdf

        with pikepdf.open(io.BytesIO(data)) as pdf:
            value = str(pdf.docinfo.get("/" + KEY, ""))
        return value if MARK_ID.fullmatch(value) else None
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(data))
    except OSError:
        return None
    raw = img.info.get(KEY) or img.info.get("comment", b"")
    text = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
    found = text if MARK_ID.fullmatch(text) else mark_in_text(text)
    return found or read_pattern(img)


def mark_in_text(text: str) -> str | None:
    """The identifier in a PDF's extracted text (``pdftotext``: the invisible text object)."""
    found = _IN_TEXT.search(text)
    return next((g for g in found.groups() if g), None) if found else None


__all__ = ["KEY", "MARK_ID", "Mark", "mark_image", "mark_in_text", "mark_pdf", "mark_pdf_file", "new_mark_id",
           "read_mark", "read_pattern", "visible_for"]
