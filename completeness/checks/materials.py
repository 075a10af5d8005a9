"""Required materials of the policy profile present, with conditional rules (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from handover.policy import RequiredMaterial

from ..findings import Finding, finding
from ..volume import Row
from .text import title_matches


def satisfied_by(required: RequiredMaterial, rows: Iterable[Row]) -> Row | None:
    """The first 卷内目录 row whose title is one of the material's accepted titles."""
    for row in rows:
        if any(title_matches(row.title, a) for a in required.accepted):
            return row
    return None


def check_required_materials(rows: Sequence[Row], required: Sequence[RequiredMaterial],
                             excluded_seqs: Iterable[str] = ()) -> list[Finding]:
    """One ``missing_material`` per required material no row satisfies.

    ``required`` is ``profile.required_for(party_member)``. Rows in ``excluded_seqs`` (another
    person's form, a material with no readable page) do not satisfy anything.
    """
    skip = set(excluded_seqs)
    usable = [r for r in rows if r.seq not in skip and r.pages > 0]
    out = []
    for req in required:
        if satisfied_by(req, usable) is None:
            names = "、".join(req.accepted)
            cond = "（党员必备）" if req.when == "party_member" else ""
            out.append(finding("missing_material", f"缺少必要材料“{req.name}”{cond}；可接受的材料：{names}。"
                               "请移交单位补齐，无法补齐的须出具书面说明。", material=req.name))
    return out
