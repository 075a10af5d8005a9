"""The whole transfer bundle of one enterprise: every document, ``manifest.json`` and a zip.

Only the documents of the profile's ``documents`` (the region's seed's list) are made.
Layout of ``out_dir`` (folder and file names in Chinese, as an office files them)::

    00_移交方案/        重庆 “一企一案”: 移交方案.docx/.pdf, one per enterprise, from the profile's text
    01_移交协议/        移交协议_<县>.docx/.pdf (one per receiving county); 重庆: 交接清单_<县> beside it
                        河南: 移交框架协议_<市> (with each city) and 社会化管理服务申请_<县> (to its
                        社会保险经办机构), from the profile's texts
    02_花名册/          花名册_<社区>.docx/.pdf in the profile's labelled copies (河南: three, closed by
                        the 社会保险经办机构's 签字盖章确认), 花名册.xlsx (a sheet per community)
    03_档案移交名册表/  档案移交名册表_<县街道>.docx/.pdf/.xlsx, one per 街道(乡镇): four labelled
                        copies, each with its own page numbers; the XLSX a sheet per copy
    04_基本信息表/      基本信息表_<社区>.docx/.pdf (a page per person and copy: 咸宁 一式三份, each
                        labelled with its holder), 个人/<姓名_身份证后4位>.docx
    04_信息采集表/      晋宁: 昆明市国有企业退休人员信息采集表_<社区> (a page per person: upload due a
                        month before retirement, 退休证编号 for the 报到, signature), DOCX and PDF
    05_移交地调查表/    likewise (河南)
    06_党员组织关系移交协议/ 晋宁: 党员组织关系移交协议_<社区> (a page per member and party), DOCX and PDF
    06_党员组织关系转接名册/ the roster; 介绍信/介绍信_<社区>.docx/.pdf (a page per member, batched per
                        receiving party organisation: [party] goes_to) where the profile lists
                        party_letter (咸宁), their numbers in the roster's 介绍信编号
    07_联系卡/          联系卡_<社区>.docx/.pdf (10 cards per A4 page)
    08_档案/            per community: 案卷目录, 台账, 卷内目录, 备考表 (when volumes are given)
    09_未移交人员/      未移交人员名单.xlsx (excluded or unrouted, with the reason)
    10_书面说明/        when missing materials are given, per 街道: 档案材料缺失情况一览表_<县街道>
                        (.docx/.pdf/.xlsx) and <县街道>/档案材料缺失情况说明_<姓名_身份证后4位>.docx
                        (.pdf with LibreOffice), one numbered statement per person to sign and seal
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Callable, Mapping, Sequence

from handover import clock, gazetteer
from handover.communities import Contact
from handover.models import Destination, Enterprise, Retiree
from handover.policy import PolicyProfile
from handover.routing import Assignment, route

from . import documents as D
from .convert import ConversionError, convert_to_pdf, soffice
from .docx_tables import render_table_docx
from .figures import rule_warnings
from .forms import (BASIC_INFO, INFO_COLLECTION, PARTY_AGREEMENT, PARTY_LETTER, SURVEY, basic_info_values,
                    copies_of_form, form_for, info_collection_values, party_agreement_values,
                    party_letter_values, survey_values)
from .forms_docx import FormRenderer
from .manifest import Manifest, ManifestEntry, pdf_pages, safe_name, sha256
from .model import Column, TableDocument, TableSection
from .pdf_cards import render_cards_pdf
from .pdf_forms import render_forms_pdf
from .pdf_tables import Measure, layout, render_table_pdf
from .pdffont import pdf_fonts
from .records import RECEIVED, MissingItem, MissingStatement, NoteSheet, ReceiptLine, VolumeRecord
from .text_docs import (NOT_REGISTERED, agreement_context, contact_cards_context, missing_statement_context,
                        note_sheet_context, render, text_document_context, text_figures)
from .xlsx import write_xlsx

Progress = Callable[[int, int, str], None]
PER_PERSON_AUTO_LIMIT = 1000  # above this, per-person files are off unless asked for
LO_PAGES_LIMIT = 300  # 备考表 go through LibreOffice only up to this many pages


class _Writer:
    """Collects jobs, runs them with progress, records manifest entries."""

    def __init__(self, root: Path, progress: Progress | None):
        self.root = root
        self.progress = progress
        self.jobs: list[tuple[str, Callable[[], None]]] = []
        self.entries: list[ManifestEntry] = []
        self.lo_queue: list[tuple[Path, ManifestEntry]] = []

    def add(self, label: str, job: Callable[[], None]) -> None:
        self.jobs.append((label, job))

    def record(self, path: Path, **kw) -> ManifestEntry:
        entry = ManifestEntry(path=str(path.relative_to(self.root)), format=path.suffix[1:], **kw)
        self.entries.append(entry)
        return entry

    def run(self) -> None:
        total = len(self.jobs) + 1
        for i, (label, job) in enumerate(self.jobs, 1):
            job()
            if self.progress:
                self.progress(i, total, label)


def _assign(enterprise: Enterprise, retirees: Sequence[Retiree], profile: PolicyProfile,
            assignments: Sequence[Assignment] | None) -> list[tuple[Retiree, Assignment]]:
    if assignments is None:
        return [(r, route(r, enterprise, profile)) for r in retirees]
    if len(assignments) != len(retirees):
        raise ValueError("assignments 与 retirees 数量不一致")
    return list(zip(retirees, assignments))


def volume_counts(volumes: Sequence[VolumeRecord] | None) -> dict[str, tuple[int, int]]:
    """id_number -> (卷数, 页数) of the digitized volumes."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for v in volumes or []:
        c = counts[v.id_number]
        c[0] += 1
        c[1] += v.pages
    return {k: (a, b) for k, (a, b) in counts.items()}


