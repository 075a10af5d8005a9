"""``handover serve`` and ``handover user add/list/disable/enable/reset-password/sign-out/prune-sessions``
(registered by handover_app/cli.py)."""

from __future__ import annotations

import os

import click

from handover.cli_errors import DomainCommand, DomainGroup, fail
from handover.config import settings


@click.command("serve", cls=DomainCommand)
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址（默认仅本机）")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--https-only", is_flag=True, help="会话 Cookie 仅通过 HTTPS 发送（在 HTTPS 反向代理之后使用）")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="服务进程数（大于 1 时需要 PostgreSQL 数据库）")
def serve_command(host: str, port: int, https_only: bool, workers: int) -> None:
    """启动网页服务（浏览器访问）。"""
    import uvicorn

    from .app import create_app
    from .security import install_log_filters

    cfg = settings()
    if workers > 1 and cfg.db_url.startswith("sqlite"):
        # Processes share sessions, sign-in failures and job progress through the database; one
        # SQLite file serialises their writes anyway, so several processes would only contend.
        raise fail("多个服务进程（--workers 大于 1）需要 PostgreSQL 数据库：内置的 SQLite 数据库同一时间只能写入一处。"
                   "请设置 HANDOVER_DATABASE_URL 指向 PostgreSQL，或去掉 --workers。")
    # Built here even for several processes: the database check refuses a bad start once, with its
    # message, and the session secret is created before the processes that must all share it.
    app = create_app(cfg, https_only=https_only)
    install_log_filters()
    click.echo(f"网页服务已启动：http://{host}:{port}/  （Ctrl+C 停止）")
    options = dict(host=host, port=port, proxy_headers=False, server_header=False)
    if workers > 1:
        if https_only:  # each process builds its app from the environment (web.app.serve_app)
            os.environ["HANDOVER_COOKIE_SECURE"] = "always"
        uvicorn.run("web.app:serve_app", factory=True, workers=workers, **options)
        return
    server = uvicorn.Server(uvicorn.Config(app, **options))
    install_log_filters()
    server.run()


@click.group("user", cls=DomainGroup)
def user_group() -> None:
    """网页用户管理：新增、列出、停用、启用、重置密码、强制退出、清理会话。"""


def _community_id(session, ref: str) -> int:
    from archive_store.communities import CommunityNotFound, get_or_create, resolve

    try:
        return resolve(session, ref).id
    except CommunityNotFound:
        parts = ref.split("/")
        if len(parts) == 3 and all(p.strip() for p in parts):
            return get_or_create(session, *(p.strip() for p in parts)).id
        raise


@user_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "sysadmin", "secadmin", "auditor", "archive_staff",
                                                         "community_staff", "enterprise"]),
              help="角色：admin 管理员（三员合一）；sysadmin 系统管理员；secadmin 安全保密管理员；auditor 安全审计员；"
                   "archive_staff 档案馆；community_staff 社区；enterprise 企业")
@click.option("--name", "display_name", default="", help="姓名（显示用）")
@click.option("--community", default=None, help="社区工作人员所属社区：编号、区划代码、名称或“区县/街道/社区”")
@click.option("--enterprise", default=None, help="企业经办人所属企业（已登记的企业名称）")
@click.password_option("--password", help="密码（不填则提示输入）")
def user_add(username, role, display_name, community, enterprise, password) -> None:
    """新增网页用户。"""
    from handover.db import session_scope
    from handover.registry import enterprise_row

    from .users import create_user

    with session_scope(settings()) as session:
        community_id = _community_id(session, community) if community else None
        enterprise_id = enterprise_row(session, enterprise).id if enterprise else None
        row = create_user(session, username, password, role, display_name=display_name,
                          community_id=community_id, enterprise_id=enterprise_id)
        _audit(session, "user_add", row.username, role=role)
    click.echo(f"已新增用户：{username}（{role}）")


def _audit(session, action: str, target: str, **detail) -> None:
    from archive_store import audit
    from archive_store.cli import current_actor

    audit.record(session, current_actor(), action, target, "命令行", **detail)


