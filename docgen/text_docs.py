"""Text documents filled with docxtpl: 移交协议, 档案材料缺失情况说明, 备考表, 联系卡.

``*_context`` functions are pure (data + policy profile -> the template's context); ``render``
writes the DOCX. The contexts are documented here because an office editing a template may use
any of their keys.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Mapping, Sequence

from docxtpl import DocxTemplate

from handover import clock
from handover.communities import Contact
from handover.models import Destination, Enterprise, Retiree
from handover.policy import PolicyProfile, TextDocument

from .figures import AgreementFigures, agreement_figures, cn_date, cn_number, money
from .records import MissingStatement, NoteSheet
from .docx_tables import DOCX_DIR, TemplateError

SUB = "（{}）"


def _numbered(items: list[str], style: str = "sub") -> list[tuple[str, str]]:
    if style == "arabic":
        return [(f"{i}．", t) for i, t in enumerate(items, 1)]
    return [(SUB.format(cn_number(i)), t) for i, t in enumerate(items, 1)]


def fee_clauses(f: AgreementFigures, profile: PolicyProfile, when: str = "本协议签订时") -> list[str]:
    """The fees of a transfer as the profile sets them on the figures' date: a rate outside its
    validity reads 待定 (never applied silently); ``when``: the document's date in words."""
    fees: list[str] = []
    for line in f.fees:
        if not line.in_force:
            rate = f"{money(line.per_person)}元/人" if line.per_person is not None else "原"
            ended = f"只适用于{cn_date(line.valid_until)}前完成的移交" if line.valid_until else "不适用于本次移交"
            fees.append(f"{line.kind}：政策规定的{rate}标准{ended}，{when}已不适用"
                        + (f"；{line.after}" if line.after else "")
                        + "。本次移交的费用标准待定，由双方按届时规定另行确定，签订补充协议。")
            continue
        if line.per_person is None:
            fees.append(f"{line.kind}：标准按{profile.issuer}有关规定执行，政策未明确具体金额的，"
                        f"由双方另行约定；由{line.payer or '有关方面'}承担。")
            continue
        if line.basis == "一次性":
            text = (f"{line.kind}：按{money(line.per_person)}元/人的标准一次性支付，{line.persons}人合计"
                    f"{money(line.total)}元（大写：人民币{line.total_upper}），由{line.payer or '甲方'}支付。")
        else:
            text = (f"{line.kind}：按每人每年{money(line.per_person)}元的标准核定，{line.persons}人每年合计"
                    f"{money(line.total)}元（大写：人民币{line.total_upper}），由{line.payer or '甲方'}承担。")
        if line.valid_until:
            text += f"该标准适用于{cn_date(line.valid_until)}前完成的移交。"
        fees.append(text)
    if not fees:
        fees.append("本地区政策未规定移交费用标准，相关经费按有关规定执行。")
    fees.append("费用专款专用，用于退休人员社会化管理服务工作。")
    return fees


def text_figures(enterprise: Enterprise, retirees: Sequence[Retiree], destinations: Sequence[Destination],
                 profile: PolicyProfile, day: dt.date, volumes: dict[str, tuple[int, int]] | None = None,
                 not_transferred: int = 0, when: str = "本协议签订时") -> dict:
    """The figures a region's text may name (handover.policy.TEXT_FIELDS), for these people."""
    counties = sorted({d.county for d in destinations})
    f = agreement_figures("、".join(counties), list(retirees), [(d.street, d.community) for d in destinations],
                          profile, day, volumes)
    in_force = [line.total for line in f.fees if line.total is not None]
    return {"retirees": f.retirees, "party_members": f.party_members, "volumes": f.volumes, "pages": f.pages,
            "county": f.county, "counties": f.county, "streets": f.streets, "communities": f.communities,
            "enterprise": enterprise.name, "uscc": enterprise.uscc, "city": enterprise.location.city,
            "not_transferred": not_transferred, "fee": "".join(fee_clauses(f, profile, when)),
            "fee_total": f"{money(sum(in_force))}元" if in_force else "待定"}


