"""A masked ID number cannot be rebuilt from what is shown beside it (finding 2 of issue 19).

The mask hides digits 7–14, exactly the birth date; head, sequence and check character rebuild the
whole number once the birth date is known. Every role signs in and fetches every GET route of the
app reachable to it on the seeded archive (path ids filled from the seed), plus searches and every
export (XLSX read back with openpyxl, PDF through pdftotext, DOCX and ZIP opened), and each answer
is searched for a whole valid ID number (roles that see masked numbers) and for a masked number
together with a date that completes it into one of the archive's real numbers (every role).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import time
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from archive_store.publish import publish_volume
from archive_store.tables import MaterialRow, VolumeRow
from handover import idnumber
from handover.db import session_scope
from handover.policy import load_profile
from handover.roster.writer import write_xlsx
from tests.support.sample_volume import SamplePerson, write_sample_volume
from web.tables import IntakeRow, UserRow

from .conftest import JINSHUI, PROFILE, sign_in

# The roles that work with whole numbers today (web.users / archive_store.read_rule): exempt from
# the whole-number assertion only.
FULL_ROLES = {"admin", "archivist"}
# The transfer documents the enterprise signs (花名册, 移交名册, per-person forms) carry the whole
# number of its own retirees by regulation; they show no masked number.
# The 原件 (the volume's PDF, its text layer included) under an approved 查阅 request: the papers as
# they are.
FULL_DOCUMENTS = {"/documents/{token}/bundle.zip", "/documents/{token}/files/{index}",
                  "/dossiers/{volume_id}/volume.pdf"}
# GET routes the walk cannot fill from the seed, and why.
NOT_WALKED = {
    "/api/intake/folders": "no scanning-room folder is configured in the seed (folder names and counts only)",
}
# The example: 410105********5004 beside 出生日期 1959-02-16; the papers record 1959-03-20,
# so the completeness check quotes the ID's birth date in a finding.
MISMATCHED = SamplePerson(idnumber.make("410105", dt.date(1959, 2, 16), 500), "赵秀兰", "女", dt.date(1959, 3, 20))
QUERIES = ("出生日期", "公民身份号码", "退休审批", "张建国", "赵秀兰", "1959")

FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")
MASKED_ID = re.compile(r"(?<![0-9])([0-9]{6})\*{8}([0-9]{3}[0-9X])")
DATES = re.compile(r"(?<![0-9])((?:18|19|20)[0-9]{2})\s*[-./年]\s*([0-9]{1,2})\s*[-./月]\s*([0-9]{1,2})(?![0-9])"
                   r"|(?<![0-9])((?:18|19|20)[0-9]{2})([0-9]{2})([0-9]{2})(?![0-9])")


# ---------------------------------------------------------------- reading what was answered

def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("word/") and n.endswith(".xml"))
    # Runs of one paragraph joined without a gap (a number may be split over runs).
    return re.sub(r"<[^>]+>", "", re.sub(r"</w:p>", "\n", xml))


def _pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def _xlsx_text(data: bytes) -> str:
    wb = load_workbook(io.BytesIO(data))
    return "\n".join("\t".join("" if c is None else str(c) for c in row)
                     for ws in wb.worksheets for row in ws.iter_rows(values_only=True))


def text_of(name: str, data: bytes) -> str | None:
    """The text a person reads in a file (None: an image, nothing to read)."""
    if data.startswith(b"%PDF"):
        return _pdf_text(data)
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            if "word/document.xml" in names:
                return _docx_text(data)
            if any(n.startswith("xl/") for n in names):
                return _xlsx_text(data)
            parts = [text_of(n, z.read(n)) for n in names if not n.endswith("/")]
            return "\n".join(p for p in parts if p)
    if name.lower().endswith((".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff")) or data[:4] in (
            b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1", b"\xff\xd8\xff\xdb", b"RIFF"):
        return None
    return data.decode("utf-8", errors="replace")


def whole_numbers(text: str) -> set[str]:
    out = set()
    for m in FULL_ID.finditer(text):
        try:
            out.add(idnumber.parse(m.group(0)).number)
        except idnumber.IdNumberError:
            pass
    return out


def rebuilt(text: str, known: set[str]) -> set[str]:
    """The archive's numbers a reader rebuilds from a masked number and a date of the same answer."""
    heads = {(m.group(1), m.group(2)) for m in MASKED_ID.finditer(text)}
    if not heads:
        return set()
    days = set()
    for m in DATES.finditer(text):
        y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
        days.add(f"{y}{int(mo):02d}{int(d):02d}")
    out = set()
    for head, tail in heads:
        for day in days:
            number = head + day + tail
            if idnumber.check_character(number[:17]) == number[17] and number in known:
                out.add(number)
    return out


