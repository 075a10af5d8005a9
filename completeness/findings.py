"""Findings of the checks: stable codes, severities, and the outcome they lead to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"  # noted, nothing to do (a rescan that was set aside)
    WARNING = "warning"  # a person must look at it; does not change the outcome
    ERROR = "error"  # makes the volume incomplete or rejected


class Outcome(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    REJECTED = "rejected"


OUTCOME_LABELS = {Outcome.COMPLETE: "完整", Outcome.INCOMPLETE: "不完整", Outcome.REJECTED: "退回"}
SEVERITY_LABELS = {Severity.INFO: "提示", Severity.WARNING: "需人工复核", Severity.ERROR: "问题"}


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    group: str  # materials / pages / legibility / identity / catalog
    label: str  # Chinese name shown in the report
    rejects: bool = False  # an error of this code rejects the volume (rescan, wrong person)


_CODES = [
    # required materials
    Code("missing_material", Severity.ERROR, "materials", "缺少必要材料"),
    # not found, but an unreadable page could hold it: never stated as absent (rescan first)
    Code("material_on_unreadable_page", Severity.WARNING, "materials", "必要材料可能在无法辨认的页面上"),
    # page sequence
    Code("page_count_mismatch", Severity.ERROR, "pages", "页数与申报不符"),
    Code("page_number_gap", Severity.ERROR, "pages", "原件页号不连续（缺页）"),
    Code("page_number_repeat", Severity.WARNING, "pages", "原件页号重复"),
    Code("duplicate_page", Severity.INFO, "pages", "重复扫描页（未编页号）"),
    Code("duplicate_page_counted", Severity.ERROR, "pages", "重复扫描页被编入页号"),
    Code("blank_page_counted", Severity.ERROR, "pages", "空白页被编入页号"),
    Code("no_content_pages", Severity.ERROR, "pages", "没有可计页数的内容页", rejects=True),
    # legibility
    Code("unreadable_page", Severity.ERROR, "legibility", "页面无法辨认", rejects=True),
    Code("low_confidence_page", Severity.WARNING, "legibility", "页面识别可信度低"),
    Code("low_resolution", Severity.ERROR, "legibility", "扫描分辨率低于200dpi", rejects=True),
    Code("mixed_resolution", Severity.WARNING, "legibility", "同卷扫描分辨率不一致"),
    Code("mixed_colour_mode", Severity.WARNING, "legibility", "同卷色彩模式不一致"),
    Code("residual_skew", Severity.WARNING, "legibility", "纠偏后仍有倾斜"),
    # identity
    Code("id_number_invalid", Severity.ERROR, "identity", "花名册身份证号码无效", rejects=True),
    Code("volume_id_mismatch", Severity.ERROR, "identity", "案卷身份证号与花名册不符", rejects=True),
    Code("foreign_form", Severity.ERROR, "identity", "夹有他人材料", rejects=True),
    Code("id_number_mismatch", Severity.ERROR, "identity", "材料上的身份证号与花名册不符", rejects=True),
    Code("name_not_found", Severity.WARNING, "identity", "档案材料中未找到本人姓名"),
    Code("birth_date_mismatch", Severity.WARNING, "identity", "身份证出生日期与档案最早记载不符"),
    Code("birth_date_inconsistent", Severity.WARNING, "identity", "档案各材料记载的出生日期不一致"),
    Code("sex_mismatch", Severity.WARNING, "identity", "材料记载的性别与身份证号不符"),
    Code("identity_unconfirmed", Severity.WARNING, "identity", "材料归属待人工核对"),
    Code("name_unread", Severity.INFO, "identity", "姓名未能识别"),
    # catalogue against images
    Code("catalog_row_without_pages", Severity.ERROR, "catalog", "卷内目录条目无对应页面"),
    Code("page_outside_catalog", Severity.ERROR, "catalog", "页面不属于任何卷内目录条目"),
    Code("catalog_overlap", Severity.ERROR, "catalog", "卷内目录条目页码重叠"),
    Code("catalog_count_mismatch", Severity.ERROR, "catalog", "卷内目录页数与图像不符"),
    Code("material_unidentified", Severity.WARNING, "catalog", "材料名称或类别未能识别"),
    Code("formed_on_missing", Severity.INFO, "catalog", "材料形成时间待人工补注"),
]
CODES: dict[str, Code] = {c.code: c for c in _CODES}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    page: int | None  # 1-based image index in the volume (ocr.json "index"), None = whole volume
    material: str | None  # material title (required material name, or the 卷内目录 title)
    message_zh: str


def finding(code: str, message_zh: str, page: int | None = None, material: str | None = None,
            severity: Severity | None = None) -> Finding:
    """A finding of a registered code, at the code's default severity unless told otherwise."""
    spec = CODES[code]
    return Finding(code, severity or spec.severity, page, material, message_zh)


def decide(findings: list[Finding]) -> Outcome:
    """Rejected beats incomplete beats complete; warnings and notes never change the outcome."""
    errors = [f for f in findings if f.severity == Severity.ERROR]
    if any(CODES.get(f.code, Code(f.code, f.severity, "", "")).rejects for f in errors):
        return Outcome.REJECTED
    if errors:
        return Outcome.INCOMPLETE
    return Outcome.COMPLETE
