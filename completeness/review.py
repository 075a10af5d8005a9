"""The 校对 (proofreading) queue: values the machine is unsure of, for archive staff to confirm.

A check lists a ``ReviewItem`` for every value it could not trust (a low-confidence handwritten
name, an ID number whose check digit fails, a three-digit year, a material boundary it could not
place, an unread page number, a value crossed out and corrected …). Archive staff confirm or
correct each one; the corrections come back into ``run_checks`` as ``Corrections`` (item key →
value) and take the place of what the machine read. The outcome is final only when no item is
left open, or staff waived the rest.

Keys are ``"<field>:<image index>"`` (``"name:3"``, ``"formed_on:12"``): stable across re-checks
of the same volume, so a correction keeps applying after the volume is checked again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# What a value is, and the label archive staff see beside it.
FIELDS: dict[str, str] = {
    "name": "姓名",
    "id_number": "身份证号码",
    "birth": "出生年月",
    "sex": "性别",
    "formed_on": "材料形成时间",
    "title": "材料名称",
    "boundary": "材料起始页",
    "page_no": "原件页号",
    "identity": "材料归属",
    "altered": "划改处",
}

Corrections = Mapping[str, str]


def key(field: str, page: int | None) -> str:
    return f"{field}:{page if page is not None else 0}"


@dataclass(frozen=True)
class ReviewItem:
    field: str  # one of FIELDS
    page: int | None  # 1-based image index in the volume (None: the whole volume)
    value: str  # what the machine read ("" when it read nothing)
    reason_zh: str  # why it needs a person, in Chinese
    box: tuple[int, int, int, int] | None = None  # pixels of the cleaned page image: the crop shown
    material: str | None = None  # the 卷内目录 title it belongs to

    @property
    def key(self) -> str:
        return key(self.field, self.page)

    @property
    def label(self) -> str:
        return FIELDS.get(self.field, self.field)


def open_items(items: list[ReviewItem], corrections: Corrections | None) -> list[ReviewItem]:
    """The items no correction has settled yet."""
    done = set(corrections or ())
    return [i for i in items if i.key not in done]
