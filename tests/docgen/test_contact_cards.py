"""联系卡 (咸宁 第五条: the community issues a 社区联系卡; 河南 附件1 制作发放…联系卡): each card
publishes its community's 社区联系人 and 服务电话 from the registry; a community without them is
named in the manifest's warnings and its cards say 尚未登记, never a blank line that looks complete."""

from __future__ import annotations

import datetime as dt
import re

from docx import Document

from docgen.bundle import generate_bundle
from handover.communities import Contact
from handover.policy import load_profile
from handover.routing import route
from handover.sample import make_batch

from .conftest import pdftotext_pages


def _flat(text: str) -> str:
    return re.sub(r"[\s\u3000]", "", text)


def test_cards_carry_the_registered_contact_and_the_bundle_names_the_communities_without(tmp_path):
    profile = load_profile("xianning")
    batch = make_batch("xianning", 30, communities=2, seed=3)
    dests = sorted({route(r, batch.enterprise, profile).destination for r in batch.retirees} - {None},
                   key=lambda d: d.label)
    assert len(dests) == 2
    listed, unlisted = dests
    contacts = {(listed.county, listed.street, listed.community): Contact("刘红", "0715-8211001"),
                (unlisted.county, unlisted.street, unlisted.community): Contact("张强", "")}
    m = generate_bundle(batch.enterprise, batch.retirees, profile, tmp_path, text_pdf=False, per_person=False,
                        today=dt.date(2026, 12, 4), contacts=contacts)
    cards = {e.community: e for e in m.by_type("contact_card", "docx")}
    pdfs = {e.community: e for e in m.by_type("contact_card", "pdf")}
    assert set(cards) == set(pdfs) == {listed.label, unlisted.label}

    def texts(label):
        doc = Document(str(tmp_path / cards[label].path))
        docx = _flat("".join(c.text for t in doc.tables for r in t.rows for c in r.cells))
        return docx, _flat("".join(pdftotext_pages(tmp_path / pdfs[label].path)))

    for text in texts(listed.label):
        assert "社区联系人：刘红" in text and "服务电话：0715-8211001" in text
        assert "尚未登记" not in text
    for text in texts(unlisted.label):
        assert "社区联系人：张强" in text and "服务电话：尚未登记" in text
        assert text.count("服务电话：尚未登记") == cards[unlisted.label].rows  # every card of it
    [warning] = [w for w in m.warnings if w.startswith("联系卡")]
    assert f"{unlisted.label}缺服务电话" in warning and listed.label not in warning
    clause = _flat("".join(p.text for a in m.by_type("transfer_agreement", "docx")  # one per county
                           for p in Document(str(tmp_path / a.path)).paragraphs))
    assert (f"{listed.street}{listed.community}（社区联系人：刘红，服务电话：0715-8211001）" in clause
            and f"{unlisted.street}{unlisted.community}（社区联系人：张强，服务电话：尚未登记）" in clause)


def test_without_any_registered_contact_every_community_is_named(tmp_path):
    profile = load_profile("henan-zhengzhou")
    batch = make_batch("henan-zhengzhou", 12, communities=2, seed=4)
    m = generate_bundle(batch.enterprise, batch.retirees, profile, tmp_path, pdf=False, per_person=False,
                        today=dt.date(2026, 12, 4))
    [warning] = [w for w in m.warnings if w.startswith("联系卡")]
    for entry in m.by_type("contact_card", "docx"):
        assert f"{entry.community}缺社区联系人、服务电话" in warning
        doc = Document(str(tmp_path / entry.path))
        text = _flat("".join(c.text for t in doc.tables for r in t.rows for c in r.cells))
        assert "社区联系人：尚未登记" in text and "服务电话：尚未登记" in text
