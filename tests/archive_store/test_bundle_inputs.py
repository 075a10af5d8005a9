"""What a bundle built after digitization takes from the reconciliation (archive_store.bundle_inputs):
received figures per person, 未接收 for the others, missing materials of settled checks only, no
second statement for a person accepted on one, nothing at all before anything is received."""

from __future__ import annotations

from archive_store.bundle_inputs import from_reconciliation
from archive_store.reconcile import Declared, Received, Statement, reconcile
from docgen.records import NOT_RECEIVED, RECEIVED

A, B, C, D, E = ("410105195501010011", "410105195502020022", "410105195503030033",
                 "410105195504040044", "410105195505050055")


def _declared(*ids):
    names = {A: "张一", B: "王二", C: "李三", D: "赵四", E: "钱五"}
    return [Declared(i, names[i], "金水区", "丰产路街道", "省委社区", 1, 40) for i in ids]


def test_nothing_received_keeps_the_declared_roster():
    got = from_reconciliation(reconcile("某厂", _declared(A, B), []))
    assert got.receipts == {} and got.missing == []


def test_received_figures_not_received_and_the_missing_of_settled_checks():
    received = [Received(A, "0001", 38, "complete"),
                Received(B, "0002", 30, "incomplete", ("基本养老金核定表",)),
                Received(C, "0003", 25, "incomplete", ("招工审批表",), provisional=True),
                Received(D, "0004", 20, "incomplete", ("转正定级表",))]
    rec = reconcile("某厂", _declared(A, B, C, D, E), received,
                    statements={D: Statement(D, "SM-2026-7", "档案员")})
    got = from_reconciliation(rec)
    assert got.receipts[A].status == RECEIVED and (got.receipts[A].volumes, got.receipts[A].pages) == (1, 38)
    assert got.receipts[A].remark == ""
    assert got.receipts[E].status == NOT_RECEIVED
    # incomplete and settled: the 备注 is drafted from the missing material (a 书面说明 to sign)
    assert [(m.id_number, m.material) for m in got.missing] == [(B, "基本养老金核定表")]
    assert got.receipts[B].remark == ""
    # 校对 open: no statement drafted yet, the 备注 says the outcome is pending
    assert "校对未完成" in got.receipts[C].remark
    # accepted on a statement on record: cited, not drafted again
    assert got.receipts[D].remark == "缺转正定级表，已附书面说明（SM-2026-7）"
