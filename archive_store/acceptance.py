"""The acceptance (验收) of a received DA/T 31 delivery package (DA/T 31-2017 §12.3).

Every item a computer can check is checked on all of the package and must pass (the 四性检测 of
``four_checks``); a ≥ 5% sample of volumes (``sampling``, seed recorded) is inspected by hand on
the items of ``ITEMS``: 目录与图像对应 must be 100% correct, the others ≥ 95%. The batch is 合格 only
when both hold. The result is written as the 验收意见 (``docgen.acceptance_opinion``).

Packages are found in one configured folder (``Settings.incoming_root``), one sub-folder each, put
there by whoever carried the vendor's disk in. A package is named by its folder name only, and
only a name the listing of that folder returns is accepted: no path typed by a user reaches the
file system. Links are neither listed nor followed.

A package is identified by its content, not its folder name: the SHA-256 of its manifest file
(which lists every file's SHA-256), recorded when the acceptance starts. ``handover receive``
imports a package only through ``accepted_for_import``: the newest acceptance of that manifest must
be concluded 合格 (and the receive's own 四性检测 then proves the files still match the manifest).

``evaluate`` and ``rates`` are pure; the rest reads the folder and writes the two tables, each
change with its audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from handover import clock
from handover.config import Settings
from handover.errors import EXIT_NOT_ACCEPTED, Conflict, InputRefused, NotFound

from . import audit
from . import dat31_layout as L
from .numbering import ref_no_to_filename
from .sampling import MIN_SHARE, Sample, draw, new_seed
from .storage import sha256_file
from .tables import AcceptanceMarkRow, AcceptanceRow

CHECKING, INSPECTING, CONCLUDED, ERROR = "checking", "inspecting", "concluded", "error"
STATUS_LABELS = {CHECKING: "四性检测中", INSPECTING: "人工抽检中", CONCLUDED: "已作出验收结论", ERROR: "检测出错"}
PASS, FAIL = "合格", "不合格"


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    detail: str
    threshold: float  # the share of sampled volumes that must pass


# DA/T 31-2017 §12.3: catalogue ↔ image linkage 100%, every other manual item ≥ 95%.
ITEMS = (
    Item("linkage", "目录与图像对应", "卷内目录每条与其图像对应，图像无缺漏、无多余、顺序正确", 1.0),
    Item("image_quality", "图像质量", "清晰、完整、无倾斜、色彩（红头、印章、照片为彩色）", 0.95),
    Item("naming", "档号与命名", "档号正确，图像按档号+流水号命名", 0.95),
    Item("catalogue", "目录著录准确", "卷内目录的题名、日期、页数等与原件一致", 0.95),
)
ITEM_KEYS = tuple(i.key for i in ITEMS)
ITEM_BY_KEY = {i.key: i for i in ITEMS}


# ---------------------------------------------------------------- the incoming folder


@dataclass(frozen=True)
class IncomingPackage:
    name: str  # the folder's name: what the user picks, never a path
    vendor: str  # 生成人 of 说明文件.txt
    scope: str  # 移交范围
    volumes: int  # 案卷数 as declared


def _readme_field(text: str, label: str) -> str:
    m = re.search(rf"^{label}：(.*)$", text, re.M)
    return m.group(1).strip() if m else ""


def _read_readme(folder: Path) -> str:
    path = folder / L.README
    try:
        if stat.S_ISREG(path.lstat().st_mode):
            with path.open("rb") as fh:
                return fh.read(64 * 1024).decode("utf-8-sig", "replace")
    except OSError:
        pass
    return ""


def incoming_packages(cfg: Settings) -> list[IncomingPackage]:
    """The package folders in the incoming folder, by name: real directories (not links), not
    hidden (a package being copied in is written as ``.name…`` by ``deliver``), holding a
    说明文件.txt or a 案卷目录.xml."""
    root = cfg.incoming_root
    out = []
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue
        folder = Path(entry.path)
        readme = _read_readme(folder)
        if not readme and not (folder / L.VOLUME_CATALOG_XML).is_file():
            continue
        declared = L.parse_totals(readme).get("volumes")
        out.append(IncomingPackage(entry.name, _readme_field(readme, "生成人"), _readme_field(readme, "移交范围"),
                                   declared if declared is not None else len(L.read_ref_nos(folder))))
    return out


def package_folder(cfg: Settings, name: str) -> Path:
    """The folder of the package ``name`` — only a name the incoming folder's listing holds."""
    for package in incoming_packages(cfg):
        if package.name == name:
            return cfg.incoming_root / package.name
    raise NotFound(f"待验收文件夹中没有该移交包：{name}")


