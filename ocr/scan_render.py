"""Rendering page layouts to images that look scanned: paper tone, ink, red seals, skew, speckle,
blur, JPEG. Every random choice comes from the caller's ``random.Random`` so output is repeatable."""

from __future__ import annotations

import io
import math
import random

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .fonts import covers, font, glyph_kind, ring_box, ring_width
from .layout import in_reading_order
from .scan_forms import H, W, Glyph, Layout, Rule, Seal, Text

PAPER = (246, 243, 234)
SEAL_RED = (205, 40, 45)
GRAPHITE = (112, 112, 116)  # pencilled page numbers


def draw(layout: Layout) -> Image.Image:
    img = Image.new("RGB", (W, H), PAPER)
    d = ImageDraw.Draw(img)
    seals = []
    for op in layout.ops:
        if isinstance(op, Rule):
            d.line([(op.x0, op.y0), (op.x1, op.y1)], fill=(40, 40, 40), width=op.width)
        elif isinstance(op, Text):
            if op.glyphs:
                for g in op.glyphs:
                    _glyph(img, d, op.kind, g, op.color)
            else:
                _typeset(d, op)
            if op.strike:
                _strike(d, op)
        elif isinstance(op, Seal):
            seals.append(op)
    for s in seals:
        img = _seal(img, s)
    return img


def _typeset(d: ImageDraw.ImageDraw, op: Text) -> None:
    """A typeset string; characters its face lacks are substituted one by one (see ``ocr.fonts``)."""
    if all(covers(op.kind, ch) for ch in op.text):
        d.text((op.x, op.y), op.text, font=font(op.kind, op.size), fill=op.color)
        return
    x = float(op.x)
    for ch in op.text:
        k = glyph_kind(op.kind, ch)
        if k is None:
            _ring(d, x, op.y, op.kind, op.size, op.color)
            x += ring_width(op.size)
        else:
            d.text((x, op.y), ch, font=font(k, op.size), fill=op.color)
            x += font(k, op.size).getlength(ch)


def _ring(d: ImageDraw.ImageDraw, x: float, y: float, kind: str, size: int, color) -> None:
    """The zero 〇 as a pen draws it: a ring in the box of the face's 口."""
    x0, y0, x1, y1 = ring_box(kind, size)
    d.ellipse([x + x0, y + y0, x + x1, y + y1], outline=color, width=max(2, round(size / 13)))


def _glyph(img: Image.Image, d: ImageDraw.ImageDraw, kind: str, g: Glyph, color) -> None:
    """One handwritten character: drawn into a mask at its ink density, slanted, laid on the page."""
    if g.ch.isspace():
        return
    k = glyph_kind(kind, g.ch)
    pad = g.size // 2
    side = g.size * 2
    mask = Image.new("L", (side, side), 0)
    md = ImageDraw.Draw(mask)
    ink = int(255 * g.pressure)
    if k is None:
        _ring(md, pad, pad, kind, g.size, ink)
    else:
        md.text((pad, pad), g.ch, font=font(k, g.size), fill=ink)
    if abs(g.angle) >= 0.3:
        mask = mask.rotate(g.angle, resample=Image.Resampling.BICUBIC, center=(pad + g.size / 2, pad + g.size / 2))
    img.paste(color, (g.x - pad, g.y - pad), mask)


