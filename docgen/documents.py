"""Builders: domain data -> ``TableDocument`` for every tabular document (pure, no I/O).

Column headers and header/footer fields are exactly the seed's (DOMAIN.md §3.1, §3.4, §3.5, §5.5).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Iterable, Mapping, Sequence

from handover.models import Destination, Enterprise, Retiree

from .figures import archive_counts, cn_date, cn_month, cn_number, dotted_date
from .model import Column, TableDocument, TableSection
from .records import NOT_RECEIVED, MaterialEntry, MissingItem, ReceiptLine, VolumeRecord

ARCHIVE_COPY_LABELS = ["第一联　企业留存", "第二联　社会保险经办机构留存", "第三联　街道（乡镇）、社区留存",
                       "第四联　档案管理部门留存"]


def _retired(r: Retiree) -> str:
    return cn_month(r.retired_on)


# --- 企业退休人员移交社区管理花名册 (附件1—1) ------------------------------------------------

ROSTER_COLUMNS = [
    Column("seq", "序号", 3.6),
    Column("person_no", "个人编号", 7.5),
    Column("name", "姓名", 5),
    Column("sex", "性别", 3),
    Column("id_number", "社会保障号码\n（身份证号）", 11),
    Column("retired_on", "退休时间", 6.5),
    Column("residence", "居住地详细地址", 18, "left"),
    Column("hukou", "户口所在地地址", 18, "left"),
]


def confirmation_block(agency: str) -> list[str]:
    """The receiving agency's 签字盖章确认 closing a roster (河南 附件1 二: 县（市、区）社会保险经办机构
    与企业核对移交企业退休人员人数和名单后签字盖章确认、备案)."""
    gap = "　" * 6
    return [f"{agency}核对意见：", "",
            f"{agency}（盖章）：{gap}　　经办人（签字）：{gap}　　确认日期：{BLANK_DATE}"]


def community_roster(enterprise: Enterprise, destination: Destination,
                     retirees: Sequence[Retiree], copies: Sequence[str] = ("",),
                     confirmed_by: str = "") -> TableDocument:
    """One community's 花名册, in the profile's labelled ``copies``; ``confirmed_by``: the agency
    that signs and seals it as checked, if the region's seed says so."""
    rows = [(str(i), r.person_no, r.name, str(r.sex), r.id_number, _retired(r), r.residence.full(),
             r.hukou.full()) for i, r in enumerate(retirees, 1)]
    section = TableSection(
        fields=[("单位名称", enterprise.name), ("移交县(市、区)", destination.county),
                ("移交街道(乡镇)社区", f"{destination.street}{destination.community}")],
        rows=rows, totals=("合计", "", f"{len(rows)}人", "", "", "", "", ""), key=destination.label)
    return TableDocument(
        doc_type="community_roster", title="企业退休人员移交社区管理花名册", columns=ROSTER_COLUMNS,
        sections=[section], note="注：按街道(乡镇)、社区编制花名册。",
        footer=[("经办人", ""), ("经办时间", ""), ("单位签章", "")], community=destination.label,
        copies=list(copies), closing=confirmation_block(confirmed_by) if confirmed_by else [])


# --- 省属企业退休人员社会化管理服务档案移交名册表 (附件2) -------------------------------------

ARCHIVE_COLUMNS = [
    Column("name", "姓　名", 5),
    Column("id_number", "社会保障号码\n（身份证号）", 11),
    Column("destination", "移交地县(市、区)\n街道(乡镇)、社区", 19, "left"),
    Column("volumes", "档案\n卷数", 3.5, numeric=True),
    Column("pages", "页　数", 3.5, numeric=True),
    Column("other", "其它资料", 8, "left"),
    Column("remarks", "备　注", 10, "left"),
]
ARCHIVE_NOTE = "注：此表一式四份，企业，经办机构，街道（乡镇）、社区，档案管理部门各一份。"
BLANK_DATE = "　　年　　月　　日"


def copy_labels(copies: int) -> list[str]:
    return ARCHIVE_COPY_LABELS[:copies] if copies <= 4 else ARCHIVE_COPY_LABELS + [
        f"第{cn_number(i + 1)}联" for i in range(4, copies)]


