"""The ``handover`` console script: the core commands plus those each package defines in its ``cli.py``."""

from __future__ import annotations

import click

from archive_store.cli import (audit_command, catalog_command, check_package_command, communities_command,
                               deliver_command, publish_command, receive_command, reconcile_command,
                               requests_command, search_command, verify_command)
from completeness.cli import accept_command, check_command
from docgen.cli import docs_group
from handover.cli import console, main, sample_group
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


@main.command("demo")
@click.option("--retirees", "n", type=int, default=200, show_default=True)
@click.option("--communities", type=int, default=8, show_default=True)
@click.option("--region", default="henan-zhengzhou", show_default=True)
def demo_command(n: int, communities: int, region: str) -> None:
    """用内置默认配置演示主流程：样例名册 → 校验导入 → 分配移交地 → 移交文书 → 档案数字化与完整性检查 → 入库编号 → 检索。"""
    from .demo import run_demo

    run_demo(console, n, communities, region)