# ---------------------------------------------------------------- pure: rates and conclusion


@dataclass(frozen=True)
class ItemRate:
    item: Item
    inspected: int  # sampled volumes marked on this item
    passed: int
    sample: int  # sampled volumes

    @property
    def complete(self) -> bool:
        return self.inspected == self.sample

    @property
    def rate(self) -> float | None:
        return self.passed / self.inspected if self.inspected else None

    @property
    def met(self) -> bool | None:
        """Whether the threshold is met; None while volumes are still to mark and the answer open.
        A failure already too many decides it before the rest are marked."""
        failed = self.inspected - self.passed
        allowed = math.floor(self.sample * (1 - self.item.threshold) + 1e-9)
        if failed > allowed:
            return False
        return True if self.complete else None

    def as_dict(self) -> dict:
        return {"item": self.item.key, "title": self.item.title, "threshold": self.item.threshold,
                "inspected": self.inspected, "passed": self.passed, "sample": self.sample,
                "rate": self.rate, "met": self.met}


@dataclass(frozen=True)
class Mark:
    ref_no: str
    item: str
    passed: bool
    remark: str = ""


def rates(sample: list[str], marks: list[Mark]) -> list[ItemRate]:
    in_sample = set(sample)
    out = []
    for item in ITEMS:
        mine = [m for m in marks if m.item == item.key and m.ref_no in in_sample]
        out.append(ItemRate(item, len(mine), sum(m.passed for m in mine), len(in_sample)))
    return out


@dataclass(frozen=True)
class Evaluation:
    checks_passed: bool | None
    rates: list[ItemRate]
    conclusion: str | None  # 合格 / 不合格; None while it is still open

    @property
    def marks_complete(self) -> bool:
        return all(r.complete for r in self.rates)


def evaluate(checks_passed: bool | None, sample: list[str], marks: list[Mark]) -> Evaluation:
    """合格 when every automatic check passed and every item's rate meets its threshold; 不合格 as
    soon as one automatic check failed or one item cannot meet its threshold any more."""
    item_rates = rates(sample, marks)
    if checks_passed is False or any(r.met is False for r in item_rates):
        conclusion = FAIL
    elif checks_passed and all(r.met for r in item_rates):
        conclusion = PASS
    else:
        conclusion = None
    return Evaluation(checks_passed, item_rates, conclusion)


# ---------------------------------------------------------------- the acceptance on record


def marks_of(session: Session, acceptance_id: int) -> list[AcceptanceMarkRow]:
    return list(session.scalars(select(AcceptanceMarkRow).where(AcceptanceMarkRow.acceptance_id == acceptance_id)
                                .order_by(AcceptanceMarkRow.id)))


def evaluation_of(session: Session, row: AcceptanceRow) -> Evaluation:
    marks = [Mark(m.ref_no, m.item, m.passed, m.remark) for m in marks_of(session, row.id)]
    return evaluate(row.checks_passed, list(row.sample), marks)


def open_acceptance(session: Session, package: str) -> AcceptanceRow | None:
    return session.scalar(select(AcceptanceRow).where(AcceptanceRow.package == package,
                                                      AcceptanceRow.status.in_((CHECKING, INSPECTING)))
                          .order_by(AcceptanceRow.id.desc()).limit(1))


