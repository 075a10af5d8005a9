"""``python -m workers COMMAND``: the worker commands without the main CLI (tests, service units)."""

from __future__ import annotations

import click

from handover.cli_errors import DomainGroup

from .cli import ingest_command, requeue_command, run_command, status_command, worker_command


@click.group(cls=DomainGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """扫描档案批次：工作进程、导入、进度、重新排队。"""


for _command in (worker_command, ingest_command, status_command, requeue_command, run_command):
    main.add_command(_command)

if __name__ == "__main__":
    main()
