"""Pure computations behind the documents: counts, fees, staff, Chinese number and date wording.

No I/O here. Everything a document states as a figure is computed in this module, so tests can
check the arithmetic against the policy profile without opening a file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from handover.models import Retiree
from handover.policy import PolicyProfile

CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """0–99 in Chinese numerals as in 一式四份, 第十二条."""
    if n < 0 or n > 99:
        return str(n)
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


_UPPER = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_SECTIONS = ["", "万", "亿", "万亿"]


def rmb_upper(amount: float | Decimal) -> str:
    """Amount in 大写 as on contracts: 12340.5 -> 壹万贰仟叁佰肆拾元伍角整."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if value < 0:
        return "负" + rmb_upper(-value)
    yuan = int(value)
    jiao, fen = divmod(int((value - yuan) * 100), 10)
    out = ""
    if yuan:
        groups = []
        while yuan:
            yuan, group = divmod(yuan, 10000)
            groups.append(group)
        zero_pending = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                zero_pending = True
                continue
            if zero_pending or (out and group < 1000):
                out += "零"
            zero_pending = False
            digits = f"{group:04d}"
            text, inner_zero = "", False
            for pos, ch in enumerate(digits):
                d = int(ch)
                if d == 0:
                    inner_zero = bool(text)
                    continue
                if inner_zero:
                    text += "零"
                    inner_zero = False
                text += _UPPER[d] + _UNITS[3 - pos]
            out += text.lstrip("零") if not out else text
            out += _SECTIONS[index]
        out += "元"
    if not jiao and not fen:
        return (out or "零元") + "整"
    if jiao:
        out += _UPPER[jiao] + "角"
    elif out:
        out += "零"
    if fen:
        out += _UPPER[fen] + "分"
    else:
        out += "整"
    return out


def cn_date(day: dt.date | None, blank: str = "　　年　　月　　日") -> str:
    """2024年3月5日 (no leading zeros, GB/T 9704 成文日期)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else blank


def cn_month(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月" if day else ""


def dotted_date(day: dt.date | None) -> str:
    """2024.03.05 — compact Y-M-D for catalogue columns."""
    return f"{day.year}.{day.month:02d}.{day.day:02d}" if day else ""


def money(value: float | None) -> str:
    if value is None:
        return ""
    return f"{Decimal(str(value)).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


@dataclass(frozen=True)
class FeeLine:
    kind: str
    per_person: float | None
    basis: str  # 一次性 / 每人每年
    persons: int
    total: float | None
    payer: str
    note: str
    valid_until: dt.date | None
    in_force: bool = True  # False: the rate does not cover the document date; total is None
    after: str = ""  # the policy's words for what follows the rate's end

    @property
    def total_upper(self) -> str:
        return rmb_upper(self.total) if self.total is not None else ""


@dataclass(frozen=True)
class AgreementFigures:
    county: str
    retirees: int
    party_members: int
    volumes: int
    pages: int
    streets: int
    communities: int
    fees: list[FeeLine]
    transfer_staff: int | None
    retirees_per_staff: int | None
    copies: int

    @property
    def fee_total(self) -> float | None:
        totals = [f.total for f in self.fees if f.total is not None]
        return round(sum(totals), 2) if totals else None


def fee_lines(profile: PolicyProfile, persons: int, day: dt.date) -> list[FeeLine]:
    """The fees of a transfer dated ``day``: a rate outside its validity gets no total."""
    basis = {"one_time": "一次性", "per_year": "每人每年"}
    return [FeeLine(kind=f.kind, per_person=f.per_person, basis=basis.get(f.basis, f.basis),
                    persons=persons, total=f.total(persons) if f.in_force(day) else None,
                    payer=f.payer, note=f.note, valid_until=f.valid_until,
                    in_force=f.in_force(day), after=f.after) for f in profile.fees]


def rule_warnings(profile: PolicyProfile, day: dt.date) -> list[str]:
    """What a bundle dated ``day`` must tell its user: rates and time nodes the date has outrun.

    The documents never apply such a rule silently (the rate reads 待定, a past node is not a
    term); these lines go to the manifest so the office settles them before signing.
    """
    out = []
    for fee in profile.fees_on(day)[1]:
        rate = f"{money(fee.per_person)}元/人" if fee.per_person is not None else "标准"
        span = (f"只适用于{cn_date(fee.valid_until)}前完成的移交" if fee.valid_until and day > fee.valid_until
                else f"自{cn_date(fee.valid_from)}起适用")
        out.append(f"{profile.name}：{fee.kind}{rate}{span}，文件日期为{cn_date(day)}，"
                   f"协议中该项写为待定{('（' + fee.after + '）') if fee.after else ''}，请按现行规定另行确定")
    past = [d for d in profile.deadlines if d.in_agreement and d.passed(day)]
    if past:
        out.append(f"{profile.name}：政策规定的时间节点“{'”“'.join(d.name for d in past)}”已于"
                   f"{cn_date(max(d.date for d in past))}前届满，协议中不作为期限，请双方另行商定时间")
    return out


def volumes_and_pages(retirees: Iterable[Retiree],
                      volumes: dict[str, tuple[int, int]] | None = None) -> tuple[int, int]:
    """Total 卷数 and 页数; digitized volumes (id_number -> (卷, 页)) win over the roster."""
    total_v = total_p = 0
    for r in retirees:
        v, p = archive_counts(r, volumes)
        total_v += v
        total_p += p
    return total_v, total_p


def archive_counts(r: Retiree, volumes: dict[str, tuple[int, int]] | None = None) -> tuple[int, int]:
    if volumes and r.id_number in volumes:
        return volumes[r.id_number]
    return (r.archive_volumes if r.archive_volumes is not None else 1), (r.archive_pages or 0)


def agreement_figures(county: str, retirees: list[Retiree], destinations: list[tuple[str, str]],
                      profile: PolicyProfile, day: dt.date,
                      volumes: dict[str, tuple[int, int]] | None = None) -> AgreementFigures:
    """Figures of one 移交协议 (enterprise × receiving county) dated ``day``.

    ``destinations``: (street, community)."""
    n = len(retirees)
    v, p = volumes_and_pages(retirees, volumes)
    return AgreementFigures(
        county=county, retirees=n, party_members=sum(r.party_member for r in retirees),
        volumes=v, pages=p, streets=len({s for s, _ in destinations}),
        communities=len(set(destinations)), fees=fee_lines(profile, n, day),
        transfer_staff=profile.staffing.transfer_staff(n),
        retirees_per_staff=profile.staffing.retirees_per_staff,
        copies=profile.copies_of("transfer_agreement", 4))


def chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]
