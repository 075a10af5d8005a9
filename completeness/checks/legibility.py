"""Legibility (pure): pages OCR could not read, resolution and colour mode within the batch,
skew left after cleaning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..findings import Finding, finding
from ..volume import Page


@dataclass(frozen=True)
class LegibilityLimits:
    min_chars: int = 5  # fewer recognised characters on a non-blank page: unreadable
    min_confidence: float = 0.6  # mean OCR confidence below this: unreadable
    warn_confidence: float = 0.85  # below this: a person should look at the page
    min_density: float = 2.0  # recognised characters per 100 cm² below this (with ink): unreadable
    min_dpi: int = 200  # DA/T 31-2017 §9: ≥ 200 dpi
    max_residual_skew: float = 1.0  # degrees (practice: deskew < 1°)


LIMITS = LegibilityLimits()
_MODE_LABELS = {"RGB": "彩色", "L": "灰度", "1": "黑白二值"}


def text_chars(page: Page) -> int:
    return sum(1 for ch in page.text if not ch.isspace())


def density(page: Page) -> float | None:
    """Recognised characters per 100 cm² of paper, or None without size and resolution."""
    if not (page.width and page.height and page.dpi):
        return None
    area_cm2 = (page.width / page.dpi * 2.54) * (page.height / page.dpi * 2.54)
    return text_chars(page) / area_cm2 * 100 if area_cm2 else None


def check_unreadable(pages: Sequence[Page], limits: LegibilityLimits = LIMITS) -> list[Finding]:
    out = []
    for p in pages:
        if p.blank or p.duplicate_of is not None:
            continue
        chars, dens = text_chars(p), density(p)
        where = f"第{p.index}幅图像" + (f"（第{p.page_no}页）" if p.page_no else "")
        if chars < limits.min_chars or p.confidence < limits.min_confidence or (
                dens is not None and dens < limits.min_density):
            out.append(finding("unreadable_page",
                               f"{where}几乎无法辨认（识别出{chars}个字，可信度{p.confidence:.2f}）。"
                               "请核对原件并重新扫描；原件本身无法辨认的，须由移交单位书面说明。", page=p.index))
        elif p.confidence < limits.warn_confidence:
            out.append(finding("low_confidence_page",
                               f"{where}识别可信度较低（{p.confidence:.2f}），请人工核对文字是否清楚。", page=p.index))
    return out


def check_resolution(pages: Sequence[Page], limits: LegibilityLimits = LIMITS) -> list[Finding]:
    out = []
    for p in pages:
        if p.dpi and p.dpi < limits.min_dpi:
            out.append(finding("low_resolution", f"第{p.index}幅图像分辨率为{p.dpi}dpi，低于200dpi的最低要求，请重新扫描。",
                               page=p.index))
    dpis = Counter(p.dpi for p in pages if p.dpi)
    if len(dpis) > 1:
        usual = dpis.most_common(1)[0][0]
        odd = [p.index for p in pages if p.dpi and p.dpi != usual]
        out.append(finding("mixed_resolution",
                           f"同一卷扫描分辨率不一致：多数为{usual}dpi，第{_list(odd)}幅图像不同。同一批档案应采用相同的扫描参数。",
                           page=odd[0] if len(odd) == 1 else None))
    return out


def check_colour_modes(pages: Sequence[Page]) -> list[Finding]:
    modes = Counter(p.mode for p in pages if p.mode and not p.blank)
    if len(modes) <= 1:
        return []
    usual = modes.most_common(1)[0][0]
    odd = [p.index for p in pages if p.mode and not p.blank and p.mode != usual]
    return [finding("mixed_colour_mode",
                    f"同一卷色彩模式不一致：多数为{_MODE_LABELS.get(usual, usual)}，第{_list(odd)}幅图像不同。"
                    "带红头、印章、照片的页面须彩色扫描。", page=odd[0] if len(odd) == 1 else None)]


def check_residual_skew(pages: Sequence[Page], limits: LegibilityLimits = LIMITS) -> list[Finding]:
    return [finding("residual_skew", f"第{p.index}幅图像纠偏后仍倾斜{abs(p.residual_skew):.1f}°（应小于1°），请重新纠偏或扫描。",
                    page=p.index)
            for p in pages if p.residual_skew is not None and not p.blank and text_chars(p) >= limits.min_chars
            and abs(p.residual_skew) >= limits.max_residual_skew]


def _list(indices: list[int]) -> str:
    shown = "、".join(str(i) for i in indices[:10])
    return shown + ("等" if len(indices) > 10 else "")
