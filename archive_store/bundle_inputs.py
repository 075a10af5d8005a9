"""What a document bundle built after digitization takes from the archive.

Once any of an enterprise's volumes is published, its 档案移交名册表 is the receipt: each person's
received 卷数/页数 in place of the declared ones, the persons not received listed apart as 未接收,
and the 备注 and the enterprise's numbered 书面说明 drafted from the missing 必要材料 of settled
checks. All of it comes from the one reconciliation (``archive_store.reconcile``), so the roster
printed for signing and the reconciliation page cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from docgen.records import NOT_RECEIVED, RECEIVED, MissingItem, ReceiptLine

from .reconcile import Outcome, Reconciliation
from .reconcile_source import load_reconciliation
from .storage import Storage


@dataclass(frozen=True)
class BundleInputs:
    receipts: dict[str, ReceiptLine] = field(default_factory=dict)  # ID number -> what was received
    missing: list[MissingItem] = field(default_factory=list)  # rows of the 书面说明 still to be signed


def _remark(person) -> str:
    if person.provisional:
        return "校对未完成，结论待定"
    if person.outcome is Outcome.UNCHECKED:
        return "未做完整性检查"
    if person.outcome is Outcome.STATEMENT:
        return f"缺{'、'.join(person.missing)}，已附书面说明（{person.statement_ref}）" if person.missing \
            else f"已附书面说明（{person.statement_ref}）"
    return ""  # complete, or incomplete: the 备注 is drafted from the missing materials


def from_reconciliation(rec: Reconciliation) -> BundleInputs:
    """Nothing received yet: no inputs (the roster keeps the declared figures, as prepared before
    digitization). A person whose check waits for 校对 gives no missing materials yet (nothing is
    settled); one accepted on a statement on record gets no second statement drafted."""
    persons = rec.persons
    if not any(p.received for p in persons):
        return BundleInputs()
    receipts: dict[str, ReceiptLine] = {}
    missing: list[MissingItem] = []
    for p in persons:
        if not p.received:
            receipts[p.id_number] = ReceiptLine(NOT_RECEIVED)
            continue
        receipts[p.id_number] = ReceiptLine(RECEIVED, p.received_volumes, p.received_pages, _remark(p))
        if p.outcome is Outcome.INCOMPLETE and not p.provisional:
            missing += [MissingItem(p.name, p.id_number, m, "") for m in p.missing]
    return BundleInputs(receipts, missing)


def bundle_inputs(session: Session, storage: Storage | None, enterprise: str) -> BundleInputs:
    return from_reconciliation(load_reconciliation(session, storage, enterprise))


__all__ = ["BundleInputs", "bundle_inputs", "from_reconciliation"]
