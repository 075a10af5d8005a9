"""Text documents filled with docxtpl: 移交协议, 档案材料缺失情况说明, 备考表, 联系卡.

``*_context`` functions are pure (data + policy profile -> the template's context); ``render``
writes the DOCX. The contexts are documented here because an office editing a template may use
any of their keys.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Sequence

from docxtpl import DocxTemplate

from handover import clock
from handover.models import Destination, Enterprise, Retiree
from handover.policy import PolicyProfile

from .figures import AgreementFigures, agreement_figures, cn_date, cn_number, money
from .records import MissingStatement, NoteSheet
from .docx_tables import DOCX_DIR, TemplateError

SUB = "（{}）"


def _numbered(items: list[str], style: str = "sub") -> list[tuple[str, str]]:
    if style == "arabic":
        return [(f"{i}．", t) for i, t in enumerate(items, 1)]
    return [(SUB.format(cn_number(i)), t) for i, t in enumerate(items, 1)]


def agreement_context(enterprise: Enterprise, county: str, retirees: Sequence[Retiree],
                      destinations: Sequence[Destination], profile: PolicyProfile,
                      volumes: dict[str, tuple[int, int]] | None = None,
                      annexes: Sequence[str] = (), missing_persons: int = 0,
                      receiver: str | None = None) -> dict:
    """Context of transfer_agreement.docx (one agreement per enterprise × receiving county).

    Keys: title, enterprise, enterprise_address, receiver, receiver_address, basis, figures (an
    AgreementFigures), scope / archives / party / fees / staff / schedule / other (lists of
    (number, text)), duties_a / duties_b (lists of (number, text)), annexes (lines), copies.
    """
    f: AgreementFigures = agreement_figures(
        county, list(retirees), [(d.street, d.community) for d in destinations], profile, volumes)
    rule = profile.routing
    receiver = receiver or f"{county}人民政府"
    scope = [f"甲方向乙方移交企业退休人员{f.retirees}人，其中中共党员{f.party_members}人，分别移交乙方辖区内"
             f"{f.streets}个街道（乡镇）、{f.communities}个社区实行社会化管理服务，名单见附件《企业退休人员"
             "移交社区管理花名册》。"]
    excluded = ["企业离休人员"]
    if rule.exclude_leadership_cadres:
        excluded.append("领导人员（其人事档案按干部管理权限由组织部门管理）")
    if rule.exclude_deceased:
        excluded.append("移交前已死亡人员（其档案仍由原企业保管）")
    scope.append("、".join(excluded) + "不在本协议移交范围内，按有关规定办理。")
    scope.append("本协议签订后新办理退休手续的人员，由甲方协助按本协议约定的程序办理移交。")

    custodian = profile.archive_custodian or "乙方指定的档案管理部门"
    archives = [
        f"甲方移交退休人员人事档案{f.volumes}卷、共{f.pages}页。档案按人事档案管理规定分类、整理、"
        "装订，材料完整、齐全、真实，标明材料形成日期并按顺序编页。",
        f"甲方按街道（乡镇）编制《档案移交名册表》（一式四份），由甲方派专人连同档案送达{custodian}，"
        "不得由退休人员本人自带移交；接收部门核对无误后办理接收手续。",
        "档案中缺少必要材料的，甲方负责补齐；确实无法补齐的，由甲方出具《档案材料缺失情况说明》"
        + (f"（本次涉及{missing_persons}人）。" if missing_persons else "。"),
    ]
    party = [f"甲方将{f.party_members}名退休党员的组织关系转入其居住地街道（乡镇）、社区党组织，"
             "开具介绍信，载明党员信息和党费缴纳情况，并编制《党员组织关系转接名册》。"]

    fees: list[str] = []
    for line in f.fees:
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

    staff: list[str] = []
    if f.transfer_staff is not None:
        staff.append(f"甲方按每{f.retirees_per_staff}名退休人员配备1名管理服务人员的比例，向乙方移交原退休"
                     f"管理机构工作人员{f.transfer_staff}名（{f.retirees}人÷{f.retirees_per_staff}，"
                     "不足1名的按1名计）；移交后薪酬待遇低于移交前的，差额部分由甲方支付。")
    elif profile.staffing.note:
        staff.append(profile.staffing.note)
    if not staff:
        staff.append("乙方根据接收人数配备管理服务人员。")

    schedule = []
    for d in profile.deadlines:
        when = cn_date(d.date) if d.date else d.rule
        schedule.append(f"{d.name}：{when}。")
    schedule.append("甲方在本协议签订后组织退休人员到移交地街道（乡镇）和社区报到，并将《基本信息表》、"
                    "经社会保险经办机构确认的《花名册》和《移交地调查表》一并交街道（乡镇）和社区。")

    copies = f.copies
    other = ["本协议履行中发生争议的，双方协商解决；协商不成的，提请上级社会化管理服务工作领导机构协调。",
             "本协议未尽事宜，由双方另行协商，签订补充协议。补充协议与本协议具有同等效力。",
             f"本协议自双方签字盖章之日起生效。本协议一式{cn_number(copies)}份，甲乙双方及相关部门各执一份，"
             "具有同等法律效力。"]
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


def contact_cards_context(pairs: Sequence[tuple[Retiree, Destination]], enterprise: Enterprise) -> dict:
    """联系卡, two per row of the page; an odd last card is paired with a blank one."""
    cards = []
    for r, d in pairs:
        card = {"title": "社会化管理服务联系卡", "name": r.name, "person_no": r.person_no,
                "community": f"{d.street}{d.community}", "liaison": "", "service_phone": "",
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
