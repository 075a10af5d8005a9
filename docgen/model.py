"""The document model shared by the DOCX and the PDF renderers of tabular documents.

A ``TableDocument`` is everything printed on a roster: title, one or more tables (``TableSection``,
e.g. the received and the 未接收 persons of one 街道(乡镇)), each with its header fields and rows,
the column set, totals, a note, the signature footer, the closing lines after the last table (the
receiving block of the 档案移交名册表) and the copies it is made in (一式四份, each labelled on every
page). Both
renderers take only this object, so the DOCX and the PDF of a document cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # "\n" breaks the header cell into lines, as on the seed forms
    width: float  # relative width (the renderers scale to the printable width)
    align: Align = "center"
    wrap: bool = True  # long text wraps to more lines; it is never cut
    numeric: bool = False  # counts (卷数, 页数): numbers in the XLSX, its totals a SUM formula


@dataclass
class TableSection:
    """One table: its header fields (单位名称, 移交街道 …), rows and totals."""

    fields: list[tuple[str, str]]
    rows: list[tuple[str, ...]]
    totals: tuple[str, ...] | None = None
    key: str = ""  # e.g. the community or street the table is for (manifest, file names)


@dataclass
class TableDocument:
    doc_type: str  # identifier of DOMAIN.md §1.2 (community_roster, archive_transfer_roster …)
    title: str
    columns: list[Column]
    sections: list[TableSection]
    note: str = ""
    footer: list[tuple[str, str]] = field(default_factory=list)  # 经办人, 经办时间, 单位签章 …
    copies: list[str] = field(default_factory=lambda: [""])  # copy labels; "" = single copy
    # lines after the last table and its note, e.g. the receiving block ("" = a blank line to write on)
    closing: list[str] = field(default_factory=list)
    orientation: Literal["portrait", "landscape"] = "landscape"
    template: str = ""  # template file stem in templates/docx/ (defaults to doc_type)
    community: str = ""  # for the manifest

    @property
    def row_count(self) -> int:
        """Data rows of one copy."""
        return sum(len(s.rows) for s in self.sections)

    def validate(self) -> None:
        width = len(self.columns)
        for section in self.sections:
            for row in section.rows:
                if len(row) != width:
                    raise ValueError(f"{self.doc_type}: row has {len(row)} cells, expected {width}")
            if section.totals is not None and len(section.totals) != width:
                raise ValueError(f"{self.doc_type}: totals have {len(section.totals)} cells")


def fields_line(fields: list[tuple[str, str]], gap: str = "　　") -> str:
    """``单位名称：X　　移交县(市、区)：Y`` (full-width colon, two ideographic spaces between)."""
    return gap.join(f"{label}：{value}" for label, value in fields)