# ---------------------------------------------------------------- the seeded archive

@pytest.fixture
def archive(seed):
    """The seeded archive plus 赵秀兰's volume (its finding quotes the ID's birth date; community A
    may read its originals), a roster upload of enterprise A and a generated bundle of enterprise B."""
    from completeness.check import check_volume
    from web.app import create_app

    vol = write_sample_volume(seed.root.parent / "src-mismatch", MISMATCHED, seed=4, materials=3, check=None)
    check_volume(vol, None, load_profile(PROFILE), probe_images=False)
    extra = publish_volume(seed.cfg, vol, JINSHUI, PROFILE, "入库员").volume_id
    app = create_app(seed.cfg, max_upload_bytes=2 * 1024 * 1024, bundle_text_pdf=False)
    roster_a = write_xlsx(seed.root.parent / "roster_a.xlsx", seed.batch_a.retirees, seed.batch_a.enterprise)
    ent_a, ent_b = sign_in(app, "ent_a"), sign_in(app, "ent_b")
    # 刘社工 of community A may read 赵秀兰's originals (an approved 查阅 request).
    r = sign_in(app, "comm_a").post(f"/api/dossiers/{extra}/requests", json={"kind": "view", "reason": "核实出生日期"})
    assert r.status_code in (200, 201), r.text
    r = sign_in(app, "archivist").post(f"/api/requests/{r.json()['id']}/approve", json={})
    assert r.status_code == 200, r.text
    with roster_a.open("rb") as fh:
        r = ent_a.post("/api/roster/uploads", files={"file": ("roster_a.xlsx", fh)})
    assert r.status_code == 201, r.text
    upload = r.json()["token"]
    r = ent_b.post("/api/documents")
    assert r.status_code == 202, r.text
    bundle = r.json()["token"]
    deadline = time.monotonic() + 300
    while (state := ent_b.get(f"/api/documents/{bundle}").json())["status"] == "running":
        assert time.monotonic() < deadline, "bundle did not finish"
        time.sleep(0.5)
    assert state["status"] == "done", state
    known = {p.id_number for p in (seed.person_a, seed.person_b, MISMATCHED)}
    known |= {r.id_number for b in (seed.batch_a, seed.batch_b) for r in b.retirees}
    with session_scope(seed.cfg) as s:
        known |= set(s.scalars(select(VolumeRow.id_number)))
        material = s.scalar(select(MaterialRow.id).where(MaterialRow.volume_id == seed.volume_a))
        # An upload of scans as its status page shows it (uploading starts a digitizing process).
        intake = IntakeRow(token="0" * 32, user_id=s.scalar(select(UserRow.id).where(UserRow.username == "archivist")),
                           id_number=MISMATCHED.id_number, name=MISMATCHED.name, files=3, status="failed")
        s.add(intake)
        # The signed 档案移交名册表 of one of enterprise B's streets, on record.
        from archive_store.receipts import store_receipt
        from archive_store.storage import open_storage
        from handover.db import RetireeRow
        from handover.registry import enterprise_row

        ent_row = enterprise_row(s, seed.batch_b.enterprise.name)
        county, street = s.execute(select(RetireeRow.dest_county, RetireeRow.dest_street).where(
            RetireeRow.enterprise_id == ent_row.id, RetireeRow.dest_county.is_not(None))).first()
        scan = seed.root.parent / "signed-roster.pdf"
        import pikepdf
        pdf = pikepdf.new()
        pdf.add_blank_page()
        pdf.save(scan)
        receipt = store_receipt(s, open_storage(seed.cfg), ent_row, county, street, scan, scan.name, "入库员").id
    # A vendor's package under 数字化成果验收, its 四性检测 done.
    from archive_store import acceptance
    from tests.support.dat31_package import make_package

    make_package(seed.root.parent / "vendor", seed.cfg.incoming_root / "验收包", volumes=2)
    with session_scope(seed.cfg) as s:
        accepting = acceptance.start(s, seed.cfg, "验收包", "archivist").id
    acceptance.run_checks(seed.cfg, accepting, "archivist")
    volumes = [seed.volume_a, seed.volume_b, seed.volume_c, extra]
    return {"app": app, "extra": extra, "known": known, "fill": {
        "volume_id": volumes, "seq": [1], "community_id": [seed.community_a, seed.community_b],
        "material_id": [material], "kind": ["statement", "note-sheet"], "fmt": ["pdf", "docx"],
        "token": [upload, bundle, "0" * 32], "index": [d["index"] for d in state["documents"]],
        "receipt_id": [receipt], "acceptance_id": [accepting], "n": [1], "serial": [1]}}