def generate_bundle(enterprise: Enterprise, retirees: Sequence[Retiree], profile: PolicyProfile,
                    out_dir: Path, assignments: Sequence[Assignment] | None = None,
                    volumes: Sequence[VolumeRecord] | None = None, progress: Progress | None = None,
                    *, pdf: bool = True, per_person: bool | None = None,
                    missing: Sequence[MissingItem] | None = None, text_pdf: bool | None = None,
                    today: dt.date | None = None,
                    receipts: Mapping[str, ReceiptLine] | None = None,
                    contacts: Mapping[tuple[str, str, str], Contact] | None = None) -> Manifest:
    """Write every document of the transfer and return the manifest (also ``manifest.json``).

    After digitization: ``volumes`` (the published volumes) put the received 卷数/页数 on the
    档案移交名册表; ``receipts`` (ID number -> ``ReceiptLine``, from the reconciliation) win over
    them and may list a person apart as 未接收; ``missing`` (the missing 必要材料 per person, from
    the checks) fills the roster's 备注 and drafts each person's numbered 书面说明 and the list of
    each 街道. Without them the roster shows the declared figures, as prepared before digitization.

    ``pdf``: tabular documents and per-person forms as PDF (reportlab, fast at any size);
    ``text_pdf``: the agreement and the written statement through LibreOffice (default: ``pdf``
    and LibreOffice installed); ``per_person``: one DOCX per person besides the batches (default:
    on up to 1,000 retirees).

    ``contacts``: the communities' 社区联系人 and 服务电话 (``handover.communities.contacts``) for the
    联系卡; a community without them has 尚未登记 printed there and is named in a warning.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    today = today or clock.today()
    pairs = _assign(enterprise, retirees, profile, assignments)
    routed = [(r, a.destination) for r, a in pairs if a.destination is not None]
    excluded = [(r, a) for r, a in pairs if a.excluded]
    unassigned = [(r, a) for r, a in pairs if a.destination is None and not a.excluded]
    per_person = len(routed) <= PER_PERSON_AUTO_LIMIT if per_person is None else per_person
    text_pdf = (pdf and soffice() is not None) if text_pdf is None else text_pdf
    counts = volume_counts(volumes) or None
    street_of = {r.id_number: d for r, d in routed}
    makes = profile.makes  # the region's document list: nothing outside it is made
    statements = (number_statements(enterprise.name, missing or [], routed, today)
                  if makes("missing_statement") else {})
    remarks = {pid: f"缺{'、'.join(it.material for it in st.items)}，见书面说明（编号{st.number}）"
               for pid, st in statements.items()}
    lines = {pid: ReceiptLine(RECEIVED, v, p) for pid, (v, p) in (counts or {}).items()} | dict(receipts or {})

    by_community: dict[Destination, list[Retiree]] = defaultdict(list)
    for r, d in routed:
        by_community[d].append(r)
    by_community = dict(sorted(by_community.items(), key=lambda kv: (kv[0].county, kv[0].street,
                                                                     kv[0].community)))
    fonts = None
    if pdf:  # rare name characters get their glyphs before any PDF is drawn
        from .pdffont import cover
        person_text = {r.id_number: r.name + r.residence.full() + r.hukou.full() for r, _ in routed}
        fonts = cover(enterprise.name + "".join(person_text.values()))
    w = _Writer(out_dir, progress)
    manifest = Manifest(enterprise=enterprise.name, uscc=enterprise.uscc, region=profile.region,
                        generated_at=dt.datetime.now().isoformat(timespec="seconds"),
                        retirees=len(pairs), transferred=len(routed), excluded=len(excluded),
                        unassigned=len(unassigned))

    def table(doc: TableDocument, folder: str, stem: str, xlsx: bool = False) -> None:
        base = out_dir / folder / stem
        # one layout for the PDF and for the page count a copy of the DOCX shows in LibreOffice
        lay = layout(doc, Measure(pdf_fonts())) if pdf or len(doc.copies) > 1 else None
        render_table_docx(doc, base.with_suffix(".docx"), pages_per_copy=lay and len(lay.pages))
        common = dict(type=doc.doc_type, title=doc.title, community=doc.community, rows=doc.row_count,
                      copies=len(doc.copies))
        w.record(base.with_suffix(".docx"), **common)
        if pdf:
            pages = render_table_pdf(doc, base.with_suffix(".pdf"), lay=lay)
            w.record(base.with_suffix(".pdf"), pages=pages, **common)
        if xlsx:
            write_xlsx([doc], base.with_suffix(".xlsx"))
            w.record(base.with_suffix(".xlsx"), **common)

    # 01 agreements, one per receiving county
    counties: dict[str, list[tuple[Retiree, Destination]]] = defaultdict(list)
    for r, d in routed:
        counties[d.county].append((r, d))
    annexes = annex_names(profile)
    roster_annex = next((a for a in annexes if a.startswith(LIST_ANNEXES)), "")
    missing_ids = {i.id_number for i in missing or []}
    for county, items in sorted(counties.items() if makes("transfer_agreement") else ()):
        def job(county=county, items=items):
            dests = [d for _, d in items]
            n = len(set(dests))
            ctx = agreement_context(
                enterprise, county, [r for r, _ in items], dests, profile, counts,
                annexes=[a.format(n=n) for a in annexes], roster_annex=roster_annex.format(n=n),
                missing_persons=sum(r.id_number in missing_ids for r, _ in items), day=today,
                contacts=contacts or {})
            path = out_dir / "01_移交协议" / f"移交协议_{safe_name(county)}.docx"
            render("transfer_agreement", ctx, path)
            entry = w.record(path, type="transfer_agreement", title=ctx["title"], community=county,
                             rows=len(items), copies=ctx["copies"])
            if text_pdf:
                w.lo_queue.append((path, entry))
        w.add(f"移交协议 {county}", job)

    def text_job(doc_type: str, path: Path, ctx: dict, community: str, rows: int) -> None:
        """A region's own text document (profile [texts]), PDF through LibreOffice."""
        render("text_document", ctx, path)
        entry = w.record(path, type=doc_type, title=ctx["title"], community=community, rows=rows)
        if text_pdf:
            w.lo_queue.append((path, entry))

    # 00 重庆 “一企一案”: the enterprise's 移交方案, over all its receiving counties
    if makes("transfer_plan") and routed:
        figures = text_figures(enterprise, [r for r, _ in routed], [d for _, d in routed], profile, today,
                               counts, len(excluded) + len(unassigned), when="本方案制定时")
        plan = text_document_context(profile.texts["transfer_plan"], figures)
        w.add("移交方案", lambda: text_job("transfer_plan", out_dir / "00_移交方案" / "移交方案.docx", plan,
                                          "", len(routed)))

    # 01 河南: the 移交框架协议 with each city beside the county agreements, and to each county's
    # 社会保险经办机构 the 社会化管理服务申请 that goes with the agreement
    cities: dict[str, list[tuple[Retiree, Destination]]] = defaultdict(list)
    for r, d in routed:
        cities[_city_of(d, enterprise)].append((r, d))
    for city, items in sorted(cities.items() if makes("framework_agreement") else ()):
        def framework_job(city=city, items=items):
            figures = text_figures(enterprise, [r for r, _ in items], [d for _, d in items], profile, today, counts)
            ctx = text_document_context(profile.texts["framework_agreement"], {**figures, "city": city})
            text_job("framework_agreement", out_dir / "01_移交协议" / f"移交框架协议_{safe_name(city)}.docx", ctx,
                     city, len(items))
        w.add(f"移交框架协议 {city}", framework_job)
    for county, items in sorted(counties.items() if makes("service_application") else ()):
        def application_job(county=county, items=items):
            figures = text_figures(enterprise, [r for r, _ in items], [d for _, d in items], profile, today, counts)
            ctx = text_document_context(profile.texts["service_application"], figures)
            text_job("service_application", out_dir / "01_移交协议" / f"社会化管理服务申请_{safe_name(county)}.docx",
                     ctx, county, len(items))
        w.add(f"社会化管理服务申请 {county}", application_job)

    # 01 重庆 “交接有清单”: the 交接清单 of each receiving county, beside its agreement
    for county, items in sorted(counties.items() if makes("handover_checklist") else ()):
        def checklist_job(county=county, items=items):
            figures = text_figures(enterprise, [r for r, _ in items], [d for _, d in items], profile, today, counts)
            rows = [(c.item.format_map(figures), c.quantity.format_map(figures), c.detail.format_map(figures))
                    for c in profile.checklist]
            doc = D.handover_checklist(enterprise, county, rows,
                                       profile.title_of("handover_checklist", ANNEXES["handover_checklist"]))
            table(doc, "01_移交协议", f"交接清单_{safe_name(county)}")
        w.add(f"交接清单 {county}", checklist_job)

    # 02 community rosters
    roster_docs = [D.community_roster(enterprise, d, rs, profile.copy_labels("community_roster", 1),
                                      profile.confirmed_by.get("community_roster", ""))
                   for d, rs in by_community.items()] if makes("community_roster") else []
    for doc in roster_docs:
        w.add(f"花名册 {doc.community}",
              lambda doc=doc: table(doc, "02_花名册", f"花名册_{safe_name(doc.community)}"))

    def roster_xlsx():
        path = out_dir / "02_花名册" / "花名册.xlsx"
        write_xlsx([dataclasses.replace(d, copies=[""]) for d in roster_docs], path)  # a working sheet, no copies
        w.record(path, type="community_roster", title="企业退休人员移交社区管理花名册（汇总）",
                 rows=sum(d.row_count for d in roster_docs))
    if roster_docs:
        w.add("花名册 XLSX", roster_xlsx)

    # 03 archive transfer roster: one file per street, four labelled copies
    for doc in D.archive_transfer_rosters(
            enterprise, routed if makes("archive_transfer_roster") else [], lines, remarks,
            profile.copies_of("archive_transfer_roster", 4),
            title_prefix="省属" if profile.province == "河南省" else ""):  # 接收部门 left for its seal
        w.add(f"档案移交名册表 {doc.community}",
              lambda doc=doc: table(doc, "03_档案移交名册表", f"档案移交名册表_{safe_name(doc.community)}", xlsx=True))

    # 04 / 05 per-person forms, batched per community
    bi_labels = profile.copy_labels("basic_info_form", 1)
    signed = len(bi_labels) > 1  # 咸宁: signed, sealed, 一式三份 (企业、个人、街道社区各一份)
    bi_spec = form_for(BASIC_INFO, signed)
    bi_tpl = "basic_info_form_signed" if signed else "basic_info_form"
    ref_of = {v.id_number: v for v in volumes or []}
    serial = {r.id_number: i for i, (r, _) in enumerate(routed, 1)}

    def forms_job(dest: Destination, people: list[Retiree], kind: str):
        if kind == "basic_info_form":
            values = [basic_info_values(r, enterprise, serial[r.id_number],
                                        dossier_no=ref_of[r.id_number].ref_no if r.id_number in ref_of else "",
                                        storage=ref_of[r.id_number].storage_location if r.id_number in ref_of else "",
                                        home_province=profile.province, dated=today) for r in people]
            folder, title, spec, tpl = "04_基本信息表", "基本信息表", bi_spec, bi_tpl
            labels = bi_labels
        elif kind == "info_collection_form":
            title = profile.title_of(kind, INFO_COLLECTION.title)
            values = [info_collection_values(r, enterprise, dest, serial[r.id_number], title, today)
                      for r in people]
            folder, title, spec, tpl = "04_信息采集表", "信息采集表", INFO_COLLECTION, kind
            labels = profile.copy_labels(kind, 1)
        else:
            values = [survey_values(r, enterprise, dest) for r in people]
            folder, title, spec, tpl = "05_移交地调查表", "移交地调查表", SURVEY, "destination_survey"
            labels = [""]
        heading = profile.title_of(kind, spec.title)
        pages_of = (lambda vs: copies_of_form(vs, heading, labels)) if spec.per_copy else (lambda vs: vs)
        renderer = FormRenderer(tpl)
        base = out_dir / folder / f"{title}_{safe_name(dest.label)}"
        common = dict(type=kind, title=heading, community=dest.label, copies=len(labels))
        renderer.write(pages_of(values), base.with_suffix(".docx"))
        w.record(base.with_suffix(".docx"), rows=len(values), **common)
        if pdf:
            pages = render_forms_pdf(spec, pages_of(values), base.with_suffix(".pdf"), title=heading)
            w.record(base.with_suffix(".pdf"), rows=len(values), pages=pages, **common)
        if per_person:
            for r, v in zip(people, values):
                path = out_dir / folder / "个人" / safe_name(dest.label) / f"{safe_name(r.name)}_{r.id_number[-4:]}.docx"
                renderer.write(pages_of([v]), path)
                w.record(path, rows=1, **common)

    for dest, people in by_community.items():
        for kind in filter(makes, ("basic_info_form", "info_collection_form", "destination_survey")):
            w.add(f"{kind} {dest.label}", lambda d=dest, p=people, k=kind: forms_job(d, p, k))

    # 06 party members go to the party organisation of the profile's rule (咸宁, 揭阳: where they
    # live); the roster and each member's 介绍信 or 党员组织关系移交协议 (batched per receiving
    # community) name it. The letters' numbers are the roster's 介绍信编号 where given, else <year>-001 …
    # in the roster's order, so the roster cites each letter.
    party_org = profile.party_letter.issuer
    targets = {r.id_number: D.party_target(r, d, profile.party.goes_to) for r, d in routed if r.party_member}
    by_target: dict[Destination, list[Retiree]] = defaultdict(list)
    for r, d in routed:
        if r.id_number in targets:
            by_target[targets[r.id_number]].append(r)
    by_target = dict(sorted(by_target.items(), key=lambda kv: (kv[0].county, kv[0].street, kv[0].community)))
    letters = (_letter_numbers(by_target, today)
               if makes("party_letter") or makes("party_transfer_agreement") else {})
    party = D.party_transfer_roster(enterprise, routed, party_org, letters=letters if makes("party_letter") else {},
                                    targets=targets, note=profile.party.roster_note)
    if party.row_count and makes("party_transfer_roster"):
        w.add("党员组织关系转接名册", lambda: table(party, "06_党员组织关系转接名册", "党员组织关系转接名册", xlsx=True))

    def members_job(kind: str, dest: Destination, members: list[Retiree]):
        if kind == "party_letter":
            heading, labels, spec, folder = profile.party_letter.title, [""], PARTY_LETTER, "06_党员组织关系转接名册/介绍信"
            values = [party_letter_values(r, enterprise, dest, letters[r.id_number], party_org) for r in members]
            stem = f"介绍信_{safe_name(dest.label)}"
        else:  # 晋宁: between the two 党组织, a copy for each
            heading = profile.title_of(kind, profile.party_agreement.title)
            labels, spec, folder = profile.copy_labels(kind), PARTY_AGREEMENT, "06_党员组织关系移交协议"
            values = [party_agreement_values(r, enterprise, dest, letters[r.id_number],
                                             profile.party_agreement.clauses, party_org) for r in members]
            stem = f"党员组织关系移交协议_{safe_name(dest.label)}"
        values = copies_of_form(values, heading, labels)
        base = out_dir / folder / stem
        FormRenderer(kind).write(values, base.with_suffix(".docx"))
        common = dict(type=kind, title=heading, community=dest.label, rows=len(members), copies=len(labels))
        w.record(base.with_suffix(".docx"), **common)
        if pdf:
            pages = render_forms_pdf(spec, values, base.with_suffix(".pdf"), title=heading)
            w.record(base.with_suffix(".pdf"), pages=pages, **common)
    for kind in filter(makes, ("party_letter", "party_transfer_agreement")):
        for dest, members in by_target.items():
            w.add(f"{kind} {dest.label}", lambda k=kind, d=dest, p=members: members_job(k, d, p))

    # 07 contact cards: the seed's point is to 公示联系电话, so a community without them is named
    def card_contact(dest: Destination) -> Contact:
        return (contacts or {}).get((dest.county, dest.street, dest.community)) or Contact()
    def cards_job(dest: Destination, people: list[Retiree]):
        path = out_dir / "07_联系卡" / f"联系卡_{safe_name(dest.label)}.docx"
        ctx = contact_cards_context([(r, dest) for r in people], enterprise, card_contact(dest))
        render("contact_card", ctx, path)
        w.record(path, type="contact_card", title="社会化管理服务联系卡", community=dest.label, rows=len(people))
        if pdf:
            pages = render_cards_pdf(ctx, path.with_suffix(".pdf"))
            w.record(path.with_suffix(".pdf"), type="contact_card", title="社会化管理服务联系卡",
                     community=dest.label, rows=len(people), pages=pages)
    for dest, people in by_community.items() if makes("contact_card") else ():
        w.add(f"联系卡 {dest.label}", lambda d=dest, p=people: cards_job(d, p))

    # 08 archive side
    vols_by_community: dict[str, list[VolumeRecord]] = defaultdict(list)
    for v in volumes or []:
        vols_by_community[v.community].append(v)
    for community, vols in sorted(vols_by_community.items()):
        stem = safe_name(community)

        def archive_job(community=community, vols=vols, stem=stem):
            folder = f"08_档案/{stem}"
            if makes("volume_catalog"):
                table(D.volume_catalog(community, vols, profile.archive_custodian), folder, f"案卷目录_{stem}",
                      xlsx=True)
            if makes("ledger"):
                table(D.ledger(community, vols), folder, f"台账_{stem}", xlsx=True)
            if makes("contents_list"):
                table(_contents_batch(community, vols), folder, f"卷内目录_{stem}")
            if not makes("note_sheet"):
                return
            notes = [note_sheet_context(NoteSheet(
                ref_no=v.ref_no, name=v.name, total_pages=v.pages, material_count=v.material_count,
                missing=[i.material for i in missing or [] if i.id_number == v.id_number],
                transferor=enterprise.name, received_on=v.received_on)) for v in sorted(vols, key=lambda v: v.volume_no)]
            path = out_dir / folder / f"备考表_{stem}.docx"
            FormRenderer("note_sheet").write(notes, path, top_level=True)
            entry = w.record(path, type="note_sheet", title="备考表", community=community, rows=len(notes))
            if text_pdf and len(volumes or []) <= LO_PAGES_LIMIT:
                w.lo_queue.append((path, entry))
        w.add(f"档案目录 {community}", archive_job)

    # 09 people not transferred
    if (excluded or unassigned) and makes("not_transferred"):
        def left_out():
            rows = [(str(i), r.name, r.id_number, a.excluded or a.rule)
                    for i, (r, a) in enumerate(excluded + unassigned, 1)]
            doc = TableDocument(
                doc_type="not_transferred", title="未移交人员名单",
                columns=[Column("seq", "序号", 3), Column("name", "姓名", 5), Column("id_number", "身份证号", 11),
                         Column("reason", "原因", 30, "left")],
                sections=[TableSection(fields=[("单位名称", enterprise.name)], rows=rows, key="未移交人员")])
            path = out_dir / "09_未移交人员" / "未移交人员名单.xlsx"
            write_xlsx([doc], path)
            w.record(path, type="not_transferred", title=doc.title, rows=len(rows))
        w.add("未移交人员名单", left_out)

    # 10 书面说明: a numbered statement per person and the list of each street
    receiver = profile.archive_custodian.split("（")[0] or "档案管理部门"
    by_street: dict[str, list[MissingStatement]] = defaultdict(list)
    for pid, st in statements.items():
        d = street_of[pid]
        by_street[f"{d.county}{d.street}"].append(st)
    for street, sts in by_street.items():
        stem = safe_name(street)

        def statements_job(street=street, sts=sts, stem=stem):
            entries = [(it, street_of[it.id_number], st.number) for st in sts for it in st.items]
            if makes("missing_statement_list"):
                table(D.missing_statement_list(enterprise, street, entries), "10_书面说明",
                      f"档案材料缺失情况一览表_{stem}", xlsx=True)
            for st in sts:
                it = st.items[0]
                path = (out_dir / "10_书面说明" / stem /
                        f"档案材料缺失情况说明_{safe_name(it.name)}_{it.id_number[-4:]}.docx")
                st = dataclasses.replace(st, receiver=receiver)
                render("missing_statement", missing_statement_context(st, enterprise.phone), path)
                # one line per person in the web's list of documents: the number and the name
                entry = w.record(path, type="missing_statement", title=f"档案材料缺失情况说明 {st.number} {it.name}",
                                 community=street, rows=len(st.items))
                if text_pdf and len(statements) <= LO_PAGES_LIMIT:
                    w.lo_queue.append((path, entry))
        w.add(f"书面说明 {street}", statements_job)

    w.run()
    if w.lo_queue:
        if progress:
            progress(len(w.jobs), len(w.jobs) + 1, "LibreOffice 转换 PDF")
        try:
            pdfs = convert_to_pdf([p for p, _ in w.lo_queue])
            for pdf_path, (_, entry) in zip(pdfs, w.lo_queue):
                w.record(pdf_path, type=entry.type, title=entry.title, community=entry.community,
                         rows=entry.rows, copies=entry.copies, pages=pdf_pages(pdf_path))
        except ConversionError as err:
            manifest.warnings.append(str(err))
    if progress:
        progress(len(w.jobs) + 1, len(w.jobs) + 1, "清单与压缩包")
    for entry in w.entries:
        entry.sha256 = sha256(out_dir / entry.path)
    manifest.documents = w.entries
    if fonts is not None:
        lacking = {k: v for k, text in person_text.items() if (v := fonts.missing(text))}
        if lacking:
            chars = "".join(sorted(set().union(*lacking.values())))
            manifest.warnings.append(
                f"已安装的字体都缺少字符“{chars}”，涉及{len(lacking)}人，PDF中这些字无法显示；"
                "请以DOCX为准，或用 HANDOVER_PDF_FONT 指定含这些字的字体后重新生成")
    if counties:
        manifest.warnings.extend(rule_warnings(profile, today))
    unpaid = [r for r, _ in routed if r.id_number in targets and r.party_dues_paid_to is None]
    if unpaid and (makes("party_transfer_roster") or makes("party_letter")):
        manifest.warnings.append(
            f"{len(unpaid)}名党员的党费缴至年月名册中未填写，党员组织关系转接名册"
            f"{'和介绍信' if makes('party_letter') else ''}中该栏留空待填"
            "（可在名册中填写“党费缴至年月”列后重新生成）")
    lacking_contact = {d.label: card_contact(d).missing for d in by_community if card_contact(d).missing}
    if lacking_contact and makes("contact_card"):
        listed = "；".join(f"{label}缺{'、'.join(m)}" for label, m in lacking_contact.items())
        manifest.warnings.append(
            f"联系卡：{len(lacking_contact)}个社区的社区联系人或服务电话尚未登记（{listed}），"
            f"卡上该项印为“{NOT_REGISTERED}”；请在社区名录中登记（handover communities contact，"
            "或 handover communities contacts --import 导入联系方式表）后重新生成")
    if unassigned:
        manifest.warnings.append(f"{len(unassigned)}名退休人员未能确定移交地，需人工指定（见未移交人员名单）")
    # The zip's name is fixed by the enterprise's, so the manifest can name it before it is made: the
    # copy beside the zip and the copy inside it are the same file and both name the bundle's zip.
    zip_path = out_dir / f"{safe_name(enterprise.name)}_移交材料.zip"
    manifest.zip_path = zip_path.name
    (out_dir / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for entry in w.entries:
            z.write(out_dir / entry.path, entry.path)
        z.write(out_dir / "manifest.json", "manifest.json")
    return manifest


# The agreement's annexes: the region's documents that go with it, in its own titles; ``{n}`` is the
# number of communities of the county.
ANNEXES = {
    "transfer_plan": "企业退休人员社会化管理移交方案（一企一案）",
    "handover_checklist": "企业退休人员社会化管理交接清单",
    "community_roster": "企业退休人员移交社区管理花名册（{n}个社区）",
    "destination_survey": "企业退休人员移交地情况调查表",
    "basic_info_form": "企业退休人员社会化管理服务基本信息表",
    "info_collection_form": "昆明市国有企业退休人员信息采集表",
    "archive_transfer_roster": "档案移交名册表",
    "party_transfer_roster": "党员组织关系转接名册",
    "party_transfer_agreement": "退休人员社会化管理党员组织关系移交协议",
}
# Annexes that list the persons transferred, the first of which the agreement's scope cites.
LIST_ANNEXES = ("企业退休人员移交社区管理花名册", "档案移交名册表")


def annex_names(profile: PolicyProfile) -> list[str]:
    return [profile.title_of(doc, ANNEXES[doc]) for doc in ANNEXES if profile.makes(doc)]


def _city_of(d: Destination, enterprise: Enterprise) -> str:
    """The 省辖市 of a receiving community (the gazetteer's), else the enterprise's."""
    place = gazetteer.find(d.county, d.street, d.community)
    return (place.city if place else "") or enterprise.location.city or "（市）"


def number_statements(enterprise: str, missing: Sequence[MissingItem],
                      routed: Sequence[tuple[Retiree, Destination]], today: dt.date) -> dict[str, MissingStatement]:
    """ID number -> the person's 书面说明 (their missing materials), numbered ``<year>-001`` … in
    roster order (street, then as routed); persons routed nowhere get none (they are not transferred)."""
    items: dict[str, list[MissingItem]] = defaultdict(list)
    for item in missing:
        items[item.id_number].append(item)
    order = sorted((d.county, d.street, i, r.id_number) for i, (r, d) in enumerate(routed) if r.id_number in items)
    return {pid: MissingStatement(enterprise=enterprise, items=items[pid], dated=today, number=f"{today.year}-{n:03d}")
            for n, (_, _, _, pid) in enumerate(order, 1)}


def _letter_numbers(by_community: Mapping[Destination, list[Retiree]], today: dt.date) -> dict[str, str]:
    """ID number -> 介绍信编号 of each party member: the roster's where it gives one, else
    ``<year>-001`` … community by community, skipping the numbers the roster uses."""
    members = [r for people in by_community.values() for r in people if r.party_member]
    used = {r.party_letter_no for r in members if r.party_letter_no}
    numbers, n = {}, 0
    for r in members:
        if r.party_letter_no:
            numbers[r.id_number] = r.party_letter_no
            continue
        n += 1
        while f"{today.year}-{n:03d}" in used:
            n += 1
        numbers[r.id_number] = f"{today.year}-{n:03d}"
    return numbers


def _contents_batch(community: str, vols: list[VolumeRecord]) -> TableDocument:
    """卷内目录 of every volume of a community in one document (a table per volume)."""
    docs = [D.contents_list(v) for v in sorted(vols, key=lambda v: v.volume_no)]
    first = docs[0]
    return TableDocument(doc_type="contents_list", title=first.title, columns=first.columns,
                         sections=[d.sections[0] for d in docs], orientation="portrait",
                         template="contents_list", community=community)
