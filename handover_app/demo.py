"""``handover demo``: the main job end to end on the embedded defaults, through every package.

Each capability adds its step here; the demo must always end green and say where its outputs are.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.rule import Rule
from rich.table import Table

from archive_store.catalog import volume_catalog
from archive_store.cli import print_reconciliation, totals_line
from archive_store.publish import publish_volume
from archive_store.reconcile_source import load_reconciliation
from archive_store.search import search
from archive_store.storage import open_storage
from completeness.demo import run_demo as completeness_demo
from docgen.bundle import generate_bundle
from handover.config import settings
from handover.communities import contacts
from handover.db import session_scope
from handover.idnumber import mask
from handover.models import Destination
from handover.policy import load_profile
from handover.registry import RegistryError, add_enterprise, find_enterprise, retirees_of
from handover.report import community_summary, print_problems
from handover.roster.importer import import_roster
from handover.roster.writer import write_xlsx
from handover.sample import make_batch


def run_demo(console: Console, n: int, communities: int, region: str) -> None:
    cfg = settings()
    out = cfg.data_dir / "demo"
    out.mkdir(parents=True, exist_ok=True)
    console.print(Rule("1. 生成样例名册"))
    batch = make_batch(region, n, communities, seed=7)
    roster = write_xlsx(out / "退休人员名册.xlsx", batch.retirees, batch.enterprise)
    console.print(f"{batch.enterprise.name}：{n} 名退休人员，分布在 {communities} 个社区 → {roster}")

    console.print(Rule("2. 登记企业、校验并导入名册"))
    with session_scope() as session:
        try:
            find_enterprise(session, batch.enterprise.name)
            console.print("企业已登记（重复运行演示）")
        except RegistryError:
            add_enterprise(session, batch.enterprise, region)
            console.print(f"已登记企业（{region}）")
    with session_scope() as session:
        report = import_roster(session, roster, batch.enterprise.name)
    print_problems(console, [p for p in report.problems if p.is_error])
    if not report.committed:
        raise SystemExit("演示失败：样例名册未能导入")
    console.print(f"导入 {report.rows_imported} 人，更新 {report.rows_updated} 人。")

    console.print(Rule("3. 按政策分配移交地并按社区汇总"))
    with session_scope() as session:
        people = retirees_of(session, batch.enterprise.name)
        published = contacts(session)
    console.print(community_summary([a.destination for _, a in people], [r.party_member for r, _ in people]))
    rules: dict[str, int] = {}
    for _, a in people:
        rules[a.rule] = rules.get(a.rule, 0) + 1
    console.print("分配依据：" + "；".join(f"{k} {v} 人" for k, v in sorted(rules.items(), key=lambda kv: -kv[1])))

    console.print(Rule("4. 生成移交文书（DOCX、PDF、XLSX）"))
    docs_dir = out / "移交文书"
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("生成文书", total=None)
        manifest = generate_bundle(batch.enterprise, [r for r, _ in people], load_profile(region), docs_dir,
                                   assignments=[a for _, a in people], contacts=published,
                                   progress=lambda done, total, label: bar.update(task, completed=done,
                                                                                 total=total))
    formats = Counter(doc.format.upper() for doc in manifest.documents)
    console.print(f"{len(manifest.documents)} 个文件（" + "、".join(f"{k} {v} 个" for k, v in formats.items()) + "）：")
    console.print("、".join(dict.fromkeys(doc.title for doc in manifest.documents)))
    console.print(f"清单：{docs_dir / 'manifest.json'}")

    first = next(a.destination for _, a in people if a.destination)
    # The personnel files digitized next are those of two retirees the roster sends to that community.
    residents = [r for r, a in people if a.destination == first][:2]
    archive_dir = _archive_steps(console, out, first, region, batch.enterprise.name, residents)
    _reconciliation_step(console, batch.enterprise.name, [r.id_number for r in residents])
    receipt_dir = _receipt_roster_step(console, out, batch.enterprise, people, region, first, residents)

    console.print(Rule("演示完成", style="green"))
    console.print(f"[green]全部步骤成功。[/green] 数据目录：{Path(cfg.data_dir).resolve()}")
    console.print(f"  名册：{roster.resolve()}")
    console.print(f"  移交文书：{docs_dir.resolve()}（压缩包 {Path(manifest.zip_path).name}）")
    console.print(f"  数字化档案、检查报告与缺失情况说明：{archive_dir.resolve()}")
    console.print(f"  入库后重新生成的档案移交名册表（接收凭据）：{receipt_dir.resolve()}")
    console.print(f"  档案存储：{cfg.objects_dir.resolve()}")
    console.print(f"  数据库：{cfg.db_url}")


def _reconciliation_step(console: Console, enterprise: str, digitized: list[str]) -> None:
    """The 档案移交名册表 as declared beside the volumes received, for the two digitized persons."""
    console.print(Rule("8. 档案移交名册表与已入库案卷核对（已数字化的两人）"))
    cfg = settings()
    with session_scope() as session:
        rec = load_reconciliation(session, open_storage(cfg), enterprise)
    print_reconciliation(console, rec.only(digitized), totals_label=f"以上 {len(digitized)} 人合计")
    console.print(f"{enterprise} 全部名册：{totals_line(rec.totals)}")
    console.print(f"完整核对：handover reconcile --enterprise {enterprise}（网页“档案接收核对”）")


def _receipt_roster_step(console: Console, out: Path, enterprise, people: list, region: str,
                         destination: Destination, residents: list) -> Path:
    """The 档案移交名册表 regenerated from the reconciliation: the receipt the archive signs. Its
    XLSX is read back and must show, for each digitized person, the pages of the published volume."""
    from openpyxl import load_workbook

    from archive_store.bundle_inputs import bundle_inputs
    from docgen.manifest import safe_name

    console.print(Rule("9. 重新生成档案移交名册表（接收凭据）"))
    cfg = settings()
    with session_scope() as session:
        received = bundle_inputs(session, open_storage(cfg), enterprise.name)
        published = contacts(session)
    folder = out / "移交文书（入库后）"
    generate_bundle(enterprise, [r for r, _ in people], load_profile(region), folder,
                    assignments=[a for _, a in people], per_person=False, text_pdf=False,
                    missing=received.missing, receipts=received.receipts, contacts=published)
    xlsx = folder / "03_档案移交名册表" / f"档案移交名册表_{safe_name(destination.county + destination.street)}.xlsx"
    sheet = load_workbook(xlsx, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    for person in residents:
        line = received.receipts[person.id_number]
        shown = next((row for row in rows if person.id_number in row), None)
        if shown is None or line.pages not in shown:
            raise SystemExit(f"演示失败：重新生成的档案移交名册表中 {person.name} 的页数与入库案卷不符")
        console.print(f"{person.name}：名册表页数 {line.pages}，与入库案卷一致")
    not_received = sum(1 for line in received.receipts.values() if line.status == "not_received")
    console.print(f"其余 {not_received} 人列为“未接收”。名册表：{xlsx}")
    return folder


def _archive_steps(console: Console, out: Path, destination: Destination, region: str, enterprise: str,
                   residents: list) -> Path:
    """Digitize two sample dossiers (one complete, one missing a material), check, publish, search."""
    console.print(Rule("5. 数字化其中两人的人事档案（样例扫描件）并检查完整性（OCR 约需一两分钟）"))
    archive_dir = out / "档案数字化"
    with console.status("处理中……") as status:
        volumes = completeness_demo(archive_dir, region=region, enterprise=enterprise,
                                    progress=lambda msg: status.update(msg),
                                    people=residents if len(residents) == 2 else None)
    for v in volumes:
        r = v.report
        line = f"{mask(r.id_number)}：{r.outcome_label}，内容页 {r.content_pages} 页"
        if r.missing:
            line += f"，缺少 {'、'.join(r.missing)}"
        if r.provisional:
            line += f"（待校对 {len(r.review)} 项：在网页“校对”页面确认后结论方为最终）"
        console.print(line)
        for path in v.documents.values():
            console.print(f"    {path.stem}：{path}")
        if r.provisional and r.missing:
            console.print("    档案材料缺失情况说明：校对完成（或登记理由放弃校对）后生成")
        console.print(f"    检查报告：{v.html}")

    console.print(Rule(f"6. 入库到 {destination.label}，编档号"))
    published = [publish_volume(None, v.volume_dir, destination, region, actor="演示") for v in volumes]
    for p in published:
        console.print(f"档号 {p.ref_no}（{'新入库' if p.created else '已入库，未重复'}）")

    console.print(Rule("7. 社区案卷目录与全文检索"))
    with session_scope() as session:
        records = volume_catalog(session, published[0].community_id)
        table = Table(title=f"案卷目录 · {destination.label}", header_style="bold")
        for col in ("档号", "姓名", "原工作单位", "材料份数", "页数", "备注"):
            table.add_column(col)
        for rec in records:
            table.add_row(rec.ref_no, rec.name, rec.former_employer, str(rec.materials), str(rec.pages), rec.remarks)
        console.print(table)
        for query in ("退休审批", "工资"):
            hits = search(session, query, None, limit=3, actor="演示", reason="演示检索")
            console.print(f"检索“{query}”：{len(hits)} 条结果")
            for h in hits:
                console.print(f"    {h.ref_no} {h.name} 第{h.page_no}页 {h.material_title}：{h.snippet[:60]}")
    return archive_dir
