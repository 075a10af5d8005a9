"""Stage 2: make each page upright, straight and trimmed, and tell blank sides from content.

Orientation uses the text detector and the 0°/180° line classifier that ship with RapidOCR (they
work on Latin script as well); Tesseract's orientation check is unreliable on Chinese pages
(FIELD-NOTES.md). Skew is measured by projection profiles, which are exact to a few hundredths of
a degree on ruled forms and prose alike.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from . import models
from .records import SourcePage

ANALYSIS_SIDE = 1280  # long side of the copy the decisions are made on
NO_DESKEW_BELOW = 0.3  # degrees: leave the scan untouched (and its JPEG unrecompressed)


@dataclass
class Cleaned:
    image: np.ndarray  # RGB or grey, upright, deskewed, trimmed
    rotation: int  # clockwise degrees applied
    skew: float  # skew found in the scan (anticlockwise positive), removed if large enough
    blank: bool
    changed: bool  # pixels differ from the source image


def decode(page: SourcePage) -> np.ndarray:
    with Image.open(io.BytesIO(page.data)) as im:
        im = im.convert("L" if im.mode in ("1", "L", "I;16", "I") else "RGB")
        return np.asarray(im)


def ink_view(img: np.ndarray) -> np.ndarray:
    """Grey image for analysis and OCR, with red seals faded out.

    The red channel keeps black and blue ink dark while red stamp ink turns near-white, so seals
    stop hiding the dates and names they are pressed over.
    """
    if img.ndim == 2:
        return img
    r = img[..., 0].copy()
    # What is left of the stamp in the red channel is a light pink ring; lift it to paper white.
    red = (r.astype(np.int16) - np.maximum(img[..., 1], img[..., 2]).astype(np.int16)) > 60
    r[red] = 255
    return r


def _small(gray: np.ndarray, side: int = ANALYSIS_SIDE) -> tuple[np.ndarray, float]:
    scale = side / max(gray.shape)
    if scale >= 1:
        return gray, 1.0
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), scale


def _binary(gray: np.ndarray) -> np.ndarray:
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return bw


def _profile_score(bw: np.ndarray, angle: float) -> float:
    h, w = bw.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rot = cv2.warpAffine(bw, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    rows = rot.sum(axis=1, dtype=np.float64)
    return float(np.sum(np.diff(rows) ** 2))


def estimate_skew(gray: np.ndarray, limit: float = 10.0) -> float:
    """Skew of the text lines in degrees, anticlockwise positive (PIL ``rotate`` convention)."""
    small, _ = _small(gray, 1600)
    bw = _binary(small)
    if bw.mean() < 0.3:  # almost no ink: nothing to align
        return 0.0
    best = max(np.arange(-limit, limit + 0.01, 0.5), key=lambda a: _profile_score(bw, a))
    fine = max(np.arange(best - 0.5, best + 0.51, 0.05), key=lambda a: _profile_score(bw, a))
    # Rotating by +a straightens the page, so the page was skewed by -a.
    return round(-float(fine), 2)


def _boxes(gray_small: np.ndarray) -> list[np.ndarray]:
    engine = models.rapidocr()
    rgb = cv2.cvtColor(gray_small, cv2.COLOR_GRAY2BGR)
    boxes, _ = engine.text_det(rgb)
    return [] if boxes is None else list(boxes)


def _dims(box: np.ndarray) -> tuple[float, float]:
    return float(np.linalg.norm(box[0] - box[1])), float(np.linalg.norm(box[0] - box[3]))


def detect_orientation(gray: np.ndarray) -> int:
    """Clockwise rotation (0, 90, 180, 270) that makes the page upright."""
    small, _ = _small(gray)
    boxes = _boxes(small)
    wide = [b for b in boxes if _dims(b)[0] > 1.6 * _dims(b)[1]]
    tall = [b for b in boxes if _dims(b)[1] > 1.6 * _dims(b)[0]]
    turn = 0
    if len(tall) > len(wide):
        small = cv2.rotate(small, cv2.ROTATE_90_CLOCKWISE)
        turn = 90
        boxes = _boxes(small)
        wide = [b for b in boxes if _dims(b)[0] > 1.6 * _dims(b)[1]]
    if not wide:
        return turn
    wide = sorted(wide, key=lambda b: -_dims(b)[0])[:40]
    engine = models.rapidocr()
    crops = engine.get_crop_img_list(cv2.cvtColor(small, cv2.COLOR_GRAY2BGR), wide)
    _, votes, _ = engine.text_cls(crops)
    flipped = sum(s for label, s in votes if label == "180")
    upright = sum(s for label, s in votes if label == "0")
    return (turn + 180) % 360 if flipped > upright else turn


def rotate_quarter(img: np.ndarray, clockwise: int) -> np.ndarray:
    code = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}.get(clockwise)
    return img if code is None else cv2.rotate(img, code)


def _paper(img: np.ndarray) -> tuple[int, ...] | int:
    edge = np.concatenate([img[:20].reshape(-1, *img.shape[2:]), img[-20:].reshape(-1, *img.shape[2:])])
    med = np.median(edge, axis=0)
    return tuple(int(v) for v in med) if img.ndim == 3 else int(med)


def deskew(img: np.ndarray, skew: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -skew, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=_paper(img))


def dark_border(gray: np.ndarray, level: int = 80, depth: float = 0.08) -> tuple[int, int, int, int]:
    """Width of the black scanner-lid margins (top, bottom, left, right) to trim; never content."""
    h, w = gray.shape

    def run(lines) -> int:
        n = 0
        for line in lines:
            if np.mean(line) >= level:
                break
            n += 1
        return n
    lim_h, lim_w = int(h * depth), int(w * depth)
    top = run(gray[i] for i in range(lim_h))
    bottom = run(gray[h - 1 - i] for i in range(lim_h))
    left = run(gray[:, i] for i in range(lim_w))
    right = run(gray[:, w - 1 - i] for i in range(lim_w))
    return top, bottom, left, right


def is_blank(gray: np.ndarray) -> bool:
    """No ink beyond specks, and no faint structure either (a washed-out page is not blank)."""
    half = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    _, bw = cv2.threshold(half, 150, 255, cv2.THRESH_BINARY_INV)
    n, _, stats, _ = cv2.connectedComponentsWithStats(bw, connectivity=8)
    ink = int(stats[1:, cv2.CC_STAT_AREA][stats[1:, cv2.CC_STAT_AREA] >= 40].sum()) if n > 1 else 0
    if ink / bw.size > 0.0008:
        return False
    coarse = cv2.resize(cv2.medianBlur(half, 5), (32, 45), interpolation=cv2.INTER_AREA)
    return float(coarse.std()) < 6.0


def clean(page: SourcePage) -> Cleaned:
    img = decode(page)
    gray = ink_view(img)
    blank = is_blank(gray)
    if blank:
        return Cleaned(img, 0, 0.0, True, False)
    rotation = detect_orientation(gray)
    if rotation:
        img = rotate_quarter(img, rotation)
        gray = ink_view(img)
    skew = estimate_skew(gray)
    changed = bool(rotation)
    if abs(skew) >= NO_DESKEW_BELOW:
        img = deskew(img, skew)
        changed = True
    t, b, l, r = dark_border(ink_view(img))
    if t or b or l or r:
        img = img[t:img.shape[0] - b, l:img.shape[1] - r]
        changed = True
    return Cleaned(img, rotation, skew, False, changed)


def encode_jpeg(img: np.ndarray, dpi: int, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=quality, dpi=(dpi, dpi), optimize=True)
    return buf.getvalue()


def despeckle(gray: np.ndarray, max_area: int = 60, reach: int = 25) -> np.ndarray:
    """OCR input only: white out small isolated specks (scanner dust), keep punctuation.

    A speck is a small blob with no larger ink within ``reach`` pixels; a full stop or 、 sits
    next to its characters and survives. The published page image is never despeckled.
    """
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bw, connectivity=8)
    if n <= 1:
        return gray
    small = stats[:, cv2.CC_STAT_AREA] < max_area
    small[0] = False
    big_mask = (~small[labels]) & (bw > 0)
    near = cv2.dilate(big_mask.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1,) * 2))
    specks = small[labels] & (near == 0)
    out = gray.copy()
    out[specks] = 255
    return out


def remove_rules(gray: np.ndarray, min_len: int = 150) -> np.ndarray:
    """OCR input only: white out long table rules, which Tesseract's layout analysis reads as
    text-line garbage and which split its lines on ruled forms."""
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    horiz = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (min_len, 1)))
    vert = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, min_len)))
    rules = cv2.dilate(cv2.bitwise_or(horiz, vert), np.ones((3, 3), np.uint8))
    out = gray.copy()
    out[rules > 0] = 255
    return out


def ocr_view(img: np.ndarray) -> np.ndarray:
    """The grey image the OCR engines read: seals faded, specks and table rules removed."""
    return remove_rules(despeckle(ink_view(img)))
