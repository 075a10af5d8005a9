"""Where a digitized dossier is filed: the manifest row, else the imported roster's routing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from handover import communities
from handover.config import Settings
from handover.db import EnterpriseRow, RetireeRow
from handover.errors import InputRefused
from handover.models import Destination

from .progress import reading
from .tables import BatchRow, DossierRow


class NoDestination(InputRefused):
    """No receiving community is known; ``str(err)`` is the Chinese reason shown to staff."""


@dataclass(frozen=True)
class Filing:
    destination: Destination
    region: str  # policy profile
    name: str


def filing_for(row: DossierRow, cfg: Settings | None = None) -> Filing:
    with reading(cfg) as s:
        batch = s.get(BatchRow, row.batch_id)
        retiree = s.scalar(select(RetireeRow).where(RetireeRow.id_number == row.id_number)) if row.id_number else None
        enterprise = s.get(EnterpriseRow, retiree.enterprise_id) if retiree is not None else None
        registry = communities.load_registry(s)
    region = row.profile_region or (enterprise.region if enterprise else "") or (batch.profile_region if batch else "")
    name = row.name or (retiree.name if retiree is not None else "")
    if row.destination:
        d = row.destination
        try:
            dest = Destination(county=d["county"], street=d["street"], community=d["community"],
                               code=d.get("code") or None)
        except (KeyError, ValueError) as err:
            raise NoDestination(f"清单中的接收地信息有误：{err}") from None
    elif retiree is not None and retiree.dest_county and retiree.dest_street and retiree.dest_community:
        dest = Destination(county=retiree.dest_county, street=retiree.dest_street,
                           community=retiree.dest_community, code=retiree.dest_code or None)
    elif retiree is not None:
        raise NoDestination("该退休人员尚未分配接收社区（名册中移交地不明），请先确定移交地或在清单中填写")
    else:
        raise NoDestination("名册中没有这个公民身份号码，且清单未填写接收社区：请先导入名册或在清单中补充接收地")
    if not registry.known(dest.county, dest.street, dest.community):
        raise NoDestination("接收社区未登记：" + registry.finding(dest.county, dest.street, dest.community))
    if not region:
        raise NoDestination("未指定地区政策配置：请用 --profile 指定，或先登记移交企业并导入名册")
    return Filing(dest, region, name)