def start(session: Session, cfg: Settings, name: str, actor: str, *, share: float = MIN_SHARE,
          seed: str | None = None, vendor: str = "") -> AcceptanceRow:
    """Open the acceptance of the incoming package ``name``: the sample is drawn now (seed
    recorded), the 四性检测 is ``run_checks``'s. One open acceptance per package."""
    folder = package_folder(cfg, name)
    if not MIN_SHARE <= share <= 1:
        raise InputRefused(f"抽检比例应在 {MIN_SHARE:.0%} 到 100% 之间")
    if (existing := open_acceptance(session, name)) is not None:
        raise Conflict(f"该移交包的验收尚未完成（第 {existing.id} 号验收），请先作出结论")
    ref_nos = L.read_ref_nos(folder)
    sample = draw(ref_nos, seed or new_seed(), share)
    readme = _read_readme(folder)
    row = AcceptanceRow(package=name, manifest_sha256=manifest_sha256(folder), vendor=(vendor.strip() or _readme_field(readme, "生成人"))[:200],
                        status=CHECKING, volumes=sample.population, images=0, seed=sample.seed, share=share,
                        population=sample.population, sample=list(sample.ref_nos), started_by=actor,
                        started_at=clock.utcnow(), problems="", error="")
    session.add(row)
    session.flush()
    audit.record(session, actor, "acceptance_start", name, "开始验收移交包", acceptance=row.id,
                 vendor=row.vendor, manifest_sha256=row.manifest_sha256, **sample.as_dict())
    return row


def run_checks(cfg: Settings, acceptance_id: int, actor: str) -> None:
    """The 四性检测 of the acceptance's package, stored with it (its own transactions: it may take
    minutes on a real package, and runs in the background of the web page)."""
    from handover.db import session_scope

    from .four_checks import check_package

    with session_scope(cfg) as session:
        row = session.get(AcceptanceRow, acceptance_id)
        name, started_with = row.package, row.manifest_sha256
    try:
        folder = package_folder(cfg, name)
        if manifest_sha256(folder) != started_with:  # the sample was drawn from another package
            raise InputRefused("验收开始后移交包的清单文件被改动，本次验收作废，请重新开始验收")
        report = check_package(folder)
    except Exception as exc:  # noqa: BLE001 - recorded on the acceptance, shown on its page
        with session_scope(cfg) as session:
            row = session.get(AcceptanceRow, acceptance_id)
            row.status, row.error = ERROR, f"{type(exc).__name__}: {exc}"[:2000]
            audit.record(session, actor, "acceptance_checks", name, "验收四性检测出错", acceptance=acceptance_id,
                         error=row.error)
        raise
    with session_scope(cfg) as session:
        row = session.get(AcceptanceRow, acceptance_id)
        row.checks, row.checks_passed, row.status = report.as_dict(), report.ok, INSPECTING
        row.images = int(report.totals.get("images", 0))
        row.volumes = int(report.totals.get("volumes", row.volumes))
        audit.record(session, actor, "acceptance_checks", name, "验收四性检测", acceptance=acceptance_id,
                     passed=report.ok, failed=[r.id for r in report.failed()])


def restart_checks(session: Session, row: AcceptanceRow, actor: str) -> None:
    """Before ``run_checks`` again: for a check that ended in an error, or never ended (the server
    stopped while it ran — nothing else can finish it). The sample stays as drawn."""
    if row.status not in (CHECKING, ERROR):
        raise Conflict("只有检测中断或出错的验收可以重新检测")
    row.status, row.error = CHECKING, ""
    audit.record(session, actor, "acceptance_recheck", row.package, "重新进行四性检测", acceptance=row.id)


def _editable(row: AcceptanceRow) -> None:
    if row.status == CONCLUDED:
        raise Conflict("该验收已作出结论，不能再修改")
    if row.status != INSPECTING:
        raise Conflict("四性检测尚未完成，请稍候")