@user_group.command("list")
def user_list() -> None:
    """列出网页用户。"""
    from sqlalchemy import select

    from archive_store.tables import CommunityRow
    from handover.db import EnterpriseRow, session_scope

    from .users import ROLES, list_users

    with session_scope(settings()) as session:
        communities = {c.id: c.label for c in session.scalars(select(CommunityRow))}
        enterprises = {e.id: e.name for e in session.scalars(select(EnterpriseRow))}
        rows = list_users(session)
        if not rows:
            click.echo("还没有用户。用 handover user add 新增。")
        for u in rows:
            scope = communities.get(u.community_id, "") or enterprises.get(u.enterprise_id, "") or "全部"
            state = "启用" if u.active else "停用"
            click.echo(f"{u.username}\t{u.display_name}\t{ROLES[u.role]}\t{scope}\t{state}")


def _set_active(username: str, active: bool) -> None:
    from handover.db import session_scope

    from .users import set_active

    with session_scope(settings()) as session:
        set_active(session, username, active)
        _audit(session, "user_enable" if active else "user_disable", username)


@user_group.command("disable")
@click.argument("username")
def user_disable(username) -> None:
    """停用用户（其已登录的会话立即失效）。"""
    _set_active(username, False)
    click.echo(f"已停用用户：{username}")


@user_group.command("enable")
@click.argument("username")
def user_enable(username) -> None:
    """重新启用用户。"""
    _set_active(username, True)
    click.echo(f"已启用用户：{username}")


@user_group.command("reset-password")
@click.argument("username")
@click.option("--prompt", "ask", is_flag=True, help="输入临时密码（不填此项则生成一个一次性密码并显示）")
def user_reset_password(username, ask) -> None:
    """重置用户密码：其登录全部退出，下次登录时须设置新密码。"""
    from handover.db import session_scope

    from .passwords import one_time
    from .users import find_user, set_password

    if ask:
        password = click.prompt("临时密码", hide_input=True, confirmation_prompt=True)
    else:
        password = one_time(username)
    with session_scope(settings()) as session:
        ended = set_password(session, find_user(session, username), password, reset_by_admin=True)
        _audit(session, "password_reset", username, sessions_ended=ended)
    click.echo(f"已重置 {username} 的密码，其登录已全部退出（{ended} 个）；该用户下次登录时须设置新密码。")
    if not ask:
        click.echo(f"一次性密码：{password}")


@user_group.command("sign-out")
@click.argument("username", required=False)
@click.option("--all", "everyone", is_flag=True, help="退出所有用户的全部登录")
def user_sign_out(username, everyone) -> None:
    """强制退出一个用户（或 --all 所有用户）在所有电脑和浏览器上的登录。"""
    from handover.db import session_scope

    from . import sessions
    from .users import find_user

    if bool(username) == everyone:
        raise click.UsageError("请指定一个用户名，或使用 --all（二者选一）")
    with session_scope(settings()) as session:
        if everyone:
            ended = sessions.end_everyone(session, "ended_by_admin")
            _audit(session, "sessions_ended", "*", sessions_ended=ended)
        else:
            ended = sessions.end_all(session, find_user(session, username).id, "ended_by_admin")
            _audit(session, "sessions_ended", username, sessions_ended=ended)
    click.echo(f"已退出{'所有用户' if everyone else ' ' + username + ' '}的全部登录（{ended} 个）。")


@user_group.command("prune-sessions")
@click.option("--days", default=None, type=click.FloatRange(min=0),
              help="删除结束超过这么多天的会话记录（默认90天；网页服务每小时自动清理一次）")
def user_prune_sessions(days) -> None:
    """清理早已结束（退出、超时、被强制退出）的登录会话记录。"""
    from handover.db import session_scope

    from . import sessions

    cfg = settings()
    keep = sessions.KEEP_ENDED_DAYS if days is None else days
    with session_scope(cfg) as session:
        pruned = sessions.prune(session, cfg, keep)
        _audit(session, "sessions_pruned", "web_sessions", pruned=pruned, keep_days=keep)
    click.echo(f"已清理 {pruned} 条结束超过 {keep:g} 天的会话记录。")