def _strike(d: ImageDraw.ImageDraw, op: Text) -> None:
    """Crossed out: one or two pen strokes through the middle of the value."""
    x0, y0, x1, y1 = op.box
    h = y1 - y0
    w = max(3, op.size // 11)
    seed = sum(map(ord, op.text)) + op.x  # the strokes' slant, repeatable without the caller's rng
    tilt = ((seed % 7) - 3) * h * 0.04
    d.line([(x0 - 8, y0 + h * 0.5 + tilt), (x1 + 8, y0 + h * 0.5 - tilt)], fill=op.color, width=w)
    if seed % 2:
        d.line([(x0 - 6, y0 + h * 0.62 - tilt), (x1 + 10, y0 + h * 0.4 + tilt)], fill=op.color, width=w)


def pencil_number(img: Image.Image, number: int, rng: random.Random, kind: str = "kai") -> Image.Image:
    """The archive's page number, pencilled in grey graphite in the top-right corner of the sheet."""
    img = img.copy()
    s = str(number)
    size = rng.randint(70, 92)
    layer = Image.new("L", (size * (len(s) + 2), size * 2), 0)
    ld = ImageDraw.Draw(layer)
    ld.text((size // 2, size // 2), s, font=font(kind, size), fill=255)
    layer = layer.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BICUBIC)
    grain = np.asarray(layer, np.float32) * np.random.default_rng(rng.randrange(2**32)).uniform(
        0.45, 0.85, (layer.height, layer.width)).astype(np.float32)
    mask = Image.fromarray(grain.clip(0, 255).astype(np.uint8))
    x = W - 150 - rng.randint(60, 160) - layer.width // 2
    y = rng.randint(70, 150) - size // 2
    img.paste(GRAPHITE, (x, y), mask)
    return img


def _seal(img: Image.Image, s: Seal) -> Image.Image:
    """A round red stamp (name around the rim, star inside), multiplied over the ink like real ink."""
    size = 2 * s.r + 20
    layer = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(layer)
    c = size / 2
    d.ellipse([10, 10, size - 10, size - 10], outline=255, width=12)
    star = [(c + (s.r * 0.28 if k % 2 == 0 else s.r * 0.11) * math.sin(k * math.pi / 5),
             c - (s.r * 0.28 if k % 2 == 0 else s.r * 0.11) * math.cos(k * math.pi / 5)) for k in range(10)]
    d.polygon(star, fill=255)
    f = font("sans", int(s.r * 0.26))
    chars = list(s.text[:16])
    sweep = min(250.0, 22.0 * len(chars))
    for k, ch in enumerate(chars):
        ang = math.radians(-sweep / 2 + sweep * (k + 0.5) / len(chars))
        glyph = Image.new("L", (int(s.r * 0.34), int(s.r * 0.34)), 0)
        ImageDraw.Draw(glyph).text((0, 0), ch, font=f, fill=255)
        glyph = glyph.rotate(-math.degrees(ang), expand=True)
        gx = c + (s.r * 0.72) * math.sin(ang) - glyph.width / 2
        gy = c - (s.r * 0.72) * math.cos(ang) - glyph.height / 2
        layer.paste(255, (int(gx), int(gy)), glyph)
    arr = np.asarray(img).astype(np.float32)
    x0, y0 = s.cx - size // 2, s.cy - size // 2
    alpha = np.asarray(layer).astype(np.float32)[..., None] / 255 * 0.85
    region = arr[y0:y0 + size, x0:x0 + size]
    red = np.array(SEAL_RED, np.float32)
    region[:] = region * (1 - alpha) + np.minimum(region, red) * alpha
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def truth_text(layout: Layout) -> str:
    """What a perfect OCR reads on the clean page, in reading order (struck-through values left out)."""
    items = [(op.box, op.text) for op in layout.ops if isinstance(op, Text) and op.truth]
    return "\n".join(t for _, t in in_reading_order(items))


def blank_back(front: Image.Image | None, rng: random.Random) -> Image.Image:
    """The back of a sheet: paper with a faint mirrored show-through of the front."""
    img = Image.new("RGB", (W, H), PAPER)
    if front is not None:
        ghost = np.asarray(front.transpose(Image.Transpose.FLIP_LEFT_RIGHT).convert("L"), np.float32)
        paper = np.asarray(img, np.float32)
        fade = (255 - ghost)[..., None] * 0.07
        img = Image.fromarray((paper - fade).clip(0, 255).astype(np.uint8))
    return img


def unreadable(layout_img: Image.Image, rng: random.Random) -> Image.Image:
    """A page that cannot be read: water-stained, smeared and washed out."""
    img = layout_img.filter(ImageFilter.GaussianBlur(14))
    arr = np.asarray(img, np.float32)
    arr = 255 - (255 - arr) * 0.45
    yy, xx = np.mgrid[0:arr.shape[0]:8, 0:arr.shape[1]:8]
    stain = np.zeros(yy.shape, np.float32)
    for _ in range(5):
        cx, cy, r = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(300, 900)
        stain += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)) * rng.uniform(20, 45)
    stain = np.asarray(Image.fromarray(stain).resize((arr.shape[1], arr.shape[0]), Image.Resampling.BILINEAR))
    arr = arr - stain[..., None] * np.array([0.6, 0.8, 1.0], np.float32)
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def degrade(img: Image.Image, rng: random.Random, skew: float, rotation: int,
            speckle: int = 600, blur: float = 0.6) -> Image.Image:
    """Scanner effects. ``rotation`` is the clockwise turn that makes the result upright again."""
    arr = np.array(img)
    if skew:
        h, w = arr.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)  # anticlockwise, like PIL's rotate
        arr = cv2.warpAffine(arr, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=PAPER)
    nrng = np.random.default_rng(rng.randrange(2**32))
    # Sensor noise on a quarter-size field, scaled up: grain, at a fraction of the cost.
    noise = nrng.normal(0, 4, (arr.shape[0] // 4 + 1, arr.shape[1] // 4 + 1)).astype(np.float32)
    noise = cv2.resize(noise, (arr.shape[1], arr.shape[0]), interpolation=cv2.INTER_NEAREST)
    up = np.clip(noise, 0, 255).astype(np.uint8)
    down = np.clip(-noise, 0, 255).astype(np.uint8)
    if arr.ndim == 3:
        up, down = cv2.merge([up] * 3), cv2.merge([down] * 3)
    arr = cv2.subtract(cv2.add(arr, up), down)  # saturating uint8 arithmetic
    ys = nrng.integers(0, arr.shape[0], speckle)
    xs = nrng.integers(0, arr.shape[1], speckle)
    for y, x in zip(ys, xs):
        r = int(nrng.integers(1, 4))
        arr[max(0, y - r):y + r, max(0, x - r):x + r] = int(nrng.integers(20, 90))
    if blur:
        arr = cv2.GaussianBlur(arr, (0, 0), blur)
    if rotation == 90:  # the scan came in turned a quarter anticlockwise
        arr = cv2.rotate(arr, cv2.ROTATE_90_COUNTERCLOCKWISE)
    elif rotation == 180:
        arr = cv2.rotate(arr, cv2.ROTATE_180)
    elif rotation == 270:
        arr = cv2.rotate(arr, cv2.ROTATE_90_CLOCKWISE)
    return Image.fromarray(arr)


def jpeg(img: Image.Image, quality: int = 88, dpi: int = 300) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, dpi=(dpi, dpi))
    return buf.getvalue()