def mark(session: Session, row: AcceptanceRow, ref_no: str, item: str, passed: bool, remark: str,
         actor: str) -> AcceptanceMarkRow:
    """Record one item of one sampled volume (a later mark replaces the earlier one; both audited)."""
    _editable(row)
    if ref_no not in row.sample:
        raise InputRefused(f"{ref_no} 不在本次抽检的案卷中")
    if item not in ITEM_BY_KEY:
        raise InputRefused(f"没有该检查项：{item}")
    remark = (remark or "").strip()[:1000]
    if not passed and not remark:
        raise InputRefused(f"{ref_no}：{ITEM_BY_KEY[item].title}不合格时须写明问题")
    existing = session.scalar(select(AcceptanceMarkRow).where(
        AcceptanceMarkRow.acceptance_id == row.id, AcceptanceMarkRow.ref_no == ref_no,
        AcceptanceMarkRow.item == item))
    if existing is None:
        existing = AcceptanceMarkRow(acceptance_id=row.id, ref_no=ref_no, item=item)
        session.add(existing)
    existing.passed, existing.remark, existing.marked_by, existing.marked_at = passed, remark, actor, clock.utcnow()
    audit.record(session, actor, "acceptance_mark", ref_no, remark, acceptance=row.id, item=item,
                 passed=passed)
    return existing


def conclude(session: Session, row: AcceptanceRow, actor: str, problems: str = "") -> str:
    """Fix the conclusion (合格/不合格) once it is decided: every automatic check done, and the
    sample marked in full or already failing an item."""
    if row.status == CONCLUDED:
        raise Conflict("该验收已作出结论")
    if row.status != INSPECTING:
        raise Conflict("四性检测尚未完成，不能作出结论")
    result = evaluation_of(session, row)
    if result.conclusion is None:
        raise Conflict("抽检尚未完成：每个抽检案卷的每个检查项都须登记合格或不合格")
    row.conclusion, row.status = result.conclusion, CONCLUDED
    row.problems = (problems or "").strip()[:4000]
    row.concluded_by, row.concluded_at = actor, clock.utcnow()
    audit.record(session, actor, "acceptance_conclude", row.package, result.conclusion, acceptance=row.id,
                 rates={r.item.key: r.rate for r in result.rates}, checks_passed=row.checks_passed)
    return result.conclusion


def get(session: Session, acceptance_id: int) -> AcceptanceRow:
    row = session.get(AcceptanceRow, acceptance_id)
    if row is None:
        raise NotFound("未找到该验收")
    return row


# ---------------------------------------------------------------- the gate of ``handover receive``


NONE, REJECTED, OPEN, CHANGED = "none", "rejected", "open", "changed"


class NotAccepted(Conflict):
    """``handover receive`` refused: no concluded 合格 acceptance of exactly this package. ``state``
    says why (NONE, REJECTED, OPEN, CHANGED); ``report``: the receive's failed 四性检测 when the
    files no longer match the accepted manifest."""

    exit_code = EXIT_NOT_ACCEPTED

    def __init__(self, message: str, state: str, acceptance_id: int | None = None, report=None) -> None:
        super().__init__(message)
        self.state, self.acceptance_id, self.report = state, acceptance_id, report


def manifest_sha256(package: Path) -> str | None:
    """The package's identity: the SHA-256 of its manifest file (a regular file, not a link)."""
    path = package / L.MANIFEST
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
    except OSError:
        return None
    return sha256_file(path)[0]


