"""Printing problem reports and summaries for people (rich) and programs (JSON)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook

from rich.console import Console
from rich.table import Table

from .cells import cell as safe_cell, row as safe_row
from .models import Destination
from .roster.problems import Problem

MAX_SHOWN = 200


def problems_table(problems: list[Problem], limit: int = MAX_SHOWN) -> Table:
    table = Table(title="问题清单", show_lines=False, header_style="bold")
    for col in ("行", "列", "类别", "说明"):
        table.add_column(col)
    ordered = sorted(problems, key=lambda p: (not p.is_error, p.row or 0))
    for p in ordered[:limit]:
        style = "red" if p.is_error else "yellow"
        table.add_row(str(p.row or "-"), p.column or "-", p.severity.value, p.message, style=style)
    if len(ordered) > limit:
        table.caption = f"仅显示前{limit}条，共{len(ordered)}条（用 --json 查看全部）"
    return table


def problem_counts(problems: list[Problem]) -> str:
    errors = sum(p.is_error for p in problems)
    rows = len({p.row for p in problems if p.is_error and p.row})
    return f"错误 {errors} 处（涉及 {rows} 行），提示 {len(problems) - errors} 处"


def print_problems(console: Console, problems: list[Problem]) -> None:
    if problems:
        console.print(problems_table(problems))
    console.print(problem_counts(problems))


def problems_json(problems: Iterable[Problem], **extra) -> str:
    return json.dumps({**extra, "problems": [p.as_dict() for p in problems]}, ensure_ascii=False, indent=2)


def write_problems_xlsx(path: Path, problems: list[Problem], source_name: str) -> Path:
    """Every problem as a sheet the HR officer can sort and filter while fixing the roster."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问题清单")
    ws.column_dimensions["B"].width = 28
    ws.column_dimensions["E"].width = 80
    ws.append([safe_cell(f"名册校验报告：{source_name}（{problem_counts(problems)}）")])
    ws.append(["行", "列", "类别", "代码", "说明"])
    for p in sorted(problems, key=lambda p: (p.row or 0, not p.is_error)):
        ws.append(safe_row([p.row, p.column, p.severity.value, p.code, p.message]))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def community_summary(destinations: Iterable[Destination | None], party: Iterable[bool]) -> Table:
    totals: Counter = Counter()
    members: Counter = Counter()
    for dest, is_member in zip(destinations, party):
        key = (dest.county, dest.street, dest.community) if dest else ("（未分配）", "", "")
        totals[key] += 1
        members[key] += int(is_member)
    table = Table(title="按社区汇总", header_style="bold")
    for col in ("县(市、区)", "街道(乡镇)", "社区(村)", "人数", "其中党员"):
        table.add_column(col, justify="right" if col in ("人数", "其中党员") else "left")
    for key in sorted(totals):
        table.add_row(*key, str(totals[key]), str(members[key]))
    table.add_row("合计", "", f"{len(totals)} 个社区", str(sum(totals.values())), str(sum(members.values())),
                  style="bold")
    return table