def get_routes(app) -> list[str]:
    out: list[str] = []

    def walk(routes):
        for r in routes:
            if hasattr(r, "original_router"):
                walk(r.original_router.routes)
            elif "GET" in (getattr(r, "methods", None) or ()) and hasattr(r, "path"):
                out.append(r.path)

    walk(app.routes)
    return out


def _urls(path: str, fill: dict, review_keys: list[str]) -> list[str]:
    names = re.findall(r"{(\w+)}", path)
    urls = [path]
    for name in names:
        values = review_keys if name == "key" else fill.get(name, [])
        urls = [u.replace("{" + name + "}", str(v)) for u in urls for v in values]
    return urls


def test_no_role_can_rebuild_a_masked_number_from_any_page_answer_or_export(archive, seed):
    app, known, fill = archive["app"], archive["known"], archive["fill"]
    archivist = sign_in(app, "archivist")
    review_keys = [i["key"] for v in fill["volume_id"]
                   for i in archivist.get(f"/api/dossiers/{v}/review").json().get("open", [])][:2]
    served: dict[str, int] = {}
    problems: list[str] = []
    seen_by: set[tuple[str, str]] = set()
    for username in ("comm_a", "comm_b", "ent_a", "ent_b", "archivist", "admin"):
        api = sign_in(app, username)
        for path in get_routes(app):
            if path in NOT_WALKED:
                continue
            urls = _urls(path, fill, review_keys)
            if path.endswith("/search"):
                urls = [f"{path}?q={q}" for q in QUERIES]
            for url in urls:
                r = api.get(url, headers={"accept": "text/html" if not path.startswith("/api/") else "application/json"})
                if r.status_code != 200:
                    continue
                served[path] = served.get(path, 0) + 1
                seen_by.add((username, path))
                text = text_of(url, r.content)
                if text is None:
                    continue
                if username not in FULL_ROLES and path not in FULL_DOCUMENTS:
                    if shown := whole_numbers(text):
                        problems.append(f"{username} {url}: whole numbers {sorted(shown)}")
                if found := rebuilt(text, known):
                    problems.append(f"{username} {url}: masked number and its birth date {sorted(found)}")
    assert not problems, "\n".join(problems)
    unserved = set(get_routes(app)) - set(served) - set(NOT_WALKED)
    assert not unserved, f"routes no role was served (fill their ids from the seed): {sorted(unserved)}"
    assert ("comm_a", "/dossiers/{volume_id}/volume.pdf") in seen_by  # the approved request was walked


def test_the_policy_keeps_whole_numbers_for_custodians_and_years_for_the_others(archive, seed):
    app, extra = archive["app"], archive["extra"]
    number = MISMATCHED.id_number
    archivist, comm_a = sign_in(app, "archivist"), sign_in(app, "comm_a")
    # Archive staff: the whole number, the finding as the check wrote it.
    mine = archivist.get(f"/api/dossiers/{extra}").json()
    assert mine["id_number"] == number
    assert any("1959年02月16日" in f["message"] for f in mine["completeness"]["findings"])
    # Community staff: the masked number, and the finding keeps the year (and the other date).
    theirs = comm_a.get(f"/api/dossiers/{extra}").json()
    assert theirs["id_number"] == "410105********5004"
    message = next(f["message"] for f in theirs["completeness"]["findings"] if "身份证号码中的出生日期" in f["message"])
    assert "1959年**月**日" in message and "02月16日" not in message
    # 台账: 出生日期 beside the masked number is the year only; archive staff get both whole.
    ledger = _xlsx_text(comm_a.get(f"/catalogs/{seed.community_a}.xlsx").content)
    assert "410105********5004\t" in ledger and "1959-**-**" in ledger and "1959-02-16" not in ledger
    ledger = _xlsx_text(archivist.get(f"/catalogs/{seed.community_a}.xlsx").content)
    assert number in ledger and "1959-02-16" in ledger

