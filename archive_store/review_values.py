"""The values of the 校对 queue (no database, no storage): checking and normalising what archive
staff type (``clean_value``; a refused value raises ``ReviewError``, the Chinese reason every
review module gives), showing a value (ID numbers masked for roles that see no full IDs), and a
page's indexed text with the corrected values in place of the machine's readings
(``indexed_text``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from completeness.checks import alterations
from completeness.review import FIELDS
from handover import clock, disclosure, idnumber
from handover.errors import InputRefused

from .tables import ReviewAnswerRow
from .tokens import normalize

# Values written on the page: a correction puts them into the page's indexed text. Boundaries,
# page numbers and whose material it is are decisions about the page, not words on it.
INDEXED_FIELDS = frozenset({"name", "id_number", "birth", "sex", "formed_on", "title", "altered"})


class ReviewError(InputRefused):
    """Refused; ``str(err)`` is the Chinese reason, ``status`` the HTTP status it maps to."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = self.http_status = status


_NAME = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f·]{2,20}")
_YM = re.compile(r"(\d{4})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月)?(?:\s*[-./]?\s*(\d{1,2})\s*日?)?")
_DATE = re.compile(r"(\d{4})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月|[-./])\s*(\d{1,2})\s*日?")


def _date_parts(text: str, pattern: re.Pattern) -> tuple[int, int, int | None] | None:
    compact = text.replace(" ", "")
    if re.fullmatch(r"\d{8}", compact):
        return int(compact[:4]), int(compact[4:6]), int(compact[6:])
    if pattern is _YM and re.fullmatch(r"\d{6}", compact):
        return int(compact[:4]), int(compact[4:]), None
    m = pattern.fullmatch(text)
    if not m:
        return None
    return int(m[1]), int(m[2]), int(m[3]) if m[3] else None


def clean_value(field_name: str, raw: str) -> str:
    """The value as stored and passed to the check; ``ReviewError`` (Chinese) when it cannot be."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    label = FIELDS.get(field_name, field_name)
    if not text:
        raise ReviewError(f"请填写{label}（不能为空）。原件上确实无法辨认时，请使用“全部放弃/确认现状”并写明原因。")
    if field_name == "name":
        name = re.sub(r"\s+", "", text).replace("•", "·").replace("・", "·")
        if not _NAME.fullmatch(name):
            raise ReviewError("姓名应为2至20个汉字（少数民族姓名可含“·”），不含数字、字母或标点。")
        return name
    if field_name == "id_number":
        try:
            return idnumber.parse(text).number
        except idnumber.IdNumberError as err:
            raise ReviewError(f"身份证号码无效：{err}") from None
    if field_name == "birth":
        parts = _date_parts(text, _YM)
        ok = parts is not None and 1880 <= parts[0] and 1 <= parts[1] <= 12
        if ok and parts[2] is not None:
            try:
                ok = dt.date(*parts) <= clock.today()  # type: ignore[arg-type]
            except ValueError:
                ok = False
        elif ok:
            ok = (parts[0], parts[1]) <= (clock.today().year, clock.today().month)
        if not ok:
            raise ReviewError("出生年月应为有效的年月，如 1952-03 或 1952年3月（可带日，如 1952-03-08），且不晚于今天。")
        y, m, d = parts  # type: ignore[misc]
        return f"{y}年{m}月" + (f"{d}日" if d else "")
    if field_name == "sex":
        if text not in ("男", "女", "男性", "女性"):
            raise ReviewError("性别只能填写“男”或“女”。")
        return text[0]
    if field_name == "formed_on":
        parts = _date_parts(text, _DATE)
        try:
            day = dt.date(*parts) if parts and parts[2] is not None else None  # type: ignore[arg-type]
        except ValueError:
            day = None
        if day is None or not dt.date(1900, 1, 1) <= day <= clock.today():
            raise ReviewError("材料形成时间应为有效日期，如 1985-10-01 或 1985年10月1日（1900年以后，且不晚于今天）。")
        return day.isoformat()
    if field_name == "title":
        title = " ".join(text.split())
        if len(title) > 200:
            raise ReviewError("材料名称不超过200字。")
        return title
    if field_name == "page_no":
        if not text.isdigit() or not 1 <= int(text) <= 9999:
            raise ReviewError("原件页号应为正整数，如 12。")
        return str(int(text))
    if field_name == "boundary":
        if text not in ("起始", "接续"):
            raise ReviewError("材料起始页只能填写“起始”（这一页是一份新材料的首页）或“接续”（属上一份材料）。")
        return text
    if field_name == "identity":
        if text not in ("本人", "他人"):
            raise ReviewError("材料归属只能填写“本人”或“他人”。")
        return text
    if len(text) > 200:
        raise ReviewError(f"{label}不超过200字。")
    return text


def shown_value(field_name: str, value: str, full_ids: bool = True) -> str:
    """A value as people see it (``handover.disclosure``): for roles (and logs) that see no full
    IDs, ID numbers masked and a birth value (出生年月) cut to its year."""
    shown = disclosure.FULL if full_ids else disclosure.MASKED
    if field_name == "id_number" and value:
        return shown.id_number(value)
    if field_name == "birth":
        return shown.birth_text(value)
    # A free-text value (a 划改's correction) may quote an ID number or its birth date.
    return shown.text(value)


def _indexed_form(field_name: str, value: str) -> str:
    if field_name == "formed_on":
        day = dt.date.fromisoformat(value)
        return f"{day.year}年{day.month}月{day.day}日"
    if field_name == "altered" and value == alterations.NOTHING:
        return ""
    return value


def indexed_text(ocr_text: str, answers: list[ReviewAnswerRow]) -> str:
    """A page's indexed text: the OCR text (normalised as published) with the corrected values in
    place of the machine's readings (or added, when the reading is not in the text)."""
    text = normalize(ocr_text)
    for a in sorted(answers, key=lambda a: a.key):
        if a.field not in INDEXED_FIELDS or a.confirmed:
            continue
        value = _indexed_form(a.field, a.value)
        machine = normalize(a.machine_value or "")
        if len(machine) >= 2 and machine in text:
            text = text.replace(machine, value)
        elif value and value not in text:
            text = f"{text}\n{value}" if text else value
    return text
