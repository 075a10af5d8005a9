"""档号 (archival reference numbers) — formatting and file names (pure functions).

DA/T 13-2022: "-" separates levels, "·" separates parts inside a level. The canonical 档号 is
kept in the catalog; object keys use ``ref_no_to_filename`` (``·`` → ``.``), which is
deterministic and reversible for the characters a 档号 contains.
"""

from __future__ import annotations

import re
import string
import unicodedata

from handover.errors import InputRefused

DEFAULT_FORMAT = "{fonds}-TX·{community_code}-{volume_no:04d}"
_FIELDS = {"fonds", "community_code", "volume_no"}
_SAFE = re.compile(r"[0-9A-Za-z\u4e00-\u9fff.\-]+")


class NumberingError(InputRefused):
    pass


def check_format(fmt: str) -> None:
    """Refuse a 档号 format with unknown fields or without the volume number."""
    names = {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(fmt) if name}
    unknown = names - _FIELDS
    if unknown:
        raise NumberingError(f"档号格式含未知字段：{'、'.join(sorted(unknown))}（可用 fonds、community_code、volume_no）")
    if "volume_no" not in names:
        raise NumberingError("档号格式必须包含案卷号 {volume_no}")


def format_ref_no(fmt: str, fonds: str, community_code: str, volume_no: int) -> str:
    """The canonical 档号, e.g. ``J410-TX·410105001001-0037``."""
    if volume_no < 1:
        raise NumberingError("案卷号从1开始")
    check_format(fmt)
    ref = fmt.format(fonds=fonds, community_code=community_code, volume_no=volume_no)
    return unicodedata.normalize("NFC", ref)


def ref_no_to_filename(ref_no: str) -> str:
    """File/object-name form of a 档号: ``·`` (and its look-alikes) → ``.``; nothing else changes."""
    name = ref_no.replace("·", ".").replace("・", ".").replace("•", ".")
    if not _SAFE.fullmatch(name) or name in {".", ".."}:
        raise NumberingError(f"档号“{ref_no}”含有不能用于文件名的字符")
    return name


def filename_to_ref_no(name: str) -> str:
    return name.replace(".", "·")


def page_image_name(ref_no: str, index: int, suffix: str = ".jpg") -> str:
    """``pages/<档号>-0001.jpg`` — DA/T 31-2017: 档号 + 图像流水号."""
    return f"{ref_no_to_filename(ref_no)}-{index:04d}{suffix}"


def fallback_community_code(community_id: int) -> str:
    """Used when a community has no 12-digit 统计用区划代码: stable, never reused."""
    return f"SQ{community_id:06d}"
