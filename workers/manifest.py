"""The optional manifest CSV of a batch: per ID number, the name, receiving place, profile and
whether the dossier is 补充材料 (column 补充材料: 是).

Headers are matched tolerantly (Chinese or English, spaces and brackets ignored); the file may be
UTF-8 (with or without BOM) or GB18030. Rows without a valid ID number are reported, not fatal.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from handover import idnumber
from handover.errors import InputRefused

MANIFEST_NAMES = ("manifest.csv", "清单.csv", "档案清单.csv")

_ALIASES = {
    "id_number": ("公民身份号码", "身份证号码", "身份证号", "社会保障号码", "idnumber", "id"),
    "name": ("姓名", "name"),
    "county": ("接收区县", "区县", "县(市、区)", "county"),
    "street": ("接收街道", "街道", "街道(乡镇)", "street"),
    "community": ("接收社区", "社区", "社区(村)", "community"),
    "code": ("区划代码", "社区代码", "统计用区划代码", "code"),
    "profile": ("政策配置", "地区", "profile", "region"),
    "supplement": ("补充材料", "supplement"),
}
_YES = {"是", "y", "yes", "1", "true", "√", "✓"}


class ManifestError(InputRefused):
    """The manifest file cannot be read; ``str(err)`` is a Chinese message."""


def _norm(header: str) -> str:
    return re.sub(r"[\s*（）()_\-]", "", header.strip().lower().replace("（", "(").replace("）", ")"))


_LOOKUP = {_norm(a): key for key, aliases in _ALIASES.items() for a in aliases}


def column_of(header: str) -> str | None:
    """The field a header names; a bracketed note such as （必填） is ignored."""
    return _LOOKUP.get(_norm(header)) or _LOOKUP.get(_norm(re.sub(r"[（(][^）)]*[）)]", "", header)))


@dataclass(frozen=True)
class ManifestRow:
    id_number: str
    name: str = ""
    destination: dict | None = None
    profile: str = ""
    supplement: bool = False  # 补充材料 of a person already filed


@dataclass
class Manifest:
    rows: dict[str, ManifestRow] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def get(self, id_number: str) -> ManifestRow | None:
        return self.rows.get(id_number)


def find_manifest(batch_dir: Path) -> Path | None:
    for name in MANIFEST_NAMES:
        if (batch_dir / name).is_file():
            return batch_dir / name
    return None


def _decode(raw: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ManifestError("清单文件编码无法识别（应为 UTF-8 或 GB18030）")


def read_manifest(path: Path) -> Manifest:
    out = Manifest()
    reader = csv.reader(io.StringIO(_decode(Path(path).read_bytes())))
    header = next(reader, None)
    if not header:
        out.problems.append("清单文件为空")
        return out
    columns = {i: column_of(h) for i, h in enumerate(header)}
    if "id_number" not in columns.values():
        out.problems.append("清单缺少“公民身份号码”列")
        return out
    for line, cells in enumerate(reader, 2):
        values = {columns[i]: c.strip() for i, c in enumerate(cells) if columns.get(i) and c.strip()}
        if not values:
            continue
        try:
            number = idnumber.parse(values.get("id_number", "")).number
        except idnumber.IdNumberError as err:
            out.problems.append(f"清单第{line}行：公民身份号码无效（{err}）")
            continue
        dest = None
        if values.get("county") and values.get("street") and values.get("community"):
            dest = {"county": values["county"], "street": values["street"], "community": values["community"],
                    "code": values.get("code") or None}
        elif any(values.get(k) for k in ("county", "street", "community")):
            out.problems.append(f"清单第{line}行：接收地应同时填写区县、街道和社区，已忽略该行的接收地")
        out.rows[number] = ManifestRow(number, values.get("name", ""), dest, values.get("profile", ""),
                                       values.get("supplement", "").lower() in _YES)
    return out
