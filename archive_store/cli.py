"""Click commands of the archive store; handover_app/cli.py registers them.

    handover search QUERY [--community C] [--class N] [--json]
    handover verify [--community C] | handover verify --audit
    handover publish VOLUME_DIR --county X --street Y --community Z --profile REGION [--supplement]
    handover catalog export --community C --out FILE.xlsx   (and: handover catalog show)
    handover reconcile --enterprise NAME [--street S] [--json]
    handover communities pending | confirm COUNTY STREET NAME [--code] | reject … --reason
    handover communities contact COUNTY STREET NAME --liaison … --phone … | contacts [--import FILE]
    handover requests overdue [--date D] [--json]
    handover requests register --month YYYY-MM [--community C] --out FILE.xlsx|.pdf|.docx
    handover audit trace MARK_ID|FILE [--json]
    handover deliver (--community C | --ref-no R … | --batch B) --out DIR   (--batch: handover_app/cli.py)
    handover check-package DIR [--json]
    handover receive PACKAGE (--profile REGION [--renumber [--mapping FILE]] [--ocr] | --dry-run [--seed S] [--share 0.05] [--opinion FILE.docx]) [--json]
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
@click.option("--audit", "audit_log", is_flag=True, help="改为校验审计日志的哈希链：报告被改动或被删除的记录")
def verify_command(community, audit_log):
    """重新计算存储对象的SHA-256，报告缺失或被修改的文件（--audit：校验审计日志）。"""
    from .verify import verify, verify_audit

    console = _console()
    if audit_log and community:
        raise click.UsageError("--audit 校验整个审计日志，不能与 --community 同时使用")
    if audit_log:
        chain = verify_audit(settings(), actor=current_actor())
        for finding in chain.findings:
            console.print(f"[red]{finding.message}[/red]")
        console.print(chain.summary)
        if not chain.ok:
            raise SystemExit(EXIT_FINDINGS)
        return
    report = verify(settings(), community, actor=current_actor())
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


def _signed(n: int | None) -> str:
    return "—" if n is None else (f"+{n}" if n > 0 else str(n))


def _person_note(p) -> str:
    parts = []
    if p.missing and p.outcome.value in ("incomplete", "statement"):
        parts.append("缺" + "、".join(p.missing))
    if p.statement_ref:
        parts.append(f"书面说明：{p.statement_ref}")
    if p.provisional:
        parts.append("待校对")
    if p.declared_pages is None and p.received:
        parts.append("名册未填页数")
    return "；".join(parts)


def totals_line(t) -> str:
    """One line of figures: declared, received, and the outcomes (also the demo's closing line)."""
    return (f"名册 {t.persons} 人 {t.declared_volumes} 卷 {t.declared_pages} 页；已接收 {t.received} 人 "
            f"{t.received_volumes} 卷 {t.received_pages} 页（页数差 {_signed(t.page_difference)}）；完整 {t.complete}，"
            f"不完整 {t.incomplete}，已附书面说明 {t.statement}，未检查 {t.unchecked}，未接收 {t.not_received}；"
            f"卷页不符 {t.differences} 人")


def print_reconciliation(console: Console, rec, totals_label: str | None = None) -> None:
    """The reconciliation as one table per street, then the totals (of the enterprise, or of the
    persons shown under ``totals_label``)."""
    from rich import box

    from handover.clock import shown
    from handover.idnumber import mask

    for street in rec.streets:
        done = (f"（接收手续已办结：{street.receipt.uploaded_by}，{shown(street.receipt.uploaded_at)}）"
                if street.receipt else "")
        table = Table(title=f"{rec.enterprise} · {street.label} 档案移交名册核对{done}", header_style="bold",
                      box=box.SIMPLE_HEAD)
        # 卷/页 as "1/71" and no 社区 column (it is in --json): the table fits an 80-column terminal.
        table.add_column("姓名", overflow="fold")
        table.add_column("身份证号", no_wrap=True)
        for header in ("名册\n卷/页", "接收\n卷/页", "页数差"):
            table.add_column(header, justify="right")
        table.add_column("结论", overflow="fold")
        table.add_column("说明", overflow="fold")
        for p in street.persons:
            declared = f"{p.declared_volumes}/{'—' if p.declared_pages is None else p.declared_pages}"
            received = f"{p.received_volumes}/{p.received_pages}" if p.received else "—"
            table.add_row(p.name, mask(p.id_number), declared, received, _signed(p.page_difference),
                          p.outcome.label, _person_note(p), style=None if p.agrees else "yellow")
        console.print(table)
        console.print(f"{street.label} 合计：{totals_line(street.totals)}")
    console.print(f"[bold]{totals_label or rec.enterprise + ' 合计'}：[/bold]{totals_line(rec.totals)}")
    if rec.agrees:
        console.print("[green]核对无误：名册所列人员均已接收，卷数、页数相符，材料完整或已附书面说明。[/green]")
    else:
        console.print("[yellow]核对有出入：见上表黄色行（卷页不符、不完整、未检查或未接收）。[/yellow]")


@click.command("reconcile", cls=DomainCommand)
@click.option("--enterprise", required=True, help="移交企业名称")
@click.option("--street", default=None, help="只核对该街道（乡镇），如 建中街 或 二七区建中街")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def reconcile_command(enterprise, street, as_json):
    """核对档案移交名册表与已入库案卷：每人名册卷数/页数与接收卷数/页数、差异和完整性结论，按街道和企业合计。
    全部相符时退出码为 0；有卷页不符、不完整（未附书面说明）、未检查或未接收的人员时为 1。"""
    from . import audit
    from .reconcile_source import load_reconciliation
    from .storage import open_storage

    cfg = settings()
    with session_scope(cfg) as session:
        rec = load_reconciliation(session, open_storage(cfg), enterprise, street)
        audit.record(session, current_actor(), "reconcile", f"{rec.enterprise} {street or ''}".strip(),
                     "核对档案移交名册表")
    if as_json:
        click.echo(json.dumps(rec.as_dict(), ensure_ascii=False, indent=1))
    else:
        print_reconciliation(_console(), rec)
    if not rec.agrees:
        raise SystemExit(EXIT_FINDINGS)
@click.group("communities", cls=DomainGroup)
def communities_command():
    """社区名录：名册中出现、不在名录中的社区，待管理员确认或驳回。"""


@communities_command.command("pending")
def communities_pending():
    """列出待确认的社区，以及提到它们的名册和行。"""
    from handover.communities import pending

    with session_scope(settings()) as session:
        waiting = pending(session)
    console = _console()
    if not waiting:
        console.print("没有待确认的社区。")
        return
    for p in waiting:
        console.print(f"[bold]{p.label}[/bold]（{len(p.rows)}人待移交）：{p.finding}")
        for r in p.rows:
            console.print(f"  {r.enterprise}　{r.file_name}　第{r.row}行 {r.column}　{r.name}")
    console.print("确认：handover communities confirm 区县 街道 社区 [--code 12位区划代码]；"
                  "驳回：handover communities reject 区县 街道 社区 --reason 原因")


@communities_command.command("confirm")
@click.argument("county")
@click.argument("street")
@click.argument("community")
@click.option("--code", default="", help="社区12位统计用区划代码（可选）")
@click.option("--reason", default="", help="确认依据（记入审计日志）")
def communities_confirm(county, street, community, code, reason):
    """确认一个不在名录中的社区：此后可移交、入库到该社区，待确认的人员重新分配移交地。"""
    from .communities import confirm

    with session_scope(settings()) as session:
        decision = confirm(session, county, street, community, current_actor(), code=code, reason=reason)
    _console().print(f"已确认社区：{decision.label}{'（' + decision.code + '）' if decision.code else ''}，"
                     f"{decision.released}人重新分配移交地。")


@communities_command.command("reject")
@click.argument("county")
@click.argument("street")
@click.argument("community")
@click.option("--reason", required=True, help="驳回原因，如“应为建中街社区”（记入审计日志）")
def communities_reject(county, street, community, reason):
    """驳回一个社区名称：提到它的名册行为错误，已导入的相关人员需人工指定移交地。"""
    from .communities import reject

    with session_scope(settings()) as session:
        decision = reject(session, county, street, community, current_actor(), reason=reason)
    _console().print(f"已驳回社区：{decision.label}，{decision.released}人需人工指定移交地。")


@communities_command.command("contact")
@click.argument("county")
@click.argument("street")
@click.argument("community")
@click.option("--liaison", required=True, help="社区联系人（空字符串为清除）")
@click.option("--phone", required=True, help="服务电话，如 0715-8123456（空字符串为清除）")
def communities_contact(county, street, community, liaison, phone):
    """登记社区的社区联系人和服务电话（印在联系卡上，公示联系电话）。"""
    from .communities import set_contact

    with session_scope(settings()) as session:
        label = set_contact(session, county, street, community, current_actor(), liaison=liaison, phone=phone)
    _console().print(f"已登记 {label}：社区联系人 {liaison or '（空）'}，服务电话 {phone or '（空）'}")


@communities_command.command("contacts")
@click.option("--import", "sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="导入社区联系方式表（.xlsx/.csv：区县、街道、社区、社区联系人、服务电话），有错误的行则整表不导入")
def communities_contacts(sheet):
    """列出已登记的社区联系人和服务电话；--import 从表格导入。"""
    from handover.communities import contacts

    from .communities import import_contacts

    with session_scope(settings()) as session:
        if sheet is not None:
            count = import_contacts(session, sheet, current_actor())
            _console().print(f"已导入 {count} 个社区的联系方式。")
            return
        listed = contacts(session)
    console = _console()
    if not listed:
        console.print("尚未登记任何社区的联系方式：联系卡上的社区联系人和服务电话将印为“尚未登记”，生成文书时提示。")
    for (county, street, name), c in sorted(listed.items()):
        missing = f"　[yellow]缺{'、'.join(c.missing)}[/yellow]" if c.missing else ""
        console.print(f"{county}{street}{name}　社区联系人 {c.liaison or '—'}　服务电话 {c.phone or '—'}{missing}")


@click.group("requests", cls=DomainGroup)
def requests_command():
    """查阅/外借登记。"""


@requests_command.command("register")
@click.option("--month", required=True, help="月份 YYYY-MM（按批准日期）")
@click.option("--community", default=None, help="只登记该社区（编号、区划代码或名称；默认全部社区）")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件：.xlsx（表格），.pdf 或 .docx（打印签字）")
def requests_register(month, community, out):
    """导出某月的档案利用登记簿（XLSX、PDF 或 DOCX）：该月批准的查阅/外借，谁、因何事由、谁批准、起止与归还日期、利用效果。"""
    from .use_register import PRINTABLE, export_document, export_xlsx

    suffix = out.suffix.lower()
    if suffix != ".xlsx" and suffix not in PRINTABLE:
        raise fail("档案利用登记簿可导出为 .xlsx、.pdf 或 .docx 文件")
    with session_scope(settings()) as session:
        row = resolve(session, community) if community else None
        (export_xlsx if suffix == ".xlsx" else export_document)(session, month, row, out, actor=current_actor())
        label = row.label if row else "全部社区"
    _console().print(f"已导出 {label} {month} 的档案利用登记簿：{out}")


@requests_command.command("overdue")
@click.option("--date", "on", default=None, help="以该日为准（YYYY-MM-DD，默认今天）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def requests_overdue(on, as_json):
    """逾期未还的外借（每日催还清单）：已过归还日期、仍未归还的外借，按归还日期排列。
    有逾期时退出码为 1，便于定时任务提醒。"""
    from handover.clock import today as clock_today
    from handover.idnumber import mask

    from . import audit
    from .access import overdue_loans
    from .tables import VolumeRow

    day = _date(on) or clock_today()
    with session_scope(settings()) as session:
        rows = []
        for r in overdue_loans(session, day):
            vol = session.get(VolumeRow, r.volume_id)
            rows.append({"request": r.id, "ref_no": vol.ref_no, "name": vol.name, "id_number": mask(vol.id_number),
                         "requester": r.requester, "organisation": r.organisation, "reason": r.reason,
                         "due_on": r.due_on.isoformat(), "days_overdue": (day - r.due_on).days})
        audit.record(session, current_actor(), "list_overdue", "access_requests", "每日催还清单",
                     date=day.isoformat(), count=len(rows))
    if as_json:
        click.echo(json.dumps({"date": day.isoformat(), "overdue": rows}, ensure_ascii=False, indent=1))
    elif not rows:
        _console().print(f"截至 {day.isoformat()}，没有逾期未还的外借。")
    else:
        # one line per loan: readable in a narrow terminal and in a mailed cron report alike
        console = _console()
        console.print(f"逾期未还的外借（截至 {day.isoformat()}，共 {len(rows)} 件）：")
        for x in rows:
            who = x["requester"] + (f"（{x['organisation']}）" if x["organisation"] else "")
            console.print(f"  申请 #{x['request']}　{x['ref_no']}　{x['name']}（{x['id_number']}）　借阅人：{who}　"
                          f"归还日期 {x['due_on']}，逾期 {x['days_overdue']} 天")
    if rows:
        raise SystemExit(EXIT_FINDINGS)


@click.group("audit", cls=DomainGroup)
def audit_command():
    """审计日志。"""


@audit_command.command("trace")
@click.argument("what")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def audit_trace(what, as_json):
    """按水印编号查找页面或PDF的那一次调阅：谁、何时、哪一卷、凭哪件申请。
    WHAT 是水印编号（12位），或泄露出来的PDF/图像文件（从中读出编号）。"""
    from handover import clock
    from handover.errors import InputRefused, NotFound

    from . import audit
    from .watermark import MARK_ID, read_mark

    path = Path(what)
    if path.is_file():
        mark = read_mark(path.read_bytes())
        if mark is None:
            raise NotFound(f"文件“{path.name}”中没有水印编号")
    else:
        mark = what.strip().lower()
        if not MARK_ID.fullmatch(mark):
            raise InputRefused(f"“{what[:40]}”不是水印编号（12位十六进制数字），也不是文件")
    with session_scope(settings()) as session:
        rows = audit.entries(session, audit.AuditFilter(subject=mark))
        found = [{"at": clock.iso(r.at, "seconds"), "actor": r.actor, "action": r.action, "target": r.target,
                  "reason": r.reason, "request": (r.detail or {}).get("request_id")} for r in rows]
        audit.record(session, current_actor(), "trace_mark", mark, "", found=len(found))
    if not found:
        raise NotFound(f"审计日志中没有水印编号 {mark} 的调阅记录")
    if as_json:
        click.echo(json.dumps({"mark": mark, "reads": found}, ensure_ascii=False, indent=1))
        return
    console = _console()
    for x in found:
        grounds = f"，凭申请第 {x['request']} 号（事由：{x['reason']}）" if x["request"] else ""
        what_ = "下载" if x["action"] == "download" else "查看"
        console.print(f"水印编号 {mark}：{x['actor']} 于 {x['at']} {what_} {x['target']}{grounds}")


def print_four_checks(console: Console, report, limit: int = 20) -> None:
    """One line per check, then each failure with its file (the first ``limit`` of each check)."""
    from .four_checks import GROUPS

    for r in report.results:
        mark = "[green]通过[/green]" if r.passed else "[red]未通过[/red]"
        console.print(f"{GROUPS[r.group]} · {r.title}（{r.id}）：{mark}")
        for f in r.failures[:limit]:
            console.print(f"    {f.file}：{f.message}", markup=False)
        if len(r.failures) > limit:
            console.print(f"    ……另有 {len(r.failures) - limit} 项")
    verdict = "[green]四性检测全部通过。[/green]" if report.ok else \
        f"[red]四性检测有 {len(report.failed())} 项未通过。[/red]"
    console.print(verdict)


@click.command("deliver", cls=DomainCommand)
@click.option("--community", default=None, help="移交该社区全部已入库案卷（编号、区划代码或名称）")
@click.option("--ref-no", "ref_nos", multiple=True, help="只移交这些档号（可多次指定）")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="输出文件夹（不存在或为空）")
def deliver_command(community, ref_nos, out, scope=None):
    """生成数字化成果移交包（DA/T 31）：说明文件、案卷目录与卷内目录（XML+XSD、XLSX）、按档号分卷的页面图像、
    PDF/A 案卷、案卷元数据、SHA-256 清单和四性检测报告。检测未通过时退出码为 1。"""
    from .deliver import deliver

    # ``scope``: set by handover_app's --batch (an intake batch is the workers' record, above this package)
    result = deliver(settings(), out, community=community, ref_nos=tuple(ref_nos), actor=current_actor(),
                     scope=scope)
    console = _console()
    console.print(f"已生成移交包 {result.out}：{result.volumes} 卷，图像 {result.images} 幅，"
                  f"案卷文件 {result.files} 个（{result.bytes / 1e6:.1f} MB）。")
    print_four_checks(console, result.report)
    if not result.report.ok:
        raise SystemExit(EXIT_FINDINGS)


@click.command("check-package", cls=DomainCommand)
@click.argument("package", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def check_package_command(package, as_json):
    """对数字化成果移交包做四性检测（真实性、完整性、可用性、安全性），报告每一项及有问题的文件。
    不改动移交包；全部通过时退出码为 0，否则为 1。"""
    from .four_checks import check_package

    report = check_package(package)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    else:
        print_four_checks(_console(), report)
    if not report.ok:
        raise SystemExit(EXIT_FINDINGS)


@click.command("receive", cls=DomainCommand)
@click.argument("package", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--profile", "profile", default=None, help="本馆的地区政策配置（档号编制：全宗号与格式），如 henan-zhengzhou；导入时必填")
@click.option("--renumber", is_flag=True, help="不沿用移交包的档号：按本馆各社区的档号顺序重新编号，并生成新旧档号对照表")
@click.option("--mapping", "mapping", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="新旧档号对照表（CSV）的路径（--renumber 时；默认在移交包旁：<移交包>-档号对照.csv）")
@click.option("--ocr", "reocr", is_flag=True,
              help="不用移交包 PDF 的文本层，以本馆的文字识别引擎（HANDOVER_OCR_ENGINE）重新识别每一页（空白页除外）")
@click.option("--dry-run", is_flag=True, help="只检测和抽样，不导入（不需要验收）")
@click.option("--seed", default=None, help="试运行的抽样种子（复核以前的抽样时使用；默认随机生成并记录）")
@click.option("--share", default=None, type=click.FloatRange(0.05, 1.0),
              help="试运行的人工抽检比例（DA/T 31-2017：不少于5%，默认5%）；导入时用验收的抽样")
@click.option("--opinion", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="另写验收意见草稿（DOCX）：四性检测和抽样已填，人工抽检部分留空")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def receive_command(package, profile, renumber, mapping, reocr, dry_run, seed, share, opinion, as_json):
    """接收数字化成果移交包：只导入在“数字化成果验收”中验收合格的移交包（按清单文件的 SHA-256 认定，
    验收后改动过的不导入）。再对全部内容做四性检测，通过后逐卷导入本馆（档号沿用，或 --renumber 重新编号）。
    未经验收、验收未结束、验收不合格或验收后被改动时不导入任何案卷，退出码为 6；
    档号不能沿用时列出冲突的档号，不导入，退出码为 5。中断后重新运行同一命令，已导入的案卷跳过。"""
    if dry_run:
        if reocr:
            raise click.UsageError("--ocr 只在导入时使用（试运行不识别文字）")
        _receive_dry_run(package, seed, share or 0.05, opinion, as_json)
        return
    if opinion:
        raise click.UsageError("--opinion 只与 --dry-run 一起使用（导入前的验收意见草稿）")
    if seed or share:
        raise click.UsageError("--seed、--share 只与 --dry-run 一起使用：导入时沿用验收时的抽样")
    if not profile:
        raise click.UsageError("导入时须指定本馆的地区政策配置：--profile，如 --profile henan-zhengzhou")
    if mapping and not renumber:
        raise click.UsageError("--mapping 只与 --renumber 一起使用")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .acceptance import NotAccepted
    from .receive import receive

    console = _console()
    try:
        if as_json:
            result = receive(settings(), package, profile=profile, renumber=renumber, mapping_file=mapping,
                             actor=current_actor(), ocr=reocr)
        else:
            with Progress(TextColumn("导入案卷"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                          TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("", total=None)

                def step(done: int, total: int, ref_no: str) -> None:
                    bar.update(task, completed=done, total=total, description=ref_no)

                result = receive(settings(), package, profile=profile, renumber=renumber, mapping_file=mapping,
                                 actor=current_actor(), ocr=reocr, progress=step)
    except NotAccepted as err:
        if as_json:
            click.echo(json.dumps({"acceptance": err.acceptance_id, "state": err.state, "imported": 0,
                                   "checks": err.report.as_dict() if err.report else None},
                                  ensure_ascii=False, indent=1))
        elif err.report is not None:
            print_four_checks(console, err.report)
        raise
    if as_json:
        click.echo(json.dumps({"package": result.package, "acceptance": result.acceptance,
                               "volumes": result.volumes, "imported": result.imported,
                               "skipped": result.skipped, "pages": result.pages, "ocr_pages": result.ocr_pages,
                               "sample": result.sample.as_dict(), "mapping": dict(result.mapping),
                               "mapping_file": str(result.mapping_file) if result.mapping_file else None},
                              ensure_ascii=False, indent=1))
        return
    console.print("[green]四性检测全部通过。[/green]")
    skipped = f"，{result.skipped} 卷此前已导入（跳过）" if result.skipped else ""
    if reocr:
        ocr = f"，其中 {result.ocr_pages} 页已重新做文字识别" if result.ocr_pages else ""
    else:
        ocr = f"，其中 {result.ocr_pages} 页无文本层、已做文字识别" if result.ocr_pages else ""
    console.print(f"已导入移交包 {result.package}：{result.imported} 卷、{result.pages} 页{ocr}{skipped}。")
    if result.mapping_file:
        console.print(f"档号已按本馆顺序重新编号，新旧档号对照表：{result.mapping_file}")
    console.print(f"第 {result.acceptance} 号验收（合格）的人工抽检：从 {result.sample.population} 卷中抽取 "
                  f"{len(result.sample.ref_nos)} 卷（种子 "
                  f"{result.sample.seed}）：{'、'.join(dict(result.mapping).get(r, r) for r in result.sample.ref_nos)}")


def _receive_dry_run(package: Path, seed: str | None, share: float, opinion: Path | None, as_json: bool) -> None:
    from . import audit
    from . import dat31_layout as layout
    from .four_checks import check_package
    from .sampling import draw, new_seed

    report = check_package(package)
    sample = draw(layout.read_ref_nos(package), seed or new_seed(), share)
    with session_scope(settings()) as session:
        audit.record(session, current_actor(), "receive_check", package.name, "移交包接收检测（试运行）",
                     passed=report.ok, failed=[r.id for r in report.failed()], **sample.as_dict())
    if opinion:
        from docgen.acceptance_opinion import write_docx

        from .acceptance import draft_opinion

        write_docx(draft_opinion(report, sample, package), opinion)
    if as_json:
        click.echo(json.dumps({"checks": report.as_dict(), "sample": sample.as_dict()}, ensure_ascii=False,
                              indent=1))
    else:
        console = _console()
        print_four_checks(console, report)
        console.print(f"人工抽检：从 {sample.population} 卷中抽取 {len(sample.ref_nos)} 卷（{share:.0%}，"
                      f"种子 {sample.seed}，复核时用 --seed {sample.seed} 可重现）：")
        for ref_no in sample.ref_nos:
            console.print(f"  {ref_no}")
        if opinion:
            console.print(f"验收意见草稿已写入 {opinion}（人工抽检部分待填写）。")
        console.print("本次为试运行，未导入任何案卷。")
    if not report.ok:
        raise SystemExit(EXIT_FINDINGS)
