"""Accepting an incomplete volume once the enterprise's signed written statement is on record."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from handover import volume_folder
from handover.errors import InputRefused

from .check import CheckReport
from .findings import Outcome
from .tables import AcceptanceRow


class AcceptanceError(InputRefused):
    """The volume cannot be accepted; ``str(err)`` is a Chinese message."""


def refusal(report: CheckReport) -> str | None:
    """Why ``report`` cannot be accepted on a written statement, or None (pure)."""
    if report.provisional:
        return provisional_refusal(report)
    if report.outcome == Outcome.COMPLETE:
        return "本卷检查结论为完整，无需书面说明即可接收"
    if report.outcome == Outcome.REJECTED:
        return "本卷检查结论为退回（无法辨认或夹有他人材料），须处理后重新检查，不能凭书面说明接收"
    return None


def provisional_refusal(report: CheckReport) -> str:
    return (f"本卷尚有{len(report.review)}项待校对，检查结论未定：请先在“校对”页面逐项确认或更正"
            "（或登记理由放弃校对）后再办理")


def accept_incomplete(session: Session, report: CheckReport, accepted_by: str, statement_ref: str,
                      enterprise: str = "", signed_on: dt.date | None = None, remarks: str = "",
                      now: dt.datetime | None = None) -> AcceptanceRow:
    reason = refusal(report)
    if reason:
        raise AcceptanceError(reason)
    if not accepted_by.strip():
        raise AcceptanceError("须填写接收人（经办人）姓名")
    if not statement_ref.strip():
        raise AcceptanceError("须登记移交单位签字盖章的《档案材料缺失情况说明》（文号或文件名）")
    row = AcceptanceRow(id_number=report.id_number, name=report.name, ref_no=report.ref_no,
                        volume_dir=report.volume_dir, missing=list(report.missing), checked_at=report.checked_at,
                        enterprise=enterprise, statement_ref=statement_ref.strip(), statement_signed_on=signed_on,
                        accepted_by=accepted_by.strip(),
                        accepted_at=(now or dt.datetime.now(dt.timezone.utc)).replace(tzinfo=None),
                        remarks=remarks)
    session.add(row)
    session.flush()
    return row


def acceptance_of(session: Session, id_number: str) -> AcceptanceRow | None:
    """The latest acceptance recorded for a person's volume."""
    return session.scalar(select(AcceptanceRow).where(AcceptanceRow.id_number == id_number)
                          .order_by(AcceptanceRow.accepted_at.desc(), AcceptanceRow.id.desc()))


def record_in_volume(volume_dir: Path, row: AcceptanceRow) -> None:
    """Add the acceptance to the volume's check.json so readers of the volume see it."""
    signed = row.statement_signed_on.isoformat() if row.statement_signed_on else None
    acceptance = {"accepted_by": row.accepted_by, "statement_ref": row.statement_ref,
                  "accepted_at": row.accepted_at.isoformat(timespec="seconds"), "statement_signed_on": signed}
    volume_folder.write(volume_dir, replace(volume_folder.read_check(volume_dir), acceptance=acceptance))