def accepted_for_import(session: Session, package: Path) -> AcceptanceRow:
    """The acceptance that lets ``package`` be imported: the newest one of its manifest, concluded
    合格. Otherwise ``NotAccepted`` naming the state. No paper-only way round it: an office that
    inspects on paper enters its marks on the acceptance page, so the record and the 验收意见 exist."""
    name, digest = package.name, manifest_sha256(package)
    refused = "，未导入任何案卷"
    row = None
    if digest is not None:
        row = session.scalar(select(AcceptanceRow).where(AcceptanceRow.manifest_sha256 == digest)
                             .order_by(AcceptanceRow.id.desc()).limit(1))
    if row is None:
        earlier = session.scalar(select(AcceptanceRow).where(AcceptanceRow.package == name,
                                                             AcceptanceRow.manifest_sha256.is_not(None))
                                 .order_by(AcceptanceRow.id.desc()).limit(1))
        if earlier is not None:
            raise NotAccepted(f"移交包“{name}”在第 {earlier.id} 号验收之后被改动（清单文件与验收时不同），"
                              f"须重新验收{refused}", CHANGED, earlier.id)
        raise NotAccepted(f"移交包“{name}”未经验收：须先在“数字化成果验收”中验收，结论为合格后才能导入{refused}", NONE)
    if row.status != CONCLUDED:
        raise NotAccepted(f"移交包“{name}”的第 {row.id} 号验收尚未作出结论（{STATUS_LABELS.get(row.status, row.status)}），"
                          f"验收合格后才能导入{refused}", OPEN, row.id)
    if row.conclusion != PASS:
        raise NotAccepted(f"移交包“{name}”第 {row.id} 号验收的结论为不合格，不能导入；整改后须重新验收{refused}",
                          REJECTED, row.id)
    return row


def sample_of(row: AcceptanceRow) -> Sample:
    return Sample(row.seed, row.share, row.population, tuple(row.sample))


# ---------------------------------------------------------------- a sampled volume in the package


@dataclass(frozen=True)
class SampledVolume:
    ref_no: str
    folder: str
    title: str
    images: list[int]  # the 图像流水号 of its page images present in the package
    rows: list[dict[str, str]]  # its 卷内目录 rows (顺序号, 材料名称, 页数, 起止图像号 …)


def _safe_dir(root: Path, name: str) -> Path | None:
    path = root / name
    try:
        return path if stat.S_ISDIR(path.lstat().st_mode) else None
    except OSError:
        return None


