"""The ``handover`` console script: the core commands plus those each package defines in its ``cli.py``."""

from __future__ import annotations

import click

from archive_store.cli import (audit_command, catalog_command, check_package_command, communities_command,
                               deliver_command, publish_command, receive_command, reconcile_command,
                               requests_command, search_command, verify_command)
from completeness.cli import accept_command, check_command
from docgen.cli import docs_group
from handover.cli import console, db_group, main, sample_group
from ocr.cli import digitize_command, sample_scans_command
from web.cli import serve_command, user_group
from workers.cli import ingest_command, requeue_command, status_command, withdraw_command, worker_command

__all__ = ["main"]

for _name, _command in (("digitize", digitize_command), ("docs", docs_group), ("publish", publish_command),
                        ("search", search_command), ("verify", verify_command), ("catalog", catalog_command),
                        ("communities", communities_command), ("check", check_command),
                        ("accept", accept_command), ("worker", worker_command),
                        ("ingest", ingest_command), ("status", status_command), ("requeue", requeue_command),
                        ("withdraw", withdraw_command), ("serve", serve_command), ("user", user_group),
                        ("reconcile", reconcile_command), ("requests", requests_command),
                        ("audit", audit_command), ("deliver", deliver_command),
                        ("check-package", check_package_command), ("receive", receive_command)):
    main.add_command(_command, _name)
sample_group.add_command(sample_scans_command, "scans")


def _deliver_by_batch() -> None:
    """``handover deliver --batch B``: an intake batch is the workers' record (workers.status), which
    archive_store below them cannot read; here, above both, the batch becomes the 档号 it published."""
    deliver_command.params.insert(2, click.Option(
        ["--batch"], default=None, help="移交该接收批次已入库的案卷（handover status 中的批次号或文件夹名）"))
    inner = deliver_command.callback

    def callback(batch, **kwargs):
        if batch:
            if kwargs["community"] or kwargs["ref_nos"]:
                raise click.UsageError("--batch 不能与 --community 或 --ref-no 同时使用")
            from workers.status import published_ref_nos

            kwargs["scope"], refs = published_ref_nos(batch)
            kwargs["ref_nos"] = tuple(refs)
        return inner(**kwargs)

    deliver_command.callback = callback


_deliver_by_batch()


@main.command("demo")
@click.option("--retirees", "n", type=int, default=200, show_default=True)
@click.option("--communities", type=int, default=8, show_default=True)
@click.option("--region", default="henan-zhengzhou", show_default=True)
def demo_command(n: int, communities: int, region: str) -> None:
    """用内置默认配置演示主流程：样例名册 → 校验导入 → 分配移交地 → 移交文书 → 档案数字化与完整性检查 → 入库编号 → 检索。"""
    from .demo import run_demo

    run_demo(console, n, communities, region)


@db_group.command("copy")
@click.option("--to", "url", required=True,
              help="目标数据库地址（须为新建的空数据库），如 postgresql://用户:密码@主机:5432/数据库名")
@click.option("--batch", type=click.IntRange(1, 100_000), default=2000, show_default=True, help="每批复制的行数")
def db_copy_command(url: str, batch: int) -> None:
    """把当前数据库（默认 SQLite）复制到另一个空数据库（如 PostgreSQL）：保留编号，逐表核对行数和内容哈希、
    档号计数器，然后在目标上重建全文索引。复制前请停止网页服务和工作进程。"""
    import sys

    from handover import config
    from handover.cli_errors import fail
    from handover.db import engine_for, init_db
    from handover.errors import EXIT_FINDINGS, Unavailable

    from .db_copy import (compare_searches, copy_database, rebuild_full_text_index, sample_queries,
                          target_settings)

    cfg = config.settings()
    source, target = init_db(cfg), engine_for(url)
    shown = target.url.render_as_string(hide_password=True)
    if source.url == target.url:
        raise fail("目标数据库就是当前数据库：请用 --to 指定另一个（新建的空）数据库。")
    console.print(f"复制到 {shown} …")
    report = copy_database(source, target, batch=batch,
                           progress=lambda name, rows: console.print(f"  {name}：{rows} 行"))
    for t in report.tables:
        if not t.ok:
            console.print(f"[red]  {t.name}：源 {t.source_rows} 行，目标 {t.target_rows} 行，内容哈希"
                          f"{'一致' if t.source_sha256 == t.target_sha256 else '不一致'}[/red]")
    if report.counters_differ:
        console.print(f"[red]  档号计数器不一致的社区编号：{'、'.join(map(str, report.counters_differ))}[/red]")
    if not report.ok:
        console.print("[red]核对未通过：目标数据库与当前数据库不一致，请勿使用。[/red]")
        sys.exit(EXIT_FINDINGS)
    parts = [f"{len(report.tables)} 张表、{report.rows} 行：行数与内容哈希逐表一致",
             f"档号计数器 {report.counters} 个社区一致"]
    if report.sequences:
        parts.append(f"{len(report.sequences)} 个编号序列已设为最大编号之后")
    console.print("[green]复制完成并已核对：[/green]" + "；".join(parts) + "。")
    try:
        rebuilt = rebuild_full_text_index(target_settings(cfg, url))
    except Unavailable as err:
        console.print(f"[yellow]全文索引未重建：{err}[/yellow]")
    else:
        console.print(f"全文索引已在目标上重建：{rebuilt['volumes']} 卷、{rebuilt['pages']} 页。")
        queries = sample_queries(source)
        differ = compare_searches(source, engine_for(url), queries)
        if differ:
            console.print(f"[red]检索核对未通过：{len(differ)} 个检索词在两个数据库中结果不同"
                          "（检索词含姓名、身份证号后四位，不予显示）。[/red]")
            sys.exit(EXIT_FINDINGS)
        console.print(f"检索核对一致：{len(queries)} 个样本检索词（姓名、身份证号后四位、正文字词）结果相同。")
    console.print(f"改用目标数据库：设置 HANDOVER_DATABASE_URL={shown}（密码照原样填写）。")
