"""One person, one 档号 — unless it is 补充材料: the rule for a person's second volume.

A publish for an ID number that already has a published (or half-published, pending) volume is
refused: a second batch for the same person must not quietly open a second file. Two ways on:

* 退回 first: the withdrawn volume is re-published under its own 档号 (``archive_store.withdraw``).
* 补充材料 (``supplement``): materials that arrive after the person's file was filed become a
  volume of their own under the same person — 卷号 2, 3, … (``SupplementRow``).

Numbering rule for a supplement (DOMAIN.md §5.6): it takes the **next 档号 of the person's
community**, like any volume. The 案卷号 numbers 案卷 (DA/T 13: 全宗号-类别号-案卷号-件/页号 has no
level for "a volume within a 案卷号"), numbers are allocated atomically and stay unique and
gap-free per community (``unique(community_id, volume_no)``), and a 档号 once issued never changes;
a suffix on the person's 档号 would put a fifth level into the format of every policy profile.
The tie to the person is the 卷号 (``SupplementRow.part_no``) and the first volume's 档号, which
the 案卷目录 and 台账 show beside it (``archive_store.catalog``). A supplement goes into the
community of the person's first volume.

``place_new_volume`` runs inside the reserve stage's write transaction (``archive_store.publish``)
— the one that takes the 档号 — so two publishers of the same person are serialised: the second
sees the first's pending row and is refused before any number is taken.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handover.errors import Conflict
from handover.idnumber import mask

from .tables import PENDING, PUBLISHED, VOID, CommunityRow, SupplementRow, VolumeRow


class SecondVolumeRefused(Conflict):
    """A second volume for one person was refused; ``str(err)`` says which 档号 exists and how to
    proceed."""


@dataclass(frozen=True)
class Placement:
    """Where a supplementary volume goes: after ``first`` (卷号 1), as 卷号 ``part_no``."""

    first_volume_id: int
    first_ref_no: str
    part_no: int


def _label(session: Session, community_id: int) -> str:
    row = session.get(CommunityRow, community_id)
    return row.label if row else "其他社区"


def is_supplement():
    """SQL condition: the ``volumes`` row is a 补充材料 volume (卷号 ≥ 2)."""
    return select(SupplementRow.volume_id).where(SupplementRow.volume_id == VolumeRow.id).exists()


def place_new_volume(session: Session, id_number: str, community: CommunityRow,
                     supplement: bool) -> Placement | None:
    """Check a new volume of ``id_number`` for ``community`` (call inside the write transaction
    that takes its 档号). Returns None for a first volume, the placement for a supplement;
    raises ``SecondVolumeRefused`` otherwise."""
    held = list(session.scalars(select(VolumeRow).where(VolumeRow.id_number == id_number,
                                                        VolumeRow.status.in_((PUBLISHED, PENDING)))
                                .order_by(VolumeRow.id)))
    who = f"公民身份号码 {mask(id_number)} 的人员"
    if not supplement:
        if not held:
            return None
        vol = next((v for v in held if v.status == PUBLISHED), held[0])
        if vol.status == PENDING:
            raise SecondVolumeRefused(
                f"{who}已有一卷正在入库（档号 {vol.ref_no} 已预留，{_label(session, vol.community_id)}），"
                "不能再入库为新的一卷。请待其入库完成；如这批是该人员的补充材料，完成后勾选“补充材料”"
                "（命令行 --supplement）重新提交。")
        raise SecondVolumeRefused(
            f"{who}已有入库案卷（档号 {vol.ref_no}，{_label(session, vol.community_id)}），不能再入库为新的一卷。"
            "如这批是该人员的补充材料，请勾选“补充材料”（命令行 --supplement）重新提交，作为同一人的下一卷入库；"
            f"如要替换原卷，请先退回原卷（handover withdraw {vol.ref_no} --reason …），再重新入库，沿用原档号。")
    first = session.scalar(select(VolumeRow).where(VolumeRow.id_number == id_number, VolumeRow.status == PUBLISHED,
                                                   ~is_supplement()).order_by(VolumeRow.id))
    if first is None:
        raise SecondVolumeRefused(f"{who}还没有已入库的第1卷，没有可补充的案卷。请取消“补充材料”，按新案卷入库。")
    if first.community_id != community.id:
        raise SecondVolumeRefused(
            f"补充材料应入库到{who}第1卷所在的社区（{_label(session, first.community_id)}，档号 {first.ref_no}），"
            f"不能入库到{community.label}。")
    highest = session.scalar(select(func.max(SupplementRow.part_no)).where(SupplementRow.first_volume_id == first.id))
    return Placement(first.id, first.ref_no, (highest or 1) + 1)


def record(session: Session, volume_id: int, placement: Placement) -> None:
    session.add(SupplementRow(volume_id=volume_id, first_volume_id=placement.first_volume_id,
                              part_no=placement.part_no))


def forget(session: Session, volume_id: int) -> None:
    """A given-up (void) reservation is no volume of the person: its 卷号 is free again."""
    row = session.get(SupplementRow, volume_id)
    if row is not None:
        session.delete(row)


def part_no(session: Session, volume_id: int) -> int:
    """The volume's 卷号 under its person: 1 for the first volume."""
    return session.scalar(select(SupplementRow.part_no).where(SupplementRow.volume_id == volume_id)) or 1


@dataclass(frozen=True)
class PersonVolume:
    volume_id: int
    ref_no: str
    part_no: int
    community_id: int
    status: str


def volumes_of_person(session: Session, volume: VolumeRow) -> list[PersonVolume]:
    """Every volume of ``volume``'s person (its first volume and the supplements), 卷号 order;
    void reservations left out. The caller applies the read rule to each."""
    parts = dict(session.execute(select(SupplementRow.volume_id, SupplementRow.part_no)
                                 .join(VolumeRow, VolumeRow.id == SupplementRow.volume_id)
                                 .where(VolumeRow.id_number == volume.id_number)).all())
    rows = session.scalars(select(VolumeRow).where(VolumeRow.id_number == volume.id_number,
                                                   VolumeRow.status != VOID))
    out = [PersonVolume(v.id, v.ref_no, parts.get(v.id, 1), v.community_id, v.status) for v in rows]
    return sorted(out, key=lambda v: (v.part_no, v.volume_id))