def sampled_volume(cfg: Settings, row: AcceptanceRow, ref_no: str) -> SampledVolume:
    """What the inspector looks at: the volume's page images and its catalogue rows, read from
    its folder in the package (by lstat; links are not followed)."""
    if ref_no not in row.sample:
        raise NotFound("该案卷不在本次抽检范围内")
    root = package_folder(cfg, row.package)
    folder = ref_no_to_filename(ref_no)
    images = sorted(_images(root, folder))
    title, rows = "", []
    meta = root / folder / L.volume_metadata(folder)
    if _safe_dir(root, folder) is not None and meta.is_file() and not meta.is_symlink():
        try:
            doc = etree.parse(str(meta), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
            title = (doc.getroot().findtext("案卷题名") or "").strip()
        except etree.XMLSyntaxError:
            pass
    contents = root / L.CONTENTS_XML
    if contents.is_file() and not contents.is_symlink():
        try:
            for _, el in etree.iterparse(str(contents), tag="条目", resolve_entities=False, no_network=True,
                                         load_dtd=False):
                if (el.findtext("档号") or "").strip() == ref_no:
                    rows.append({child.tag: (child.text or "").strip() for child in el
                                 if isinstance(child.tag, str)})
                el.clear()
        except etree.XMLSyntaxError:
            pass
    return SampledVolume(ref_no, folder, title, images, rows)


def _images(root: Path, folder: str) -> dict[int, Path]:
    """The page images of a volume's folder by 图像流水号: regular files named by the layout
    (``档号-0001.jpg``), found by listing the folder (links are not files here)."""
    d = _safe_dir(root, folder)
    if d is None:
        return {}
    out = {}
    for entry in os.scandir(d):
        serial = L.image_serial(folder, entry.name)
        if serial is not None and entry.is_file(follow_symlinks=False):
            out[serial] = Path(entry.path)
    return out


def image_path(cfg: Settings, row: AcceptanceRow, ref_no: str, serial: int) -> Path:
    """The page image ``serial`` of a sampled volume (the catalogue is not read: one listing)."""
    if ref_no not in row.sample:
        raise NotFound("该案卷不在本次抽检范围内")
    path = _images(package_folder(cfg, row.package), ref_no_to_filename(ref_no)).get(serial)
    if path is None:
        raise NotFound("该案卷没有这一页图像")
    return path


# ---------------------------------------------------------------- the 验收意见


def _check_lines(checks: dict | None) -> list:
    from docgen.acceptance_opinion import CheckLine

    return [CheckLine(c["group_zh"], c["title"], c["passed"], c["checked"],
                      [(f["file"], f["message"]) for f in c["failures"]]) for c in (checks or {}).get("checks", [])]


def _item_lines(item_rates: list[ItemRate]) -> list:
    from docgen.acceptance_opinion import ItemLine

    return [ItemLine(r.item.title, r.item.threshold, r.inspected, r.passed, r.sample, r.met) for r in item_rates]


def _parsed(checks: dict) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(checks["checked_at"])
    except (KeyError, TypeError, ValueError):
        return None


def opinion_of(session: Session, cfg: Settings, row: AcceptanceRow, inspector: str = ""):
    """The 验收意见 of an acceptance on record: as concluded, or as it stands (conclusion open)."""
    from docgen.acceptance_opinion import AcceptanceOpinion
    from docgen.figures import cn_date

    result = evaluation_of(session, row)
    failed = [(m.ref_no, ITEM_BY_KEY[m.item].title, m.remark) for m in marks_of(session, row.id)
              if not m.passed and m.item in ITEM_BY_KEY]
    order = {r: n for n, r in enumerate(row.sample)}
    titles = [i.title for i in ITEMS]
    failed.sort(key=lambda f: (order.get(f[0], 0), titles.index(f[1])))
    readme = ""
    try:
        readme = _read_readme(package_folder(cfg, row.package))
    except NotFound:
        pass
    concluded = row.status == CONCLUDED
    return AcceptanceOpinion(
        package=row.package, vendor=row.vendor, scope=_readme_field(readme, "移交范围"), volumes=row.volumes,
        images=row.images, checked_at=clock.shown(_parsed(row.checks)) if row.checks else "",
        checks=_check_lines(row.checks), share=row.share, seed=row.seed, population=row.population,
        sampled=list(row.sample), items=_item_lines(result.rates), failed_marks=failed,
        conclusion=row.conclusion if concluded else result.conclusion if result.checks_passed is False else None,
        problems=[line for line in row.problems.splitlines() if line.strip()],
        note="" if concluded else "（尚未作出验收结论：以下为当前检查情况）",
        inspector=inspector if concluded else "",
        date=cn_date(clock.local(row.concluded_at).date()) if concluded and row.concluded_at else "")


def draft_opinion(report, sample, package: Path):
    """The draft 验收意见 of ``handover receive --dry-run --opinion``: the 四性检测 and the sample
    filled in, the manual inspection blank (不合格 already when an automatic check failed)."""
    from docgen.acceptance_opinion import AcceptanceOpinion

    readme = _read_readme(package)
    checks = report.as_dict()
    return AcceptanceOpinion(
        package=package.name, vendor=_readme_field(readme, "生成人"), scope=_readme_field(readme, "移交范围"),
        volumes=int(report.totals.get("volumes", sample.population)), images=int(report.totals.get("images", 0)),
        checked_at=clock.shown(_parsed(checks)), checks=_check_lines(checks), share=sample.share,
        seed=sample.seed, population=sample.population, sampled=list(sample.ref_nos),
        items=_item_lines(rates(list(sample.ref_nos), [])), draft=True,
        conclusion=None if report.ok else FAIL)
