"""Click commands of the workers; handover_app/cli.py registers them (``python -m workers`` too).

    handover worker [-c N] [-n NAME] [--pages-only]   a Celery worker (needs HANDOVER_BROKER)
    handover ingest BATCH_DIR [--profile R] [--manifest CSV] [--watch] [--supplement]
    handover status [BATCH] [--json]
    handover requeue DOSSIER                          task number or ID number
    handover withdraw REF_NO --reason R               退回 a published volume
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from handover.cli_errors import DomainCommand, fail
from handover.config import settings
from handover.errors import EXIT_FINDINGS, EXIT_UNAVAILABLE

console = Console(highlight=False)


def _storage_notice(cfg) -> None:
    if cfg.broker and cfg.storage == "local":
        console.print("[yellow]提示：当前使用本地存储，只有与本机共用数据目录的工作进程能处理这些档案；"
                      "多台机器请配置 S3 存储（HANDOVER_STORAGE=s3）。[/yellow]")


@click.command("worker", cls=DomainCommand)
@click.option("-c", "--concurrency", type=click.IntRange(1, 256), default=None,
              help="并行处理的进程数（默认 HANDOVER_JOBS，即CPU核数）")
@click.option("-n", "--hostname", default=None, help="工作进程名称（默认 handover@主机名）")
@click.option("--pages-only", is_flag=True,
              help="只领取逐页识别队列，用于增加识别机器：数据库为 SQLite 时只做逐页识别（只需连接 Redis 和 "
                   "S3 存储）；为 PostgreSQL 等数据库服务器时也组卷、检查和入库，需能连接数据库")
@click.option("--loglevel", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), help="日志级别")
def worker_command(concurrency: int | None, hostname: str | None, pages_only: bool, loglevel: str) -> None:
    """启动工作进程：从 Redis 队列领取导入、数字化、检查、入库等任务。"""
    cfg = settings()
    if not cfg.broker:
        raise fail("未配置任务队列（HANDOVER_BROKER，例如 redis://127.0.0.1:6379/0）；"
                   "单机使用时无需启动工作进程，handover ingest 会直接处理。", EXIT_UNAVAILABLE)
    _storage_notice(cfg)
    if not pages_only:  # refuse here, in Chinese, what every catalog task would fail on
        from handover.db import init_db

        init_db(cfg)
    from .app import PAGES_QUEUE, QUEUE, app

    queues = PAGES_QUEUE if pages_only else f"{QUEUE},{PAGES_QUEUE}"
    argv = ["worker", f"--concurrency={concurrency or cfg.jobs}", f"--loglevel={loglevel.upper()}",
            f"--queues={queues}", "--without-gossip", "--without-mingle", "--pool=prefork"]
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)


def _print_report(report) -> None:
    for problem in report.problems:
        console.print(f"[yellow]清单提示：[/yellow]{problem}")
    for note in report.format_notes:
        console.print(f"[yellow]存储格式：[/yellow]{note}")
    parts = [f"新排队 {len(report.queued)} 份"]
    if report.requeued:
        parts.append(f"文件已更新、重新排队 {len(report.requeued)} 份")
    if report.quarantined:
        parts.append(f"命名不符已隔离 {len(report.quarantined)} 份")
    if report.unchanged:
        parts.append(f"已登记未变化 {report.unchanged} 份")
    console.print(f"批次 #{report.batch_id}（{report.batch_name}）：" + "，".join(parts))


def _embedded_reporter():
    def report(dossier_id: int, stage: str, done: int, total: int) -> None:
        from .tables import STAGE_LABELS

        if stage in ("published", "quarantined"):
            colour = "green" if stage == "published" else "red"
            console.print(f"  档案 #{dossier_id}：[{colour}]{STAGE_LABELS[stage]}[/{colour}]（{done}/{total}页）")
    return report


@click.command("ingest", cls=DomainCommand)
@click.argument("batch_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--profile", "profile", default="", help="地区政策配置（名册中查不到企业时使用），如 henan-zhengzhou")
@click.option("--manifest", "manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="清单CSV（默认使用批次文件夹中的 manifest.csv 或 清单.csv）")
@click.option("--engine", type=click.Choice(["rapidocr", "tesseract"]), default=None, help="OCR引擎")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="单机模式下并行处理的页数")
@click.option("--watch", is_flag=True, help="持续监视文件夹，新档案扫描完成后自动排队（Ctrl-C 结束）")
@click.option("--interval", type=float, default=5.0, show_default=True, help="监视时的扫描间隔（秒）")
@click.option("--settle", type=float, default=10.0, show_default=True,
              help="文件大小保持不变多少秒后才认为扫描完成")
@click.option("--supplement", is_flag=True,
              help="补充材料：本批档案的人员已有入库案卷，各作为同一人的下一卷（卷号2、3…）入库"
                   "（也可在清单的“补充材料”列逐人填“是”）")
def ingest_command(batch_dir: Path, profile: str, manifest: Path | None, engine: str | None, jobs: int | None,
                   watch: bool, interval: float, settle: float, supplement: bool) -> None:
    """导入一批扫描档案（每人一个以身份证号码命名的文件夹或PDF），排队数字化并入库。"""
    from .dispatch import submit
    from .ingest import ingest
    from .watch import watch as watch_loop

    cfg = settings()
    mode = "distributed" if cfg.broker else "embedded"
    _storage_notice(cfg)
    reporter = None if cfg.broker else _embedded_reporter()
    if profile:
        from handover.policy import load_profile

        load_profile(profile)
    if watch:
        console.print(f"正在监视 {batch_dir}（每{interval:g}秒扫描一次，文件{settle:g}秒不变后排队；Ctrl-C 结束）")
        try:
            n = watch_loop(batch_dir, profile=profile, engine=engine or "", manifest_path=manifest,
                           interval=interval, settle=settle, jobs=jobs, cfg=cfg, on_ingest=_print_report,
                           report=reporter, supplement=supplement)
        except KeyboardInterrupt:
            console.print("已停止监视。")
            return
        console.print(f"监视结束，共排队 {n} 份档案。")
        return
    try:
        report = ingest(batch_dir, profile=profile, engine=engine or "", manifest_path=manifest, mode=mode, cfg=cfg,
                        supplement=supplement)
    except OSError as err:  # the batch folder or its manifest cannot be read
        raise fail(str(err)) from None
    _print_report(report)
    if not report.to_dispatch:
        return
    if cfg.broker:
        submit(report.to_dispatch, cfg)
        console.print(f"已提交到任务队列，由工作进程处理。查看进度：handover status {report.batch_id}")
        return
    console.print(f"单机模式：开始处理 {len(report.to_dispatch)} 份档案……")
    submit(report.to_dispatch, cfg, jobs, reporter)
    _print_status(str(report.batch_id), as_json=False)


def _print_status(batch: str | None, as_json: bool) -> None:
    from .status import batch_status

    data = batch_status(batch, settings())
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    if not data:
        console.print("还没有导入过扫描档案批次。")
        return
    summary = Table(title="批次进度")
    for header in ("批次", "文件夹", "方式", "档案", "已入库", "已隔离", "处理中", "页数（完成/总数）"):
        summary.add_column(header)
    for b in data:
        summary.add_row(f"#{b['id']}", b["name"], "分布式" if b["mode"] == "distributed" else "单机",
                        str(b["dossiers_total"]), str(b["published"]), str(b["quarantined"]),
                        str(b["in_progress"]), f"{b['pages_done']}/{b['pages_total']}")
    console.print(summary)
    for b in data:
        table = Table(title=f"批次 #{b['id']} 各档案")
        for header in ("任务", "公民身份号码", "姓名", "阶段", "页数", "档号", "问题"):
            table.add_column(header, overflow="fold")
        for d in b["dossiers"]:
            colour = {"published": "green", "quarantined": "red"}.get(d["stage"])
            stage = f"[{colour}]{d['stage_label']}[/{colour}]" if colour else d["stage_label"]
            if d.get("stalled"):
                stage = f"[red]已中断（{d['stage_label']}）[/red]"
            problem = d["quarantine_reason"] or "；".join(f["reason"] for f in d["failures"][-2:])
            table.add_row(f"#{d['id']}", d["id_number"], d["name"], stage, f"{d['pages_done']}/{d['pages_total']}",
                          d["ref_no"], problem)
        console.print(table)


@click.command("status", cls=DomainCommand)
@click.argument("batch", required=False)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def status_command(batch: str | None, as_json: bool) -> None:
    """查看扫描档案批次的进度：每份档案的阶段、已完成页数和失败原因。"""
    _print_status(batch, as_json)


@click.command("requeue", cls=DomainCommand)
@click.argument("dossier")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="单机模式下并行处理的页数")
def requeue_command(dossier: str, jobs: int | None) -> None:
    """修正扫描件后，将被隔离（或中断）的档案重新排队（任务编号或公民身份号码）。"""
    from .dispatch import submit
    from .requeue import requeue

    cfg = settings()
    row = requeue(dossier, cfg)
    if cfg.broker:
        submit([row.id], cfg)
        console.print(f"档案任务 #{row.id} 已重新排队（第{row.attempts}次）。")
        return
    console.print(f"档案任务 #{row.id} 重新处理中（第{row.attempts}次）……")
    submit([row.id], cfg, jobs, _embedded_reporter())
    from .progress import get_dossier

    final = get_dossier(row.id, cfg)
    if final.stage == "quarantined":
        raise fail(f"档案任务 #{row.id} 仍未通过：{final.quarantine_reason}", EXIT_FINDINGS)


@click.command("withdraw", cls=DomainCommand)
@click.argument("ref_no")
@click.option("--reason", required=True, help="退回原因（必填，记入审计日志并显示给档案馆人员）")
def withdraw_command(ref_no: str, reason: str) -> None:
    """退回已入库的案卷（档号）：不再出现在检索和目录中，档号与文件保留；补充材料后用 handover requeue 重新处理。"""
    from archive_store.cli import current_actor
    from handover.db import session_scope

    from .requeue import withdraw

    from archive_store.supplements import part_no

    cfg = settings()
    with session_scope(cfg) as session:
        row, dossier = withdraw(session, ref_no.strip(), current_actor(), reason, cfg)
        reason, supplement = row.reason, part_no(session, row.volume_id) > 1
    console.print(f"已退回 {ref_no}：{reason}")
    if dossier is not None:
        console.print(f"档案任务 #{dossier} 已标记为隔离；补充材料后运行 handover requeue {dossier} 重新处理，沿用原档号。")
    else:
        again = "handover publish --supplement" if supplement else "handover publish"
        console.print(f"该案卷不是由 handover ingest 入库的；补充材料后重新数字化并 {again} 到同一社区，沿用原档号。")


@click.command("run", cls=DomainCommand, hidden=True)
@click.argument("dossier_ids", nargs=-1, type=int, required=True)
@click.option("--jobs", type=click.IntRange(1, 64), default=None)
def run_command(dossier_ids: tuple[int, ...], jobs: int | None) -> None:
    """Process already-ingested dossiers here and now (the web server starts this in a child process)."""
    from .dispatch import submit

    submit(list(dossier_ids), settings(), jobs)