def agreement_context(enterprise: Enterprise, county: str, retirees: Sequence[Retiree],
                      destinations: Sequence[Destination], profile: PolicyProfile,
                      volumes: dict[str, tuple[int, int]] | None = None,
                      annexes: Sequence[str] = (), missing_persons: int = 0, roster_annex: str = "",
                      receiver: str | None = None, day: dt.date | None = None,
                      contacts: Mapping[tuple[str, str, str], Contact] | None = None) -> dict:
    """Context of transfer_agreement.docx (one agreement per enterprise × receiving county).

    ``contacts``: the communities' 社区联系人 and 服务电话 from the registry; the scope then names
    each receiving community's, 尚未登记 where the registry has none (as the 联系卡 do).

    ``roster_annex``: the annex listing the persons (the region's own: 花名册, 交接清单 …).
    Every region-specific sentence comes from the profile's ``[agreement]`` clauses and duties;
    what is built here is only what any region's agreement states (the counts, the fees as the
    profile sets them on ``day``, the closing clauses). A rate whose validity does not cover
    ``day`` reads 待定 and a time node already past is not presented as a term
    (``figures.rule_warnings`` says the same in the manifest).

    Keys: title, enterprise, enterprise_address, receiver, receiver_address, basis, figures (an
    AgreementFigures), scope / archives / party / fees / staff / schedule / other (lists of
    (number, text)), duties_a / duties_b (lists of (number, text)), annexes (lines), copies.
    """
    day = day or clock.today()
    f: AgreementFigures = agreement_figures(
        county, list(retirees), [(d.street, d.community) for d in destinations], profile, day, volumes)
    clauses = profile.agreement
    figures = {"retirees": f.retirees, "party_members": f.party_members, "volumes": f.volumes,
               "pages": f.pages, "county": county}
    receiver = receiver or f"{county}人民政府"
    scope = [f"甲方向乙方移交企业退休人员{f.retirees}人，其中中共党员{f.party_members}人，分别移交乙方辖区内"
             f"{f.streets}个街道（乡镇）、{f.communities}个社区实行社会化管理服务"
             + (f"，名单见附件《{roster_annex}》。" if roster_annex else "。")]
    if clauses.exclusions:
        scope.append("、".join(clauses.exclusions) + "不在本协议移交范围内。")
    if contacts is not None:
        scope.append("乙方各接收社区的社区联系人和服务电话：" + "；".join(
            f"{street}{community}（社区联系人：{c.liaison or NOT_REGISTERED}，服务电话：{c.phone or NOT_REGISTERED}）"
            for (_, street, community), c in sorted(
                (k, contacts.get(k) or Contact()) for k in {(d.county, d.street, d.community) for d in destinations}))
            + "。")

    archives = [f"甲方移交退休人员人事档案{f.volumes}卷、共{f.pages}页。"]
    archives += clauses.fill(clauses.archives, **figures)
    if missing_persons:
        archives.append(f"本次移交中{missing_persons}人的档案缺少必要材料，甲方已出具《档案材料缺失情况说明》。")
    party = clauses.fill(clauses.party, **figures) or [
        f"甲方按有关规定办理{f.party_members}名退休党员的党组织关系转接。"]

    fees = fee_clauses(f, profile)

    staff: list[str] = []
    if f.transfer_staff is not None:
        staff.append(f"甲方按每{f.retirees_per_staff}名退休人员配备1名管理服务人员的比例，向乙方移交原退休"
                     f"管理机构工作人员{f.transfer_staff}名（{f.retirees}人÷{f.retirees_per_staff}，"
                     "不足1名的按1名计）；移交后薪酬待遇低于移交前的，差额部分由甲方支付。")
    elif profile.staffing.note:
        staff.append(profile.staffing.note)
    if not staff:
        staff.append("乙方根据接收人数配备管理服务人员。")

    schedule = clauses.fill(clauses.reporting, **figures)
    nodes = [d for d in profile.deadlines if d.in_agreement]
    past = [d for d in nodes if d.passed(day)]
    for d in nodes:
        if d not in past:
            schedule.append(f"{d.name}：{cn_date(d.date) if d.date else d.rule}。")
    if past:
        schedule.append(f"政策文件规定的{'、'.join(d.name for d in past)}等时间节点已于"
                        f"{cn_date(max(d.date for d in past))}前届满，不作为本协议期限；"
                        "具体移交时间由双方另行商定。")
    if not schedule:
        schedule.append("具体移交时间由双方另行商定。")

    copies = f.copies
    keep = (f"，{'、'.join(clauses.holders)}各执一份" if clauses.holders else "")
    other = ["本协议履行中发生争议的，双方协商解决；协商不成的，提请上级社会化管理服务工作领导机构协调。",
             "本协议未尽事宜，由双方另行协商，签订补充协议。补充协议与本协议具有同等效力。",
             f"本协议自双方签字盖章之日起生效。本协议一式{cn_number(copies)}份{keep}，具有同等法律效力。"]
    annex_lines = []
    for i, name in enumerate(annexes, 1):
        annex_lines.append(("附件：" if i == 1 else "　　　") + f"{i}．{name}")
    return {
        "title": "企业退休人员社会化管理服务移交协议",
        "enterprise": enterprise,
        "enterprise_address": enterprise.location.full(),
        "receiver": receiver,
        "receiver_address": "",
        "basis": f"{profile.issuer}有关文件（{profile.document_no}）精神",
        "figures": f,
        "scope": _numbered(scope), "archives": _numbered(archives), "party": _numbered(party),
        "fees": _numbered(fees), "staff": _numbered(staff), "schedule": _numbered(schedule),
        "other": _numbered(other),
        "duties_a": _numbered(profile.agreement_duties.get("甲方", []), "arabic"),
        "duties_b": _numbered(profile.agreement_duties.get("乙方", []), "arabic"),
        "annexes": annex_lines,
        "copies": copies,
    }


