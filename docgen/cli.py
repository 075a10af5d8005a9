"""``handover docs …``: generate the transfer documents (registered by handover_app/cli.py)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from handover.cli_errors import DomainGroup, fail

console = Console()


@click.group("docs", cls=DomainGroup)
def docs_group() -> None:
    """移交文书：移交协议、花名册、档案移交名册表、基本信息表等。"""


@docs_group.command("generate")
@click.argument("roster", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--enterprise", "enterprise_name", required=True, help="已登记的移交企业名称")
@click.option("--profile", "region", default=None, help="地区政策配置，如 henan-zhengzhou（默认取企业登记的地区）")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="输出目录")
@click.option("--no-pdf", is_flag=True, help="只生成 DOCX/XLSX，不生成 PDF")
@click.option("--per-person/--no-per-person", default=None,
              help="另为每人单独生成基本信息表和调查表（默认：1000人以内生成）")
def generate_command(roster: Path, enterprise_name: str, region: str | None, out_dir: Path, no_pdf: bool,
                     per_person: bool | None) -> None:
    """按名册 ROSTER 生成全部移交文书、manifest.json 和压缩包。"""
    from handover.communities import contacts, load_registry
    from handover.db import session_scope
    from handover.policy import load_profile
    from handover.registry import find_enterprise, retirees_of
    from handover.routing import route
    from handover.roster import load_roster

    from .bundle import generate_bundle

    with session_scope() as session:
        enterprise, registered_region = find_enterprise(session, enterprise_name)
        # destinations decided after import (本人申请, 确认的移交地) are kept in the registry
        stored = {r.id_number: a for r, a in retirees_of(session, enterprise_name)}
        registry = load_registry(session)
        published = contacts(session)
    profile = load_profile(region or registered_region)

    result = load_roster(roster)
    if result.errors:
        lines = [f"{p.where()}：{p.message}" for p in result.errors[:10]]
        more = f"\n……共{len(result.errors)}处错误" if len(result.errors) > 10 else ""
        raise fail("名册存在错误，请修正后再生成文书：\n" + "\n".join(lines) + more)
    if not result.retirees:
        raise fail("名册中没有可移交的退休人员")

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task("生成文书", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=f"生成文书 {label[:24]}")

        assignments = [stored.get(r.id_number) or route(r, enterprise, profile, registry) for r in result.retirees]
        manifest = generate_bundle(enterprise, result.retirees, profile, out_dir, assignments=assignments,
                                   progress=progress, pdf=not no_pdf, per_person=per_person, contacts=published)
    console.print(f"已生成 {len(manifest.documents)} 个文件：移交 {manifest.transferred} 人，"
                  f"不移交 {manifest.excluded} 人，待指定 {manifest.unassigned} 人。")
    for warning in manifest.warnings:
        console.print(f"[yellow]提示：{warning}[/yellow]")
    console.print(f"清单：{out_dir / 'manifest.json'}　压缩包：{out_dir / manifest.zip_path}")
