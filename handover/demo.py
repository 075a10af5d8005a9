"""``handover demo``: the main job end to end on the embedded defaults.

Each capability adds its step here; the demo must always end green and say where its outputs are.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from docgen.bundle import generate_bundle
from rich.console import Console
from rich.progress import Progress
from rich.rule import Rule

from .config import settings
from .db import session_scope
from .policy import load_profile
from .registry import RegistryError, add_enterprise, find_enterprise, retirees_of
from .report import community_summary, print_problems
from .roster.importer import import_roster
from .roster.writer import write_xlsx
from .sample import make_batch


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
                                   assignments=[a for _, a in people],
                                   progress=lambda done, total, label: bar.update(task, completed=done,
                                                                                 total=total))
    formats = Counter(doc.format.upper() for doc in manifest.documents)
    console.print(f"{len(manifest.documents)} 个文件（" + "、".join(f"{k} {v} 个" for k, v in formats.items()) + "）：")
    console.print("、".join(dict.fromkeys(doc.title for doc in manifest.documents)))
    console.print(f"清单：{docs_dir / 'manifest.json'}")

    console.print(Rule("演示完成", style="green"))
    console.print(f"[green]全部步骤成功。[/green] 数据目录：{Path(cfg.data_dir).resolve()}")
    console.print(f"  名册：{roster.resolve()}")
    console.print(f"  移交文书：{docs_dir.resolve()}（压缩包 {Path(manifest.zip_path).name}）")
    console.print(f"  数据库：{cfg.db_url}")