def receiving_block(enterprise: Enterprise, receiver: str = "") -> list[str]:
    """移交单位 and 接收部门 lines closing each street's roster: the roster is the receipt (附件2 二:
    the archive department 核对无误后办理接收手续)."""
    gap = "　" * 6
    return [f"移交单位（盖章）：{enterprise.name}　　移交人（签字）：{gap}　　移交日期：{BLANK_DATE}",
            "接收部门核对意见：", "",
            f"接收部门（盖章）：{receiver or gap}　　接收人（签字）：{gap}　　日期：{BLANK_DATE}"]


def _by_street(pairs: Iterable[tuple[Retiree, Destination]]) -> list[tuple[str, list[tuple[Retiree, Destination]]]]:
    by_street: dict[tuple[str, str], list[tuple[Retiree, Destination]]] = defaultdict(list)
    for r, d in pairs:
        by_street[(d.county, d.street)].append((r, d))
    out = []
    for (county, street), items in sorted(by_street.items()):
        items.sort(key=lambda p: (p[1].community, p[0].person_no, p[0].id_number))
        out.append((f"{county}{street}", items))
    return out


def archive_transfer_rosters(enterprise: Enterprise, pairs: Iterable[tuple[Retiree, Destination]],
                             receipts: Mapping[str, ReceiptLine] | None = None,
                             remarks: Mapping[str, str] | None = None, copies: int = 4,
                             title_prefix: str = "省属", receiver: str = "") -> list[TableDocument]:
    """The 档案移交名册表, one document per 街道(乡镇) (附件2: 按街道（乡镇）分别编制), each in
    ``copies`` labelled copies with its own page numbers and the receiving block.

    ``receipts``: ID number -> what the archive received (``ReceiptLine``, from the
    reconciliation): its figures and 备注 replace the declared ones, and a person not received is
    listed apart in a second table, 未接收. A person without one keeps the roster's declared
    卷数/页数 (the roster as prepared before digitization). ``remarks``: ID number -> 备注
    drafted from the check (缺失材料 and the 书面说明编号) where no receipt remark is given; the
    roster's own 备注 follows either. ``receiver``: the archive department signing for receipt.
    """
    receipts, remarks = receipts or {}, remarks or {}
    docs = []
    for street, items in _by_street(pairs):
        got, missed = [], []
        for r, d in items:
            line = receipts.get(r.id_number)
            declared_v, declared_p = archive_counts(r)
            if line is not None and line.status == NOT_RECEIVED:
                missed.append((r.name, r.id_number, d.label, str(declared_v), str(declared_p), "",
                               _joined(line.remark or "档案未接收", r.remarks)))
                continue
            v = line.volumes if line is not None and line.volumes is not None else declared_v
            p = line.pages if line is not None and line.pages is not None else declared_p
            note = (line.remark if line is not None and line.remark else remarks.get(r.id_number, ""))
            got.append((r.name, r.id_number, d.label, str(v), str(p), "", _joined(note, r.remarks)))
        head = [("单位名称", f"{enterprise.name}（盖章）"), ("移交县(市、区)街道(乡镇)", street)]
        sections = [TableSection(fields=head, rows=got, totals=_archive_totals(got), key=street)]
        if missed:
            sections.append(TableSection(
                fields=head + [("未接收", f"{len(missed)}人（卷数、页数为申报数，不计入已接收合计）")],
                rows=missed, totals=_archive_totals(missed), key=f"{street}·未接收"))
        docs.append(TableDocument(
            doc_type="archive_transfer_roster",
            title=f"{title_prefix}企业退休人员社会化管理服务档案移交名册表", columns=ARCHIVE_COLUMNS,
            sections=sections, note=ARCHIVE_NOTE,
            footer=[("填报人", enterprise.contact), ("联系电话", enterprise.phone), ("填报日期", "")],
            copies=copy_labels(copies), closing=receiving_block(enterprise, receiver), community=street))
    return docs


def _joined(*notes: str) -> str:
    return "；".join(x for x in notes if x)


def _archive_totals(rows: list[tuple[str, ...]]) -> tuple[str, ...]:
    return ("合计", f"{len(rows)}人", "", str(sum(int(r[3]) for r in rows)),
            str(sum(int(r[4]) for r in rows)), "", "")


# --- 档案材料缺失情况说明: the list of one street (part of the 书面说明) ------------------------

MISSING_COLUMNS = [
    Column("seq", "序号", 3.5), Column("name", "姓　名", 5), Column("id_number", "社会保障号码\n（身份证号）", 11),
    Column("community", "移交社区", 12, "left"), Column("material", "缺失材料名称", 14, "left"),
    Column("reason", "缺失原因", 16, "left"), Column("number", "书面说明\n编号", 7),
]


