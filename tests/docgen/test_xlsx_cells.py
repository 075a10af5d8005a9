"""The transfer documents' XLSX (花名册.xlsx, 档案移交名册表.xlsx, the not-transferred list) keep a
roster name that looks like a formula as text (finding 4 of issue 19); the only formulas are the
totals the documents compute themselves (=SUM of a count column)."""

from __future__ import annotations

import re

from openpyxl import load_workbook

from docgen.bundle import generate_bundle
from handover.policy import load_profile
from handover.sample import make_batch

HOSTILE = ['=HYPERLINK("http://evil.example/x","打开")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3"]


def test_formula_like_roster_names_stay_text_in_every_xlsx(tmp_path):
    b = make_batch("henan-zhengzhou", 12, communities=2, seed=5)
    people = [r.model_copy(update={"name": HOSTILE[i]}) if i < len(HOSTILE) else r for i, r in enumerate(b.retirees)]
    m = generate_bundle(b.enterprise, people, load_profile("henan-zhengzhou"), tmp_path, pdf=False, per_person=False)
    books = {e.path for e in m.documents if e.format == "xlsx"}
    assert any("花名册" in p for p in books) and any("档案移交名册表" in p for p in books)
    seen = set()
    for path in books:
        for ws in load_workbook(tmp_path / path).worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.data_type == "f":
                        assert re.fullmatch(r"=SUM\(([A-Z])\d+:\1\d+\)", c.value), (path, c.coordinate, c.value)
                        continue
                    if isinstance(c.value, str):
                        assert not c.value.startswith(("=", "+", "-", "@")) or c.value.strip("-") == "", c.value
                        seen.add(c.value)
    assert {f"'{name}" for name in HOSTILE} <= seen
