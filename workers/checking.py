"""The completeness check step, through ``completeness.check.check_volume`` when it is installed.

The outcome travels in ``check.json`` inside the volume folder, which archive_store reads and
records. "rejected" (unreadable pages, another person's material…) is never published: the dossier
goes to quarantine. "incomplete" is published with the missing items in the dossier's warnings
(the written statement, 书面说明, is accepted later through the completeness package). Without the
completeness package installed the step is skipped and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from handover.config import Settings

SKIPPED = "skipped"
REJECTED = "rejected"


@dataclass(frozen=True)
class CheckOutcome:
    outcome: str  # "", "passed", "warnings", "rejected", "skipped"… as the check reports it
    reason: str = ""


def _check_function():
    try:
        from completeness.check import check_volume
    except ModuleNotFoundError as err:
        if err.name in ("completeness", "completeness.check"):
            return None
        raise
    return check_volume


def _retiree(id_number: str, cfg: Settings | None):
    """The imported roster record (for identity and party-member rules), if there is one."""
    if not id_number:
        return None
    from sqlalchemy import select

    from handover.db import RetireeRow
    from handover.models import Retiree

    from .progress import reading

    with reading(cfg) as s:
        row = s.scalar(select(RetireeRow).where(RetireeRow.id_number == id_number))
        return Retiree.model_validate(row.data) if row is not None else None


def run_check(volume_dir: Path, region: str, id_number: str = "", cfg: Settings | None = None) -> CheckOutcome:
    """Check a volume folder against the region's rules; ``check_volume`` writes check.json."""
    check_volume = _check_function()
    if check_volume is None:
        return CheckOutcome(SKIPPED, "完整性检查模块尚未安装，本卷未做完整性检查")
    from handover.policy import load_profile

    report = check_volume(Path(volume_dir), _retiree(id_number, cfg), load_profile(region))
    check = report.to_file()  # what check.json now says
    outcome, label = check.outcome, check.outcome_label or check.outcome
    findings = sorted((f for f in check.findings if f.severity == "error"),
                      key=lambda f: f.code == "missing_material")  # what rejects first
    errors = [f.message_zh or f.code for f in findings]
    if outcome == REJECTED:
        return CheckOutcome(outcome, "完整性检查结论为“退回”：" + ("；".join(errors[:5]) or "请查看检查报告"))
    if outcome and outcome != "complete":
        missing = "、".join(check.missing) or "；".join(errors[:5])
        return CheckOutcome(outcome, f"完整性检查结论为“{label}”" + (f"：{missing}" if missing else ""))
    return CheckOutcome(outcome)
