"""``handover check`` and ``handover accept`` (registered in handover_app/cli.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from rich.console import Console

from handover import idnumber, volume_folder
from handover.cli_errors import DomainCommand, fail
from handover.errors import EXIT_FINDINGS
from handover.models import Retiree
from handover.policy import PolicyProfile, load_profile

from .check import check_volume, read_report
from .findings import Outcome

console = Console()
STYLE = {Outcome.COMPLETE: "green", Outcome.INCOMPLETE: "yellow", Outcome.REJECTED: "red"}


def lookup_retiree(id_number: str, create: bool = False) -> tuple[Retiree | None, str | None]:
    """The imported roster row and its enterprise's region, if the catalog database has them.

    Without ``create`` a missing SQLite database is not created just to look.
    """
    from handover.config import settings

    cfg = settings()
    if not create and cfg.db_url.startswith("sqlite:///") and not Path(cfg.db_url[len("sqlite:///"):]).exists():
        return None, None
    from sqlalchemy import select

    from handover.db import EnterpriseRow, RetireeRow, session_scope

    with session_scope() as s:
        row = s.scalar(select(RetireeRow).where(RetireeRow.id_number == id_number))
        if row is None:
            return None, None
        ent = s.get(EnterpriseRow, row.enterprise_id)
        return Retiree.model_validate(row.data), (ent.region if ent else None)


def _volume_id(volume_dir: Path) -> str:
    try:
        return idnumber.normalize(volume_folder.read_info(volume_dir).id_number)
    except volume_folder.VolumeFormatError:  # the check reads the folder again and says what is wrong
        return ""


def _profile(region: str | None) -> PolicyProfile:
    if not region:
        raise fail("无法确定地区政策配置：请用 --profile 指定（如 henan-zhengzhou），"
                   "或先导入该人员所在企业的花名册")
    return load_profile(region)


@click.command("check", cls=DomainCommand)
@click.argument("volume_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--declared-pages", type=click.IntRange(min=0), default=None,
              help="移交单位申报的页数（档案移交名册表）；不填则取花名册中的档案页数")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出检查结果")
@click.option("--profile", "region", default=None, help="地区政策配置（默认取该人员所在企业的配置）")
@click.option("--id", "id_number", default=None, help="按身份证号从已导入的花名册核对（默认取案卷登记的号码）")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="检查报告 HTML 的保存位置（默认为案卷目录下的 check.html）")
@click.option("--docs", "docs_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="生成备考表及《档案材料缺失情况说明》DOCX 的目录")
@click.option("--enterprise", default="", help="移交单位名称（用于缺失情况说明与备考表）")
@click.option("--compiler", default="", help="立卷人（备考表）")
@click.option("--checker", default="", help="检查人（备考表）")
@click.option("--received-on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="接收日期 YYYY-MM-DD（备考表）")
def check_command(volume_dir: Path, declared_pages: int | None, as_json: bool, region: str | None,
                  id_number: str | None, html_path: Path | None, docs_dir: Path | None, enterprise: str,
                  compiler: str, checker: str, received_on: dt.datetime | None) -> None:
    """检查一卷数字化人事档案的完整性与质量，结果写入案卷目录的 check.json。结论不是“完整”时退出码为 1。"""
    from .report import summary_lines, write_html

    wanted = idnumber.normalize(id_number) if id_number else _volume_id(volume_dir)
    retiree, ent_region = (None, None)
    if wanted:
        retiree, ent_region = lookup_retiree(wanted, create=bool(id_number))
        if id_number and retiree is None:
            raise fail(f"花名册中没有身份证号为 {idnumber.mask(wanted)} 的人员")
    report = check_volume(volume_dir, retiree, _profile(region or ent_region), declared_pages)
    html = write_html(report, html_path or volume_dir / "check.html")
    docs = {}
    if docs_dir is not None:
        from .documents import write_documents

        docs = write_documents(report, docs_dir, enterprise=enterprise or (retiree.former_employer if retiree else ""),
                               compiler=compiler, checker=checker,
                               received_on=received_on.date() if received_on else None)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        for k, line in enumerate(summary_lines(report)):
            console.print(f"[bold {STYLE[report.outcome]}]{line}[/]" if k == 0 else line, highlight=False)
        console.print(f"检查报告：{html}", highlight=False)
        for path in docs.values():
            console.print(f"已生成：{path}", highlight=False)
    if report.outcome != Outcome.COMPLETE:
        raise SystemExit(EXIT_FINDINGS)


@click.command("accept", cls=DomainCommand)
@click.argument("volume_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--by", "accepted_by", required=True, help="接收人（经办人）姓名")
@click.option("--statement", "statement_ref", required=True, help="移交单位签字盖章的书面说明（文号或文件名）")
@click.option("--signed-on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="书面说明落款日期 YYYY-MM-DD")
@click.option("--enterprise", default="", help="移交单位名称")
@click.option("--remarks", default="", help="备注")
def accept_command(volume_dir: Path, accepted_by: str, statement_ref: str, signed_on: dt.datetime | None,
                   enterprise: str, remarks: str) -> None:
    """凭移交单位签字盖章的书面说明，接收检查结论为“不完整”的案卷。"""
    from handover.db import session_scope

    from .acceptance import accept_incomplete, record_in_volume

    try:
        report = read_report(volume_dir)
    except (OSError, ValueError, KeyError):  # no file, not JSON, not a report
        raise fail("案卷目录中没有可用的 check.json，请先运行 handover check") from None
    with session_scope() as s:
        row = accept_incomplete(s, report, accepted_by, statement_ref, enterprise,
                                signed_on.date() if signed_on else None, remarks)
        record_in_volume(volume_dir, row)
        when = row.accepted_at
    console.print(f"已接收：{report.name} {idnumber.mask(report.id_number)}，缺少{'、'.join(report.missing)}；"
                  f"书面说明 {statement_ref}；接收人 {accepted_by}，{when:%Y-%m-%d %H:%M}", highlight=False)
