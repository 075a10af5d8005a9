"""The click commands, run with CliRunner (handover_app/cli.py registers them)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from archive_store.cli import catalog_command, publish_command, search_command, verify_command
from archive_store.storage import open_storage
from archive_store.tables import AuditRow
from handover.db import session_scope


def publish(runner, vol_dir, community="纬五路社区", street="经八路街道", county="金水区"):
    return runner.invoke(publish_command, [str(vol_dir), "--county", county, "--street", street,
                                           "--community", community, "--profile", "henan-zhengzhou"])


def test_publish_search_verify_and_export(cfg, make_volume, tmp_path):
    runner = CliRunner()
    vol_dir, person = make_volume("张建国")
    result = publish(runner, vol_dir)
    assert result.exit_code == 0, result.output
    assert "已入库" in result.output and "J410-TX·410105001001-0001" in result.output
    again = publish(runner, vol_dir)
    assert again.exit_code == 0 and "未做任何改动" in again.output

    out = runner.invoke(search_command, ["张建国", "--json"])
    assert out.exit_code == 0, out.output
    hits = json.loads(out.output)
    assert hits[0]["name"] == "张建国" and hits[0]["matched"] == "name"
    assert person.id_number not in out.output  # masked
    table = runner.invoke(search_command, [person.id_number[-4:], "--community", "纬五路社区"],
                          env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "张建国" in table.output
    none = runner.invoke(search_command, ["张建国", "--community", "纬五路社区", "--class", "99"])
    assert none.exit_code == 0 and "未找到" in none.output
    bad = runner.invoke(search_command, ["张", "--community", "不存在社区"])
    assert bad.exit_code != 0 and "未找到社区" in bad.output

    ok = runner.invoke(verify_command, [])
    assert ok.exit_code == 0 and "全部对象完好" in ok.output

    xlsx = tmp_path / "catalog.xlsx"
    exported = runner.invoke(catalog_command, ["export", "--community", "纬五路社区", "--out", str(xlsx)])
    assert exported.exit_code == 0, exported.output
    ledger = load_workbook(xlsx)["台账"]
    name_col = [c.value for c in ledger[2]].index("姓名") + 1
    assert ledger.cell(3, name_col).value == "张建国"
    shown = runner.invoke(catalog_command, ["show", "--community", "410105001001"],
                          env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "张建国人事档案" in shown.output

    storage = open_storage(cfg)
    victim = next(o.key for o in storage.list("") if o.key.endswith("contents.json"))
    storage.delete(victim)
    broken = runner.invoke(verify_command, ["--community", "纬五路社区"])
    assert broken.exit_code == 1 and "缺失" in broken.output

    with session_scope(cfg) as s:
        actors = {r.actor for r in s.scalars(select(AuditRow))}
        actions = {r.action for r in s.scalars(select(AuditRow))}
    assert actors == {"测试员"}
    assert {"publish", "publish_noop", "search", "verify", "export_catalog", "read_catalog"} <= actions


def test_publish_errors_are_reported_in_chinese(cfg, make_volume):
    runner = CliRunner()
    vol_dir, _ = make_volume(check="rejected")
    result = publish(runner, vol_dir)
    assert result.exit_code != 0 and "退回" in result.output
    ok_dir, _ = make_volume()
    unknown = runner.invoke(publish_command, [str(ok_dir), "--county", "金水区", "--street", "经八路街道",
                                              "--community", "纬五路社区", "--profile", "atlantis"])
    assert unknown.exit_code != 0 and "未找到地区政策配置" in unknown.output
    bad_code = runner.invoke(publish_command, [str(ok_dir), "--county", "金水区", "--street", "经八路街道",
                                               "--community", "纬五路社区", "--code", "12",
                                               "--profile", "henan-zhengzhou"])
    assert bad_code.exit_code != 0 and "12位" in bad_code.output