def text_document_context(text: TextDocument, figures: dict, number: str = "") -> dict:
    """Context of text_document.docx: a region's own text (profile ``[texts]``) with its figures
    filled. Keys: title, number, addressee, parties, intro (lines), sections (heading, clauses as
    (number, text)), annexes, signatures."""
    fill = lambda t: t.format_map(figures)  # noqa: E731
    return {
        "title": fill(text.title), "number": number, "addressee": fill(text.addressee),
        "parties": [fill(t) for t in text.parties], "intro": [fill(t) for t in text.intro],
        "sections": [{"heading": fill(s.heading), "clauses": _numbered([fill(t) for t in s.items])}
                     for s in text.sections],
        "annexes": [("附件：" if i == 1 else "　　　") + f"{i}．{fill(name)}"
                    for i, name in enumerate(text.annexes, 1)],
        "signatures": [fill(t) for t in text.signatures],
    }


def missing_statement_context(statement: MissingStatement, phone: str = "") -> dict:
    return {"enterprise": statement.enterprise, "receiver": statement.receiver or "档案管理部门",
            "items": statement.items, "persons": len({i.id_number for i in statement.items}),
            "dated": cn_date(statement.dated), "phone": phone, "number": statement.number}


def note_sheet_context(sheet: NoteSheet) -> dict:
    lines = [f"本卷共有材料{sheet.material_count}份，{sheet.total_pages}页。"]
    lines += list(sheet.explanation)
    if sheet.missing:
        lines.append(f"缺少必要材料：{'、'.join(sheet.missing)}，详见移交单位出具的《档案材料缺失情况说明》。")
    if sheet.transferor:
        lines.append(f"移交单位：{sheet.transferor}；接收日期：{cn_date(sheet.received_on, '')}。")
    return {"ref_no": sheet.ref_no, "name": sheet.name, "lines": lines, "compiler": sheet.compiler,
            "checker": sheet.checker, "compiled_on": cn_date(sheet.compiled_on, "")}


CARD_LABELS = {"name": "姓　　名：", "person_no": "个人编号：", "community": "所在社区：",
               "liaison": "社区联系人：", "service_phone": "服务电话：", "agency": "经办机构：",
               "employer": "原工作单位："}


# Printed where the registry has no 社区联系人 or 服务电话: a card never looks complete without them.
NOT_REGISTERED = "尚未登记"


def contact_cards_context(pairs: Sequence[tuple[Retiree, Destination]], enterprise: Enterprise,
                          contact: Contact | None = None) -> dict:
    """联系卡, two per row of the page; an odd last card is paired with a blank one. ``contact``:
    the community's 社区联系人 and 服务电话 from the registry (handover.communities)."""
    contact = contact or Contact()
    cards = []
    for r, d in pairs:
        card = {"title": "社会化管理服务联系卡", "name": r.name, "person_no": r.person_no,
                "community": f"{d.street}{d.community}", "liaison": contact.liaison or NOT_REGISTERED,
                "service_phone": contact.phone or NOT_REGISTERED,
                "agency": f"{d.county}社会保险经办机构", "employer": r.former_employer or enterprise.name,
                "hint": "请妥善保管，联系方式变动时请及时告知社区"}
        card.update({f"label_{k}": v for k, v in CARD_LABELS.items()})
        cards.append(card)
    blank = {k: "" for k in (cards[0] if cards else {"title": ""})}
    if len(cards) % 2:
        cards.append(blank)
    return {"pairs": [(cards[i], cards[i + 1]) for i in range(0, len(cards), 2)]}


def render(template: str, context: dict, out: Path, template_dir: Path | None = None) -> Path:
    path = (template_dir or DOCX_DIR) / f"{template}.docx"
    if not path.is_file():
        raise TemplateError(f"缺少模板文件 {path.name}，请运行 python -m docgen.build_templates")
    tpl = DocxTemplate(str(path))
    tpl.render(context, autoescape=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tpl.save(str(out))
    return out


def today() -> dt.date:
    return clock.today()