def missing_statement_list(enterprise: Enterprise, street: str,
                           entries: Sequence[tuple[MissingItem, Destination, str]]) -> TableDocument:
    """档案材料缺失情况一览表 of one 街道(乡镇): every missing 必要材料 with the number of the
    person's 书面说明. ``entries``: (item, destination, statement number), in roster order."""
    rows = [(str(i), it.name, it.id_number, d.community, it.material, it.reason, number)
            for i, (it, d, number) in enumerate(entries, 1)]
    persons = len({it.id_number for it, _, _ in entries})
    return TableDocument(
        doc_type="missing_statement_list", title="档案材料缺失情况一览表", columns=MISSING_COLUMNS,
        sections=[TableSection(
            fields=[("单位名称", f"{enterprise.name}（盖章）"), ("移交县(市、区)街道(乡镇)", street)],
            rows=rows, totals=("合计", f"{persons}人", "", "", f"{len(rows)}项", "", ""), key=street)],
        note="注：档案中缺少的必要材料无法补齐的，由企业逐人出具《档案材料缺失情况说明》（见书面说明编号），"
             "随《档案移交名册表》送达档案管理部门。",
        footer=[("经办人", ""), ("联系电话", enterprise.phone), ("日期", "")], community=street)


# --- 党员组织关系转接名册 (DOMAIN.md §3.5, proposed columns) ---------------------------------

PARTY_COLUMNS = [
    Column("seq", "序号", 3.6), Column("name", "姓名", 5), Column("sex", "性别", 3.2),
    Column("id_number", "身份证号", 11), Column("joined", "入党时间", 6.5),
    Column("from_org", "原党组织", 12, "left"), Column("dues", "党费缴至\n年月", 6),
    Column("to_org", "转入党组织", 14, "left"), Column("letter", "介绍信编号", 6),
    Column("remarks", "备注", 6, "left"),
]


def party_target(r: Retiree, managed_by: Destination, goes_to: str) -> Destination:
    """Where a member's 组织关系 goes: the managing community, or under ``residence`` the street
    and community the member lives in (人户分离 → 居住地), when the residence names them."""
    a = r.residence
    if goes_to == "residence" and a.routable:
        return Destination(county=a.county, street=a.street, community=a.community)
    return managed_by


def party_transfer_roster(enterprise: Enterprise, pairs: Iterable[tuple[Retiree, Destination]],
                          party_org: str = "", letters: Mapping[str, str] | None = None,
                          targets: Mapping[str, Destination] | None = None, note: str = "") -> TableDocument:
    """Party members by the street they move to, with the party organisation receiving them
    (``targets``: ID number -> its community, default the managing one); ``letters``: ID number ->
    the number of the member's 介绍信; ``note``: the region's 注."""
    letters, targets = letters or {}, targets or {}
    by_street: dict[tuple[str, str], list[tuple[Retiree, Destination, Destination]]] = defaultdict(list)
    for r, d in pairs:
        if r.party_member:
            t = targets.get(r.id_number, d)
            by_street[(t.county, t.street)].append((r, d, t))
    from_org = party_org or f"{enterprise.name}党组织"
    sections = []
    for (county, street), items in sorted(by_street.items()):
        items.sort(key=lambda p: (p[2].community, p[0].person_no, p[0].id_number))
        rows = [(str(i), r.name, str(r.sex), r.id_number, cn_month(r.party_joined_on), from_org,
                 cn_month(r.party_dues_paid_to), f"{t.street}{t.community}党组织", letters.get(r.id_number, ""),
                 _joined(r.political_status if r.political_status != "中共党员" else "",
                         f"居住地党组织（管理服务社区：{d.street}{d.community}）" if t != d else ""))
                for i, (r, d, t) in enumerate(items, 1)]
        sections.append(TableSection(
            fields=[("单位名称", f"{enterprise.name}（盖章）"), ("转入县(市、区)街道(乡镇)", f"{county}{street}")],
            rows=rows, totals=("合计", f"{len(rows)}人", "", "", "", "", "", "", "", ""),
            key=f"{county}{street}"))
    return TableDocument(
        doc_type="party_transfer_roster", title="国有企业退休人员党员组织关系转接名册",
        columns=PARTY_COLUMNS, sections=sections, note=note,
        footer=[("经办人", ""), ("联系电话", enterprise.phone), ("日期", ""), ("党组织（盖章）", "")])


