"""Problems found in a roster: where (row, column), what (code) and why (Chinese message)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "错误"
    WARNING = "提示"


@dataclass(frozen=True)
class Problem:
    row: int | None  # 1-based row in the file (None: the whole file)
    column: str  # header as written in the file, with its Excel letter: "性别(D列)"
    code: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def where(self) -> str:
        row = f"第{self.row}行" if self.row else "整个文件"
        return f"{row} {self.column}".strip()

    def as_dict(self) -> dict:
        return {**asdict(self), "severity": self.severity.value}


# Codes (stable identifiers for programs; messages are for people).
FILE = "file"
MISSING_COLUMN = "missing_column"
MISSING_VALUE = "missing_value"
BAD_VALUE = "bad_value"
ID_INVALID = "id_invalid"
ID_NUMERIC = "id_numeric"
ID_MISMATCH = "id_mismatch"
ID_AREA = "id_area_unknown"
ID_UPGRADED = "id_upgraded"
DATE_IMPOSSIBLE = "date_impossible"
SPECIAL_AGE = "special_age_mismatch"  # 七十以上高龄 ticked or not, against the birth date
MERGED = "merged_cell"
FORMULA = "formula"
DUPLICATE_IN_FILE = "duplicate_in_file"
DUPLICATE_OTHER_ENTERPRISE = "duplicate_other_enterprise"
ALREADY_IMPORTED = "already_imported"
ADDRESS_INCOMPLETE = "address_incomplete"
COMMUNITY_UNREGISTERED = "community_unregistered"  # held until an admin confirms the community
COMMUNITY_REJECTED = "community_rejected"
EMPTY = "empty"
