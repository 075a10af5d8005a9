"""The check report for people: an HTML page a clerk reads (Jinja2, Chinese), and a short text
summary for the command line. The machine form is ``CheckReport.to_json`` (check.json)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from jinja2 import Environment, select_autoescape

from handover import idnumber
from handover.disclosure import MASKED

from .check import CheckReport
from .findings import CODES, SEVERITY_LABELS
from .review import ReviewItem

GROUP_LABELS = {"materials": "必要材料", "pages": "页码与页数", "legibility": "清晰度", "identity": "身份核对",
                "catalog": "卷内目录与图像"}

_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>档案完整性检查报告 — {{ r.name or "未知" }}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #999; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #eee; } .outcome { font-size: 1.3em; font-weight: bold; padding: .4em .8em; display: inline-block; }
.complete { background: #dfd; } .incomplete { background: #ffd; } .rejected { background: #fdd; }
.error { color: #a00; } .warning { color: #a60; } .info { color: #666; }
</style>
</head>
<body>
<h1>人事档案完整性检查报告</h1>
<table>
<tr><th>姓名</th><td>{{ r.name }}</td><th>公民身份号码</th><td>{{ masked_id }}</td></tr>
<tr><th>档号</th><td>{{ r.ref_no or "（未编）" }}</td><th>地区政策</th><td>{{ r.region }}</td></tr>
<tr><th>内容页数</th><td>{{ r.content_pages }}页{% if r.declared_pages is not none %}（申报{{ r.declared_pages }}页）{% endif %}</td>
<th>图像总数</th><td>{{ r.images }}幅（空白页{{ r.blank_pages }}，重复扫描{{ r.duplicate_pages }}）</td></tr>
<tr><th>政治面貌</th><td>{{ "中共党员" if r.party_member else "非党员" }}</td><th>检查时间</th><td>{{ r.checked_at }}</td></tr>
</table>
<p>检查结论：<span class="outcome {{ r.outcome.value }}">{{ r.outcome_label }}</span>
{% if r.provisional %}　<strong>（待校对{{ review | length }}项：校对或放弃后结论方为最终）</strong>{% endif %}
{% if r.needs_review %}　（另有需人工复核事项）{% endif %}</p>
{% if r.outcome.value == "incomplete" %}
<p>缺少：{{ r.missing | join("、") }}。移交单位应补齐；无法补齐的，须出具《档案材料缺失情况说明》（注明材料名称和原因，并签字盖章）后方可接收。</p>
{% elif r.outcome.value == "rejected" %}
<p>本卷须退回处理（重新扫描或移出他人材料）后重新检查。</p>
{% endif %}
<h2>检查发现</h2>
{% if findings %}
<table>
<tr><th>序号</th><th>类别</th><th>级别</th><th>问题</th><th>图像</th><th>材料</th><th>说明</th></tr>
{% for f in findings %}
<tr class="{{ f.severity.value }}"><td>{{ loop.index }}</td><td>{{ groups[f.code] }}</td><td>{{ severities[f.severity] }}</td>
<td>{{ labels[f.code] }}</td><td>{{ f.page if f.page is not none else "" }}</td><td>{{ f.material or "" }}</td><td>{{ f.message_zh }}</td></tr>
{% endfor %}
</table>
{% else %}
<p>未发现问题。</p>
{% endif %}
{% if review %}
<h2>待校对事项</h2>
<p>以下识别结果机器没有把握，请档案管理人员对照原件逐项确认或更正（网页“校对”页面）。</p>
<table>
<tr><th>序号</th><th>图像</th><th>项目</th><th>识别结果</th><th>原因</th></tr>
{% for i in review %}
<tr><td>{{ loop.index }}</td><td>{{ i.page if i.page else "" }}</td><td>{{ i.label }}</td><td>{{ i.value }}</td><td>{{ i.reason_zh }}</td></tr>
{% endfor %}
</table>
{% endif %}
<h2>卷内目录</h2>
<table>
<tr><th>序号</th><th>类号</th><th>材料名称</th><th>形成时间</th><th>页数</th><th>起止页</th><th>备注</th></tr>
{% for m in r.materials %}
<tr><td>{{ m.seq }}</td><td>{{ m.class_code }}</td><td>{{ m.title }}</td><td>{{ m.formed_on or "" }}</td><td>{{ m.pages }}</td>
<td>{% if m.start_page %}{{ m.start_page }}—{{ m.end_page }}{% endif %}</td><td>{{ m.remarks }}</td></tr>
{% endfor %}
</table>
</body>
</html>
"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def render_html(report: CheckReport) -> str:
    return _env.from_string(_TEMPLATE).render(
        r=report, findings=shown_findings(report), masked_id=idnumber.mask(report.id_number) if report.id_number else "",
        review=[shown(i) for i in report.review],
        labels={c: spec.label for c, spec in CODES.items()},
        groups={c: GROUP_LABELS.get(spec.group, spec.group) for c, spec in CODES.items()},
        severities=SEVERITY_LABELS)


def write_html(report: CheckReport, path: Path) -> Path:
    path = Path(path)
    path.write_text(render_html(report), encoding="utf-8")
    return path


def shown(item: ReviewItem) -> ReviewItem:
    """The item as a report shows it: an ID number masked like every other one, a birth value
    (which would complete the masked number) cut to its year (``handover.disclosure``)."""
    if item.field == "id_number" and item.value:
        return replace(item, value=MASKED.id_number(item.value))
    if item.field == "birth" and item.value:
        return replace(item, value=MASKED.birth_text(item.value))
    return item


def shown_findings(report: CheckReport) -> list:
    """The findings as a report beside the masked number shows them: ID numbers they quote masked,
    the birth dates completing these or the volume's number cut to the year."""
    messages = MASKED.texts([f.message_zh for f in report.findings], [report.id_number] if report.id_number else [])
    return [replace(f, message_zh=m) for f, m in zip(report.findings, messages)]


def summary_lines(report: CheckReport) -> list[str]:
    """Plain Chinese lines for the terminal (the ID number masked)."""
    who = f"{report.name or '（无姓名）'} {idnumber.mask(report.id_number) if report.id_number else ''}".strip()
    lines = [f"{who}：检查结论 {report.outcome_label}（内容页{report.content_pages}页，图像{report.images}幅）"]
    if report.missing:
        lines.append("缺少：" + "、".join(report.missing))
    if report.review:
        lines.append(f"待校对{len(report.review)}项" + ("（已放弃校对，结论按现状）：" if report.waived else
                                                   "（校对或放弃后结论方为最终）："))
        for i in map(shown, report.review):
            where = f"第{i.page}幅图像" if i.page else "全卷"
            lines.append(f"  {where} {i.label}：识别为“{i.value}”，{i.reason_zh}")
    for f in shown_findings(report):  # the messages say where (image, page, material) themselves
        lines.append(f"[{SEVERITY_LABELS[f.severity]}] {CODES[f.code].label if f.code in CODES else f.code}："
                     f"{f.message_zh}")
    return lines
