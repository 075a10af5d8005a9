"""The core commands of ``handover``; ``handover_app.cli`` adds those of the other packages."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import config
from .cli_errors import DomainGroup, fail
from .errors import EXIT_FINDINGS
from .policy import available_profiles, load_profile

console = Console()


@click.group(cls=DomainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="HANDOVER_DATA_DIR",
              help="数据目录（SQLite 数据库与本地对象存储），默认 ./handover-data")
@click.version_option(package_name="handover")
def main(data_dir: Path | None) -> None:
    """国有企业退休人员社会化管理移交：名册、移交文书、人事档案数字化与检索。"""
    if data_dir:
        os.environ["HANDOVER_DATA_DIR"] = str(data_dir)
        config.settings.cache_clear()


# ---------------------------------------------------------------- profiles

@main.command("profiles")
def profiles_command() -> None:
    """列出可用的地区政策配置。"""
    for region in available_profiles():
        p = load_profile(region)
        console.print(f"[bold]{region}[/bold]  {p.name}  {p.document_no}")


@main.command("profile")
@click.argument("region")
def profile_command(region: str) -> None:
    """显示一个地区政策配置的全部规则。"""
    console.print_json(load_profile(region).model_dump_json())


# ---------------------------------------------------------------- enterprises

@main.group("enterprise")
def enterprise_group() -> None:
    """登记和查看移交企业。"""


@enterprise_group.command("add")
@click.argument("name")
@click.option("--uscc", required=True, help="统一社会信用代码")
@click.option("--profile", "region", required=True, help="地区政策配置，如 henan-zhengzhou")
@click.option("--address", default="", help="企业所在地（省市县区街道社区详细地址）")
@click.option("--insured-county", default="", help="参保地县(市、区)，与所在地不同时填写")
@click.option("--legal-rep", default="", help="法定代表人")
@click.option("--contact", default="", help="经办人")
@click.option("--phone", default="", help="联系电话")
def enterprise_add(name, uscc, region, address, insured_county, legal_rep, contact, phone) -> None:
    """登记移交企业。"""
    from pydantic import ValidationError

    from .db import session_scope
    from .models import Enterprise
    from .registry import add_enterprise
    from .roster.address import parse_address

    try:
        ent = Enterprise(name=name, uscc=uscc, location=parse_address(address), insured_county=insured_county,
                         legal_representative=legal_rep, contact=contact, phone=phone)
        with session_scope() as session:
            add_enterprise(session, ent, region)
    except ValidationError as err:
        raise fail("；".join(e["msg"].removeprefix("Value error, ") for e in err.errors())) from None
    console.print(f"已登记企业：{name}（{region}）")


@enterprise_group.command("list")
def enterprise_list() -> None:
    """列出已登记的企业。"""
    from .db import session_scope
    from .registry import list_enterprises

    with session_scope() as session:
        for row in list_enterprises(session):
            console.print(f"{row.name}  {row.uscc}  {row.region}")


# ---------------------------------------------------------------- roster

@main.group("roster")
def roster_group() -> None:
    """退休人员名册：校验、导入、汇总。"""


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=True)


@roster_group.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--enterprise", default=None, help="同时与该企业及其他企业已导入的人员比对")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出全部问题")
@click.option("--report", type=click.Path(path_type=Path), default=None, help="把全部问题写入 .xlsx 报告")
def roster_check(file: Path, enterprise: str | None, as_json: bool, report: Path | None) -> None:
    """校验名册文件（不导入）。有错误时退出码为 1。"""
    from .roster import load_roster

    checked = _run_import(file, enterprise, valid_only=False, dry_run=True) if enterprise else load_roster(file)
    _emit(checked.problems, checked.rows_total, as_json, imported=None, report=report, source=file)
    if any(p.is_error for p in checked.problems):
        sys.exit(EXIT_FINDINGS)


@roster_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--enterprise", required=True, help="已登记的移交企业名称")
@click.option("--valid-only", is_flag=True, help="有错误时仍导入其余无误的行")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@click.option("--report", type=click.Path(path_type=Path), default=None, help="把全部问题写入 .xlsx 报告")
def roster_import(file: Path, enterprise: str, valid_only: bool, as_json: bool, report: Path | None) -> None:
    """校验并导入名册：全部无误才导入；用 --valid-only 只导入无误的行。"""
    outcome = _run_import(file, enterprise, valid_only=valid_only, dry_run=False)
    _emit(outcome.problems, outcome.rows_total, as_json, imported=outcome, report=report, source=file)
    if not outcome.committed:
        sys.exit(EXIT_FINDINGS)


def _run_import(file: Path, enterprise: str, valid_only: bool, dry_run: bool):
    from .db import session_scope
    from .roster.importer import import_roster

    with session_scope() as session, _progress() as bar:
        task = bar.add_task("校验" if dry_run else "导入", total=None)
        return import_roster(session, file, enterprise, valid_only=valid_only, dry_run=dry_run,
                             progress=lambda n: bar.update(task, completed=n))


def _emit(problems, total: int, as_json: bool, imported, report: Path | None, source: Path) -> None:
    from .report import print_problems, problems_json, write_problems_xlsx

    if report:
        write_problems_xlsx(report, problems, source.name)
        Console(stderr=True).print(f"问题报告已写入：{report}")
    if as_json:
        extra = {"rows_total": total}
        if imported is not None:
            extra.update(committed=imported.committed, rows_imported=imported.rows_imported,
                         rows_updated=imported.rows_updated)
        click.echo(problems_json(problems, **extra))
        return
    print_problems(console, problems)
    console.print(f"共 {total} 行数据。")
    if imported is None:
        return
    if imported.committed:
        console.print(f"[green]已导入 {imported.rows_imported} 人，更新 {imported.rows_updated} 人。[/green]")
    elif imported.errors:
        console.print("[red]名册有错误，未导入任何数据。[/red]修改后重新导入，或用 --valid-only 只导入无误的行。")
    else:
        console.print("[red]没有可导入的数据。[/red]")


@roster_group.command("summary")
@click.option("--enterprise", required=True)
def roster_summary(enterprise: str) -> None:
    """按县、街道、社区汇总已导入人员的移交去向。"""
    from .db import session_scope
    from .registry import retirees_of
    from .report import community_summary

    with session_scope() as session:
        people = retirees_of(session, enterprise)
    console.print(community_summary([a.destination for _, a in people], [r.party_member for r, _ in people]))
    excluded = [(r, a) for r, a in people if a.excluded]
    if excluded:
        console.print(f"不随同移交 {len(excluded)} 人（{excluded[0][1].excluded} 等）")


@main.group("route")
def route_group() -> None:
    """移交地分配：个人指定。"""


@route_group.command("override")
@click.argument("id_number")
@click.option("--county", required=True)
@click.option("--street", required=True)
@click.option("--community", required=True)
@click.option("--reason", default="本人申请", help="指定原因，如“本人申请转入居住地”")
def route_override(id_number, county, street, community, reason) -> None:
    """为一名已导入人员指定移交地（覆盖政策规则的结果）。"""
    from . import gazetteer
    from .db import session_scope
    from .idnumber import mask, normalize
    from .models import Destination
    from .registry import set_override

    dest = Destination(county=county, street=street, community=community,
                       code=gazetteer.community_code(county, street, community))
    with session_scope() as session:
        set_override(session, normalize(id_number), dest, reason)
    console.print(f"已将 {mask(id_number)} 的移交地指定为 {dest.label}")


# ---------------------------------------------------------------- database

@main.group("db")
def db_group() -> None:
    """数据库结构版本：查看、升级。"""


def _engine_and_state():
    from .db import database_engine, schema_state

    engine = database_engine()
    return engine, schema_state(engine)


def _kind(state) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(state.dialect, state.dialect)


@db_group.command("version")
def db_version() -> None:
    """显示数据库的结构版本和本软件的结构版本。"""
    _, state = _engine_and_state()
    console.print(f"数据库结构版本：{state.shown}（本软件：{state.head}）")


@db_group.command("status")
def db_status() -> None:
    """显示数据库地址、结构版本和待执行的升级；需要升级时退出码为 1。"""
    from .db import too_new

    engine, state = _engine_and_state()
    console.print(f"数据库：{_kind(state)} {engine.url.render_as_string(hide_password=True)}")
    console.print(f"结构版本：{state.shown}（本软件：{state.head}）")
    if state.ahead:
        raise too_new(state)
    if state.at_head:
        console.print("[green]数据库结构是最新的。[/green]")
        return
    console.print(f"[yellow]待执行的升级：{'、'.join(state.pending)}[/yellow]")
    hint = ("首次使用时会自动建立" if state.empty else
            "SQLite 数据库在程序启动时会自动升级" if state.dialect == "sqlite" else "请先备份数据库")
    console.print(f"运行 handover db upgrade 升级（{hint}）。")
    sys.exit(EXIT_FINDINGS)


@db_group.command("upgrade")
def db_upgrade() -> None:
    """把数据库结构升级到本软件的版本（一次事务完成；已是最新则不做改动）。"""
    from .db import upgrade

    engine, _ = _engine_and_state()
    before, after = upgrade(engine)
    if before.at_head:
        console.print(f"数据库结构已是最新（版本 {after.current}），无需升级。")
    else:
        console.print(f"[green]数据库结构已升级：{before.shown} → {after.current}[/green]"
                      f"（{_kind(after)} {engine.url.render_as_string(hide_password=True)}）")


# ---------------------------------------------------------------- sample data

@main.group("sample")
def sample_group() -> None:
    """生成演示和测试用的样例数据。"""


@sample_group.command("roster")
@click.option("--retirees", "n", type=click.IntRange(1, 1_000_000), default=100, show_default=True)
@click.option("--communities", type=click.IntRange(1, 10_000), default=None)
@click.option("--region", default="henan-zhengzhou", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help=".xlsx 或 .csv")
@click.option("--encoding", type=click.Choice(["utf-8", "utf-8-sig", "gb18030"]), default="utf-8-sig",
              help="CSV 的编码")
def sample_roster(n, communities, region, seed, out: Path, encoding) -> None:
    """生成样例名册（身份证号真实可校验，数据可复现）。"""
    from .roster.writer import write_csv, write_xlsx
    from .sample import make_batch

    batch = make_batch(region, n, communities, seed)
    if out.suffix.lower() == ".csv":
        write_csv(out, batch.retirees, encoding)
    else:
        write_xlsx(out, batch.retirees, batch.enterprise)
    console.print(f"已生成 {n} 人的样例名册：{out}（企业：{batch.enterprise.name}，"
                  f"统一社会信用代码 {batch.enterprise.uscc}）")
