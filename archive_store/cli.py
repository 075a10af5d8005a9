"""Click commands of the archive store; handover_app/cli.py registers them.

    handover search QUERY [--community C] [--class N] [--json]
    handover verify [--community C]
    handover publish VOLUME_DIR --county X --street Y --community Z --profile REGION [--supplement]
    handover catalog export --community C --out FILE.xlsx   (and: handover catalog show)
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pydantic import ValidationError

from handover.cli_errors import DomainCommand, DomainGroup, fail
from handover.config import settings
from handover.db import session_scope
from handover.errors import EXIT_FINDINGS
from handover.models import Destination

from .communities import resolve


def current_actor() -> str:
    """Who runs the command (HANDOVER_USER, else the login name) — for the audit log."""
    if settings().user:
        return settings().user
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unknown"


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _marked(snippet: str) -> Text:
    out = Text()
    inside = False
    for part in snippet.replace("】", "【").split("【"):
        out.append(part, style="bold yellow" if inside else None)
        inside = not inside
    return out


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}") from None


@click.command("search", cls=DomainCommand)
@click.argument("query")
@click.option("--community", "communities", multiple=True, help="只在这些社区中检索（编号、区划代码或名称，可多次指定）")
@click.option("--class", "class_code", default=None, help="材料类号，如 9、九、9-1")
@click.option("--enterprise", default=None, help="原工作单位（包含）")
@click.option("--from", "date_from", default=None, help="材料形成时间不早于 YYYY-MM-DD")
@click.option("--to", "date_to", default=None, help="材料形成时间不晚于 YYYY-MM-DD")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@click.option("--reason", default="", help="检索事由（记入审计日志）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def search_command(query, communities, class_code, enterprise, date_from, date_to, limit, reason, as_json):
    """全文检索已入库的档案（姓名、身份证号码或尾号、材料内容）。"""
    from .search import search

    with session_scope(settings()) as session:
        scope = [resolve(session, c).id for c in communities] if communities else None
        hits = search(session, query, scope, class_code=class_code, enterprise=enterprise,
                      date_from=_date(date_from), date_to=_date(date_to), limit=limit,
                      actor=current_actor(), reason=reason)
    if as_json:
        click.echo(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=1))
        return
    console = _console()
    if not hits:
        console.print(f"未找到与“{query}”相关的档案。")
        return
    table = Table(title=f"“{query}”的检索结果（{len(hits)}条）")
    for header in ("档号", "姓名", "社区", "页号", "材料", "摘要"):
        table.add_column(header, overflow="fold")
    for h in hits:
        page = "—" if h.page_no is None else str(h.page_no)
        material = f"{h.class_code} {h.material_title}".strip()
        table.add_row(h.ref_no, h.name, h.community, page, material, _marked(h.snippet))
    console.print(table)


@click.command("verify", cls=DomainCommand)
@click.option("--community", default=None, help="只校验该社区（编号、区划代码或名称）")
def verify_command(community):
    """重新计算存储对象的SHA-256，报告缺失或被修改的文件。"""
    from .verify import verify

    report = verify(settings(), community, actor=current_actor())
    console = _console()
    console.print(f"已校验 {report.volumes} 卷、{report.objects} 个对象（{report.bytes / 1e6:.1f} MB）。")
    if report.pending:
        console.print(f"[yellow]有 {len(report.pending)} 卷入库未完成（档号已预留：{'、'.join(report.pending)}），"
                      "请对原卷目录重新运行入库以续传。[/yellow]")
    if report.ok:
        console.print("[green]全部对象完好。[/green]")
        return
    table = Table(title=f"发现 {len(report.problems)} 个问题")
    for header in ("档号", "对象", "问题"):
        table.add_column(header, overflow="fold")
    for p in report.problems:
        table.add_row(p.ref_no, p.key, p.label)
    console.print(table)
    raise SystemExit(EXIT_FINDINGS)


@click.command("publish", cls=DomainCommand)
@click.argument("volume_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--county", required=True, help="接收区县")
@click.option("--street", required=True, help="接收街道（乡镇）")
@click.option("--community", required=True, help="接收社区（村）")
@click.option("--code", default=None, help="社区12位统计用区划代码（可选；默认查地名表）")
@click.option("--profile", "profile", required=True, help="地区政策配置，如 henan-zhengzhou")
@click.option("--supplement", is_flag=True,
              help="补充材料：该人员已有入库案卷，本卷作为同一人的下一卷（卷号2、3…）入库，另编档号")
def publish_command(volume_dir, county, street, community, code, profile, supplement):
    """将数字化案卷入库：存储、编档号、建立目录和全文索引。同一人已有入库案卷时拒绝，除非是补充材料（--supplement）。"""
    from .publish import publish_volume

    try:
        destination = Destination(county=county, street=street, community=community, code=code)
    except ValidationError as err:
        raise fail(f"接收地信息有误：{err}") from None
    result = publish_volume(settings(), volume_dir, destination, profile, current_actor(), supplement=supplement)
    console = _console()
    for warning in result.warnings:
        console.print(f"[yellow]提示：{warning}[/yellow]")
    if result.created:
        note = "（续传完成）" if result.resumed else ""
        part = f"（补充材料，该人员第{result.part_no}卷）" if result.part_no > 1 else ""
        console.print(f"已入库{note}：档号 [bold]{result.ref_no}[/bold]{part}，{result.community}，"
                      f"存储位置 {result.prefix}")
    else:
        console.print(f"该案卷的原始文件已入库，档号 {result.ref_no}，未做任何改动。")


@click.group("catalog", cls=DomainGroup)
def catalog_command():
    """案卷目录与台账。"""


@catalog_command.command("export")
@click.option("--community", required=True, help="社区（编号、区划代码或名称）")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件（.xlsx）")
def catalog_export(community, out):
    """导出社区的案卷目录和台账（XLSX）。"""
    from .catalog import export_xlsx

    if out.suffix.lower() != ".xlsx":
        raise fail("目前只支持导出 .xlsx 文件（DOCX 由文书模块生成）")
    with session_scope(settings()) as session:
        row = resolve(session, community)
        export_xlsx(session, row.id, out, actor=current_actor())
        label = row.label
    _console().print(f"已导出 {label} 的案卷目录和台账：{out}")


@catalog_command.command("show")
@click.option("--community", required=True, help="社区（编号、区划代码或名称）")
def catalog_show(community):
    """在终端显示社区的案卷目录。"""
    from . import audit
    from .catalog import volume_catalog

    with session_scope(settings()) as session:
        row = resolve(session, community)
        records = volume_catalog(session, row.id)
        audit.record(session, current_actor(), "read_catalog", row.label, "查看案卷目录")
        label = row.label
    table = Table(title=f"{label} 案卷目录（{len(records)}卷）")
    for header in ("案卷号", "档号", "案卷题名", "起止日期", "页数", "保管期限", "备注"):
        table.add_column(header, overflow="fold")
    for r in records:
        table.add_row(str(r.volume_no), r.ref_no, r.title, r.date_range, str(r.pages), r.retention, r.remarks)
    _console().print(table)
