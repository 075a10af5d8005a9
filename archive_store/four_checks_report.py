"""The 四性检测 report as written into a package: JSON for programs, HTML for people."""

from __future__ import annotations

import html
import json
from pathlib import Path

from . import dat31_layout as L
from .four_checks import GROUPS, FourChecksReport


def write_reports(root: Path, report: FourChecksReport) -> None:
    (Path(root) / L.REPORT_JSON).write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1) + "\n",
                                            encoding="utf-8")
    (Path(root) / L.REPORT_HTML).write_text(render_html(report), encoding="utf-8")


def render_html(report: FourChecksReport) -> str:
    """A self-contained page (no script, no external resource): one row per check, its failures."""
    e = html.escape
    t = report.totals
    verdict = "全部通过" if report.ok else f"{len(report.failed())}项未通过"
    rows = []
    for r in report.results:
        state = '<td class="ok">通过</td>' if r.passed else '<td class="bad">未通过</td>'
        detail = "".join(f"<li><code>{e(f.file)}</code>：{e(f.message)}</li>" for f in r.failures[:200])
        if len(r.failures) > 200:
            detail += f"<li>……另有{len(r.failures) - 200}项，见 {e(L.REPORT_JSON)}</li>"
        rows.append(f"<tr><td>{e(GROUPS[r.group])}</td><td>{e(r.title)}<br><small>{e(r.id)}</small></td>{state}"
                    f"<td>{r.checked}</td><td><ul>{detail}</ul></td></tr>")
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        f"<title>四性检测报告 {e(report.package)}</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #999;padding:4px 8px;vertical-align:top;text-align:left}"
        "td:nth-child(-n+4){white-space:nowrap}.ok{color:#060}.bad{color:#b00;font-weight:bold}ul{margin:0;padding-left:1.2em}"
        "</style></head><body>\n"
        f"<h1>四性检测报告</h1><p>移交包：{e(report.package)}　检测时间：{e(report.checked_at)}　结论："
        f"<span class=\"{'ok' if report.ok else 'bad'}\">{verdict}</span></p>\n"
        f"<p>案卷 {t.get('volumes', 0)} 卷，图像 {t.get('images', 0)} 幅；案卷文件夹内文件 {t.get('files', 0)} 个、"
        f"{t.get('bytes', 0)} 字节；移交包共 {t.get('all_files', 0)} 个文件（不含清单与本报告）。</p>\n"
        "<table><tr><th>类别</th><th>检测项</th><th>结果</th><th>检测对象数</th><th>问题（文件：说明）</th></tr>\n"
        + "\n".join(rows) + "\n</table></body></html>\n")
