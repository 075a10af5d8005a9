"""Plain input records of the archive-side documents (卷内目录, 备考表, 案卷目录/台账, 书面说明).

The archive and completeness packages fill these; docgen only renders them. Dates are
``datetime.date`` or ``None`` (printed blank); nothing here touches a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

RECEIVED, NOT_RECEIVED = "received", "not_received"


@dataclass(frozen=True)
class MaterialEntry:
    """One line of a 卷内目录 (a material in the volume)."""

    class_code: str  # 类号: 一 … 十, or 四-1, 九-2
    title: str  # 材料名称
    formed_on: dt.date | None = None  # 材料形成(制成)时间
    copies: int = 1  # 份数
    pages: int = 0  # 页数
    remarks: str = ""


@dataclass(frozen=True)
class VolumeRecord:
    """One retiree's volume (案卷) as kept by the archive: a row of the 案卷目录 / 台账."""

    ref_no: str  # 档号
    volume_no: int  # 案卷号, sequential within the community
    name: str
    sex: str
    birth_date: dt.date | None
    id_number: str
    former_employer: str
    community: str  # 社区 label (county + street + community)
    pages: int  # counted content pages
    materials: list[MaterialEntry] = field(default_factory=list)
    received_on: dt.date | None = None  # 接收日期
    storage_location: str = ""  # 存放位置
    retention: str = "永久"  # 保管期限
    start: dt.date | None = None  # 起止日期 of the materials
    end: dt.date | None = None
    remarks: str = ""

    @property
    def material_count(self) -> int:
        return sum(m.copies for m in self.materials) if self.materials else 0

    @property
    def title(self) -> str:
        return f"{self.name}人事档案"


@dataclass(frozen=True)
class NoteSheet:
    """备考表 (GB/T 9705-2008): placed after the volume's last material."""

    ref_no: str
    name: str
    total_pages: int
    material_count: int
    explanation: list[str] = field(default_factory=list)  # 缺损、修改、补充、移出 …
    missing: list[str] = field(default_factory=list)  # 必要材料 missing (see the 书面说明)
    transferor: str = ""  # 移交单位
    received_on: dt.date | None = None
    compiler: str = ""  # 立卷人
    checker: str = ""  # 检查人
    compiled_on: dt.date | None = None  # 立卷时间


@dataclass(frozen=True)
class MissingItem:
    """A required material that cannot be supplied: one row of the 档案材料缺失情况说明."""

    name: str  # retiree
    id_number: str
    material: str  # 材料名称
    reason: str  # 原因
    remarks: str = ""


@dataclass(frozen=True)
class MissingStatement:
    """档案材料缺失情况说明 (书面说明) for the enterprise to sign and stamp."""

    enterprise: str
    items: list[MissingItem]
    receiver: str = ""  # the archive department it is addressed to
    dated: dt.date | None = None
    number: str = ""  # 书面说明编号, printed under the title and cited in the roster's 备注


@dataclass(frozen=True)
class ReceiptLine:
    """What the receiving archive found for one person of the 档案移交名册表 (keyed by ID number).

    Filled after digitization by the reconciliation of the roster with the published volumes;
    ``docgen.documents.archive_transfer_rosters`` prints it in place of the declared figures:

    * ``status`` — ``RECEIVED``, or ``NOT_RECEIVED``: the person is listed apart under 未接收 (with
      the declared figures, outside the 合计 of what was received);
    * ``volumes`` / ``pages`` — received 卷数 / 页数 (counted content pages); None keeps the declared
      figure of the roster;
    * ``remark`` — the 备注 (缺失材料, 书面说明编号 …); empty leaves the 备注 drafted from the check.

    A person without a ``ReceiptLine`` is printed as before digitization: the declared figures.
    """

    status: Literal["received", "not_received"] = RECEIVED
    volumes: int | None = None
    pages: int | None = None
    remark: str = ""
