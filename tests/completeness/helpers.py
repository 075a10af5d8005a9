"""Hand-built volume records for the unit tests."""

from __future__ import annotations

from completeness.volume import Line, Page, Row, Volume

NAME = "王振华"
ID = "410105196305066213"  # born 1963-05-06, male

REGISTER = f"职工登记表\n填报单位：郑州第四水泥厂\n姓名\n{NAME}\n性别\n男\n出生年月\n1963年5月\n政治面貌\n群众\n本人签名：{NAME}\n填表日期\n1980年10月25日"
RECRUIT = f"招工审批表\n姓名\n{NAME}\n性别\n男\n出生年月\n1963年5月\n招工单位（盖章)\n1980年5月8日"
CONFIRM = f"职工转正定级审批表\n姓名\n{NAME}：\n性别\n男\n出生年月\n1963年5月\n单位劳资部门 (盖章）\n1981年6月26日"
WAGE = f"职工工资变动审批表\n姓名\n{NAME}\n性别\n男\n变动时间\n2000年4月\n劳动工资部门 (盖章）\n2000年4月21日"
RETIRE = f"企业职工退休审批表\n姓名\n{NAME}\n性别\n男\n出生年月\n1963年5月\n退休时间\n2023年6月\n2023年5月20日"
PENSION = f"基本养老金核定表\n姓名\n{NAME}\n性别\n男\n退休时间\n2023年6月\n经办机构 (盖章)\n2023年6月17日"

FORMS = [("一", "职工登记表", "1980-10-25", REGISTER), ("九-2", "招工审批表", "1980-05-17", RECRUIT),
         ("九-1", "职工转正定级审批表", "1981-06-26", CONFIRM), ("九-1", "职工工资变动审批表", "2000-04-21", WAGE),
         ("九-2", "企业职工退休审批表", "2023-05-20", RETIRE), ("九-1", "基本养老金核定表", "2023-06-17", PENSION)]


def page(index: int, page_no: int | None, text: str = "", **kw) -> Page:
    kw.setdefault("confidence", 0.98 if text else 0.0)
    return Page(index=index, page_no=page_no, text=text, **kw)


def corner_line(number: str, width: int = 2480, height: int = 3508) -> Line:
    """A page number written at the bottom right."""
    return Line(number, (width - 200, height - 150, width - 120, height - 90), 0.95)


def volume(forms=FORMS, extra_pages=(), name: str | None = NAME, id_number: str = ID) -> Volume:
    """One page per form, numbered per volume, with a matching 卷内目录."""
    pages, rows, seen = [], [], {}
    for n, (code, title, formed, text) in enumerate(forms, 1):
        pages.append(page(n, n, text))
        seen[code] = seen.get(code, 0) + 1
        rows.append(Row(f"{code}-{seen[code]}", code, title, formed, 1, n, n))
    pages += list(extra_pages)
    return Volume(pages=tuple(pages), rows=tuple(rows), id_number=id_number, name=name)