# --- 交接清单 (重庆 “交接有清单”): what one county receives, rows from the profile -----------

CHECKLIST_COLUMNS = [
    Column("seq", "序号", 3), Column("item", "交接事项", 12, "left"), Column("quantity", "数量", 8),
    Column("detail", "明细及依据", 24, "left"), Column("remarks", "备注", 8, "left"),
]


def handover_checklist(enterprise: Enterprise, county: str, rows: Sequence[tuple[str, str, str]],
                       title: str = "企业退休人员社会化管理交接清单") -> TableDocument:
    """``rows``: (交接事项, 数量, 明细) with the figures filled; closed by both sides' signatures."""
    gap = "　" * 6
    return TableDocument(
        doc_type="handover_checklist", title=title, columns=CHECKLIST_COLUMNS,
        sections=[TableSection(fields=[("移交企业", f"{enterprise.name}（盖章）"), ("接收区县", county)],
                               rows=[(str(i), *row, "") for i, row in enumerate(rows, 1)], key=county)],
        closing=[f"移交企业（盖章）：{enterprise.name}　　经办人（签字）：{gap}　　日期：{BLANK_DATE}",
                 f"接收单位（盖章）：{gap}{gap}　　经办人（签字）：{gap}　　日期：{BLANK_DATE}"],
        orientation="portrait", community=county)


# --- 案卷目录 and 台账 per community (DOMAIN.md §5.5) ----------------------------------------

CATALOG_COLUMNS = [
    Column("volume_no", "案卷号", 4), Column("ref_no", "档号", 16), Column("title", "案卷题名", 14, "left"),
    Column("span", "起止日期", 12), Column("pages", "页数", 4), Column("retention", "保管期限", 5),
    Column("remarks", "备注", 10, "left"),
]

LEDGER_COLUMNS = [
    Column("ref_no", "档号", 16), Column("volume_no", "案卷号", 3.5), Column("name", "姓名", 4.5),
    Column("sex", "性别", 2.5), Column("birth", "出生日期", 6.5), Column("id_number", "公民身份号码", 11),
    Column("employer", "原工作单位", 8, "left"), Column("community", "社区", 8, "left"),
    Column("materials", "材料\n份数", 3), Column("pages", "页数", 3), Column("received", "接收日期", 6.5),
    Column("location", "存放位置", 6, "left"), Column("remarks", "备注", 5, "left"),
]


def _span(v: VolumeRecord) -> str:
    if v.start or v.end:
        return f"{dotted_date(v.start)}—{dotted_date(v.end)}"
    return ""


def volume_catalog(community: str, volumes: Sequence[VolumeRecord], custodian: str = "") -> TableDocument:
    vols = sorted(volumes, key=lambda v: v.volume_no)
    rows = [(str(v.volume_no), v.ref_no, v.title, _span(v), str(v.pages), v.retention, v.remarks) for v in vols]
    fields = [("社区", community), ("案卷数", str(len(rows)))] + ([("保管单位", custodian)] if custodian else [])
    return TableDocument(
        doc_type="volume_catalog", title="企业退休人员人事档案案卷目录", columns=CATALOG_COLUMNS,
        sections=[TableSection(fields=fields, rows=rows, key=community,
                               totals=("合计", f"{len(rows)}卷", "", "", str(sum(v.pages for v in vols)), "", ""))],
        footer=[("编制人", ""), ("审核人", ""), ("编制日期", "")], community=community)


def ledger(community: str, volumes: Sequence[VolumeRecord]) -> TableDocument:
    vols = sorted(volumes, key=lambda v: v.volume_no)
    rows = [(v.ref_no, str(v.volume_no), v.name, v.sex, dotted_date(v.birth_date), v.id_number,
             v.former_employer, v.community, str(v.material_count), str(v.pages),
             dotted_date(v.received_on), v.storage_location, v.remarks) for v in vols]
    totals = ("合计", "", f"{len(rows)}人", "", "", "", "", "", str(sum(v.material_count for v in vols)),
              str(sum(v.pages for v in vols)), "", "", "")
    return TableDocument(
        doc_type="ledger", title="企业退休人员人事档案台账", columns=LEDGER_COLUMNS,
        sections=[TableSection(fields=[("社区", community)], rows=rows, totals=totals, key=community)],
        footer=[("登记人", ""), ("登记日期", "")], community=community)


