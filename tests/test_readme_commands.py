"""Every ``handover …`` command the README shows exists and answers ``--help``; the exit codes the
README documents are the ones a user gets."""

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from handover import errors
from handover_app.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
BIN = Path(sys.executable).with_name("handover")
WORD = re.compile(r"[a-z][a-z-]*(\|[a-z][a-z-]*)*")


def readme_commands() -> set[tuple[str, ...]]:
    """Command paths of every ``handover …`` in the README's code (inline spans and blocks).

    Words after ``handover`` are followed down the command tree while they name subcommands
    (``catalog show|export`` gives both); a word a group does not know is kept as written so the
    test below names it.
    """
    text = README.read_text(encoding="utf-8").replace("\\|", "|")  # pipes escaped inside tables
    code = re.findall(r"```[a-z]*\n(.*?)```", text, re.S) + re.findall(r"`([^`\n]+)`", text)
    found: set[tuple[str, ...]] = set()
    for snippet in code:
        for match in re.finditer(r"(?:^|[\s(])handover((?:\s+\S+)*)", snippet, re.M):
            found |= _paths(main, (), match.group(1).split())
    return found


def _paths(command: click.Command, path: tuple[str, ...], words: list[str]) -> set[tuple[str, ...]]:
    if not isinstance(command, click.Group) or not words or not WORD.fullmatch(words[0]):
        return {path}
    out: set[tuple[str, ...]] = set()
    for name in words[0].split("|"):
        sub = command.commands.get(name)
        out |= {path + (name,)} if sub is None else _paths(sub, path + (name,), words[1:])
    return out


COMMANDS = sorted(readme_commands())


def test_the_readme_shows_the_commands():
    assert len(COMMANDS) > 25  # the parser still finds them
    for expected in [("demo",), ("roster", "check"), ("catalog", "export"), ("user", "add"), ("serve",),
                     ("sample", "scans"), ("docs", "generate"), ("withdraw",)]:
        assert expected in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_each_readme_command_answers_help(path):
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="handover")
    assert result.exit_code == 0, f"handover {' '.join(path)}: {result.output}"
    assert "Usage: handover" in result.output


def test_exit_codes_as_documented(tmp_path):
    """0 clean, 1 a roster with errors, 2 usage, 3 a file that is not a roster, 5 a request in the wrong state."""
    env = {**os.environ, "HANDOVER_DATA_DIR": str(tmp_path / "data")}

    def handover(*args):
        return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, env=env, timeout=300)

    roster = tmp_path / "r.csv"
    assert handover("sample", "roster", "--retirees", 3, "--out", roster).returncode == errors.EXIT_OK
    assert handover("roster", "check", roster).returncode == errors.EXIT_OK
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,性别,身份证号,退休时间\n张三,男,110105194912310021,2010-01\n", encoding="utf-8")
    assert handover("roster", "check", bad).returncode == errors.EXIT_FINDINGS
    assert handover("roster", "check", roster, "--no-such-option").returncode == errors.EXIT_USAGE
    junk = tmp_path / "photo.xlsx"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + bytes(2000))
    refused = handover("roster", "check", junk)
    assert refused.returncode == errors.EXIT_INPUT and "错误：" in refused.stderr
    conflict = handover("requeue", "999")
    assert conflict.returncode == errors.EXIT_CONFLICT and "找不到档案任务" in conflict.stderr
    assert "Traceback" not in refused.stderr + conflict.stderr
