"""The real ``handover`` console script, as a user runs it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

BIN = Path(sys.executable).with_name("handover")


def run(*args, data_dir: Path, check=True, **env_vars):
    env = {**os.environ, "HANDOVER_DATA_DIR": str(data_dir), "COLUMNS": "200", **env_vars}
    proc = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, env=env, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def workdir(tmp_path, data_dir):
    """A folder for the commands' files; ``data_dir`` points the commands at the test's database
    (under HANDOVER_TEST_DATABASE=postgresql, a PostgreSQL one: the demo then runs on it)."""
    return tmp_path


def test_sample_check_register_import_summary(workdir):
    data = workdir / "data"
    roster = workdir / "r.xlsx"
    out = run("sample", "roster", "--retirees", 60, "--communities", 5, "--seed", 3, "--out", roster, data_dir=data)
    assert "已生成 60 人的样例名册" in out.stdout
    name = out.stdout.split("企业：")[1].split("，")[0]
    uscc = out.stdout.split("统一社会信用代码 ")[1].split("）")[0]
    checked = run("roster", "check", roster, data_dir=data)
    assert "错误 0 处" in checked.stdout and "共 60 行数据" in checked.stdout
    run("enterprise", "add", name, "--uscc", uscc, "--profile", "henan-zhengzhou",
        "--address", "河南省郑州市金水区经八路街道纬五路社区经五路1号", data_dir=data)
    imported = run("roster", "import", roster, "--enterprise", name, data_dir=data)
    assert "已导入 60 人" in imported.stdout
    summary = run("roster", "summary", "--enterprise", name, data_dir=data)
    assert "合计" in summary.stdout and "60" in summary.stdout


def test_check_exits_non_zero_and_reports_in_chinese(workdir):
    bad = workdir / "bad.csv"
    bad.write_text("姓名,性别,身份证号,退休时间\n张三,男,110105194912310021,2010-01\n", encoding="gb18030")
    xlsx = workdir / "问题报告.xlsx"
    proc = run("roster", "check", bad, "--json", "--report", xlsx, data_dir=workdir / "d", check=False)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    [problem] = [p for p in report["problems"] if p["severity"] == "错误"]
    assert problem["row"] == 2 and problem["code"] == "id_invalid" and "校验位错误" in problem["message"]
    rows = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    assert rows[1] == ("行", "列", "类别", "代码", "说明")
    assert (2, "社会保障号码(身份证号)(C列)", "错误", "id_invalid") == rows[2][:4]


def test_not_a_spreadsheet_is_refused_cleanly(workdir):
    junk = workdir / "photo.xlsx"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
    proc = run("roster", "check", junk, data_dir=workdir / "d", check=False)
    assert proc.returncode == 3  # input refused
    assert "错误" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_enterprise_and_bad_uscc(workdir):
    data = workdir / "d"
    roster = workdir / "r.csv"
    run("sample", "roster", "--retirees", 3, "--out", roster, data_dir=data)
    proc = run("roster", "import", roster, "--enterprise", "不存在的企业", data_dir=data, check=False)
    assert proc.returncode == 3 and "未登记的企业" in proc.stderr
    proc = run("enterprise", "add", "某厂", "--uscc", "123", "--profile", "jieyang", data_dir=data, check=False)
    assert proc.returncode == 3 and "统一社会信用代码" in proc.stderr


def test_check_against_a_registered_enterprise(workdir):
    """README: ``handover roster check FILE --enterprise NAME`` (it crashed: the --report option's name was reused)."""
    data = workdir / "d"
    roster = workdir / "r.csv"
    out = run("sample", "roster", "--retirees", 4, "--out", roster, data_dir=data).stdout
    name = out.split("企业：")[1].split("，")[0]
    uscc = out.split("统一社会信用代码 ")[1].split("）")[0]
    run("enterprise", "add", name, "--uscc", uscc, "--profile", "henan-zhengzhou", data_dir=data)
    checked = run("roster", "check", roster, "--enterprise", name, data_dir=data)
    assert "错误 0 处" in checked.stdout and "共 4 行数据" in checked.stdout
    assert "Traceback" not in checked.stderr and not list(workdir.glob("*.xlsx"))  # no report unless asked
    report = workdir / "问题.xlsx"
    run("roster", "check", roster, "--enterprise", name, "--report", report, data_dir=data)
    assert report.is_file()


def test_an_unusable_database_is_refused_in_chinese(workdir):
    """A database of a kind the product does not support ends the demo with the Chinese reason and
    exit 4, not a traceback (tests/test_db_errors.py has the other cases)."""
    proc = run("demo", "--retirees", 5, "--communities", 1, data_dir=workdir / "d", check=False,
               HANDOVER_DATABASE_URL="mysql+pymysql://handover:secret@127.0.0.1:9/handover")
    assert proc.returncode == 4, proc.stderr
    assert "不支持的数据库类型 mysql" in proc.stderr and "Traceback" not in proc.stderr
    assert "secret" not in proc.stderr  # the password is not echoed
    proc = run("enterprise", "list", data_dir=workdir / "d", check=False, HANDOVER_DATABASE_URL="nonsense")
    assert proc.returncode == 4 and "无法识别的数据库地址" in proc.stderr


def test_demo_ends_green_and_says_where_outputs_are(workdir):
    proc = run("demo", "--retirees", 50, "--communities", 4, data_dir=workdir / "demo-data")
    out = proc.stdout
    assert "全部步骤成功" in out
    assert str(workdir / "demo-data") in out
    if os.environ.get("HANDOVER_DATABASE_URL"):  # the PostgreSQL run of `make test`
        assert "数据库：postgresql" in out
    assert "manifest.json" in out and "移交材料.zip" in out
    assert "完整，内容页" in out and "不完整" in out and "缺少 基本养老金核定表" in out
    # The statement is drafted once nothing waits in the 校对 queue; until then the demo says so.
    assert "档案材料缺失情况说明.docx" in out or "档案材料缺失情况说明：校对完成" in out
    assert out.count("（新入库）") == 2 and "-0001" in out and "-0002" in out
    assert "检索“退休审批”：2 条结果" in out
    # It ends with the roster's 卷/页 beside the two volumes received: the differences are shown.
    reconciled = out[out.index("档案移交名册表与已入库案卷核对"):]
    assert "以上 2 人合计：名册 2 人" in reconciled and "已接收 2 人 2 卷" in reconciled
    assert "缺基本养老金核定表" in reconciled and "全部名册：名册" in reconciled
    # ... and the 档案移交名册表 regenerated as the receipt agrees with the published volumes
    assert reconciled.count("与入库案卷一致") == 2 and "列为“未接收”" in reconciled
    again = run("demo", "--retirees", 50, "--communities", 4, data_dir=workdir / "demo-data")
    assert "全部步骤成功" in again.stdout  # rerunnable on the same data folder
    assert again.stdout.count("已入库，未重复") == 2  # the same originals are not published twice