# --- 档案利用登记簿 (the reading-room register of a month; rows from archive_store.use_register) ---

USE_REGISTER_COLUMNS = [
    Column("seq", "序号", 3.2), Column("day", "日期", 8), Column("requester", "利用人", 6, "left"),
    Column("organisation", "单位", 7, "left"), Column("ref_no", "档号", 11.5), Column("name", "姓名", 4.5),
    Column("kind", "利用方式", 3.6), Column("reason", "事由", 9.5, "left"), Column("approver", "批准人", 6.5),
    Column("used_on", "借出/查阅\n日期", 8), Column("due_on", "应还日期", 8), Column("returned_on", "归还日期", 8),
    Column("effect", "利用效果", 7, "left"), Column("note", "备注", 7.5, "left"),
]


def use_register(title: str, community: str, month: str, rows: Sequence[tuple[str, ...]],
                 printed_on: dt.date) -> TableDocument:
    """The month's register as printed and signed in the reading room: ``rows`` in
    ``USE_REGISTER_COLUMNS`` order, the 登记人 and 审核人 to sign below."""
    return TableDocument(
        doc_type="use_register", title=title, columns=USE_REGISTER_COLUMNS,
        sections=[TableSection(fields=[("社区", community), ("月份", month), ("利用次数", str(len(rows)))],
                               rows=list(rows), key=community)],
        footer=[("登记人", ""), ("审核人", ""), ("打印日期", cn_date(printed_on))], community=community)


# --- 卷内目录 per volume --------------------------------------------------------------------

CLASS_ORDER = ["一", "二", "三", "四", "四-1", "四-2", "四-3", "四-4", "五", "六", "七", "八",
               "九", "九-1", "九-2", "九-3", "九-4", "十"]

CONTENTS_COLUMNS = {
    # enterprise / retiree practice (dapx 832)
    "enterprise": [Column("class", "类号", 4), Column("title", "材料名称", 26, "left"),
                   Column("date", "材料制成时间\n（年/月/日）", 10), Column("copies", "份数", 4),
                   Column("pages", "页数", 4), Column("remarks", "备注", 8, "left")],
    # 干部档案, 组通字〔2012〕28号
    "cadre": [Column("seq", "序号", 4), Column("title", "材料名称", 30, "left"),
              Column("date", "材料形成时间", 10), Column("pages", "页数", 4),
              Column("remarks", "备注", 8, "left")],
}


def contents_list(volume: VolumeRecord, variant: str = "enterprise", blank_rows: int = 1,
                  skeleton: bool = False) -> TableDocument:
    """卷内目录: materials grouped by class in canonical order, numbering restarting per class,
    ``blank_rows`` empty rows after each class for later additions; ``skeleton`` lists every class."""
    columns = CONTENTS_COLUMNS[variant]
    by_class: dict[str, list[MaterialEntry]] = defaultdict(list)
    for m in volume.materials:
        by_class[m.class_code].append(m)
    order = [c for c in CLASS_ORDER if skeleton or c in by_class] + sorted(set(by_class) - set(CLASS_ORDER))
    rows: list[tuple[str, ...]] = []
    for code in order:
        items = sorted(by_class.get(code, []), key=lambda m: (m.formed_on or dt.date.min))
        for seq, m in enumerate(items, 1):
            date = dotted_date(m.formed_on).replace(".", "/")
            if variant == "enterprise":
                rows.append((f"{code}-{seq}", m.title, date, str(m.copies), str(m.pages), m.remarks))
            else:
                rows.append((f"{code}-{seq}", m.title, date, str(m.pages), m.remarks))
        rows.extend([("",) * len(columns)] * blank_rows)
    total_pages = sum(m.pages for m in volume.materials)
    totals = (("合计", "", "", str(sum(m.copies for m in volume.materials)), str(total_pages), "")
              if variant == "enterprise" else ("合计", "", "", str(total_pages), ""))
    return TableDocument(
        doc_type="contents_list", title="卷　内　目　录", columns=columns,
        sections=[TableSection(fields=[("档号", volume.ref_no), ("姓名", volume.name)], rows=rows,
                               totals=totals, key=volume.ref_no)],
        orientation="portrait", template="contents_list" if variant == "enterprise" else "contents_list_cadre",
        community=volume.community)


def received_label(day: dt.date | None) -> str:
    return cn_date(day, "")
