"""Realistic scanned personnel files with ground truth, for tests, the demo and the benchmark.

Each dossier is a folder of 300-dpi JPEG pages named by the retiree's ID number, plus
``<id>.json`` next to it holding the truth: text of every page, the rotation and skew applied,
blank and duplicate flags, and the materials with class, title, date and page range. Same seed,
same bytes. ``DossierFaults`` injects the defects the completeness check must catch.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from handover.models import Retiree
from handover.sample import make_batch

from . import scan_forms as forms
from . import scan_render as render

ALL_MATERIALS = ("职工登记表", "自传", "入党志愿书", "职工转正定级审批表", "职工工资变动审批表",
                 "基本养老金核定表", "招工审批表", "企业职工退休审批表")


@dataclass(frozen=True)
class DossierFaults:
    """Defects to inject into one dossier (positions are 1-based image indices of the clean run)."""

    drop_materials: tuple[str, ...] = ()  # titles, e.g. ("入党志愿书",)
    drop_pages: tuple[int, ...] = ()
    repeat_pages: tuple[int, ...] = ()  # scanned twice in a row
    foreign_form: str | None = None  # title of another person's form slipped in at the end
    unreadable_page: int | None = None  # position at which an illegible page is inserted


@dataclass
class SampleOptions:
    materials: Sequence[str] = ALL_MATERIALS
    wage_changes: int = 2
    blank_backs: bool = True
    rotations: bool = True
    duplicates: bool = True
    max_skew: float = 2.5
    speckle: int = 600
    blur: float = 0.6
    fmt: str = "jpg"  # "jpg" (folder of pages), "pdf" or "tiff" (one multi-page file)


@dataclass
class GeneratedDossier:
    path: Path
    truth_path: Path
    truth: dict = field(repr=False)


_BUILDERS = {
    "职工登记表": forms.employee_register, "自传": forms.autobiography, "入党志愿书": forms.party_application,
    "职工转正定级审批表": forms.confirmation, "基本养老金核定表": forms.pension,
    "招工审批表": forms.recruitment, "企业职工退休审批表": forms.retirement,
}


def _drafts(r: Retiree, unit: str, rng: random.Random, opts: SampleOptions) -> list[forms.MaterialDraft]:
    career = forms.Career.of(r, rng)
    out = []
    for title in opts.materials:
        if title == "入党志愿书" and not r.party_member:
            continue
        if title == "职工工资变动审批表":
            for when in career.raises[:opts.wage_changes]:
                out.append(forms.wage_change(r, career, unit, rng, when))
        else:
            out.append(_BUILDERS[title](r, career, unit, rng))
    return out


def _plan_pages(drafts, rng: random.Random, opts: SampleOptions, faults: DossierFaults):
    """The sequence of sheets sides as (kind, material index, layout) before scanning effects."""
    seq = []
    for m, d in enumerate(drafts):
        if d.title in faults.drop_materials:
            continue
        for layout in d.pages:
            seq.append(("content", m, layout))
        # Single-sided forms leave a blank back when the file was scanned duplex.
        if opts.blank_backs and len(d.pages) == 1 and rng.random() < 0.35:
            seq.append(("blank", m, None))
    keep = [s for i, s in enumerate(seq, 1) if i not in faults.drop_pages]
    out = []
    for i, s in enumerate(keep, 1):
        out.append(s)
        if i in faults.repeat_pages and s[0] == "content":
            out.append(("repeat", s[1], s[2]))
    if opts.duplicates and not faults.repeat_pages:
        contents = [i for i, s in enumerate(out) if s[0] == "content"]
        if len(contents) > 3:
            i = rng.choice(contents[2:])
            out.insert(i + 1, ("repeat", out[i][1], out[i][2]))
    if faults.unreadable_page:
        out.insert(min(len(out), faults.unreadable_page - 1), ("unreadable", None, out[0][2]))
    return out


def _dossier(r: Retiree, other: Retiree, unit: str, seed: int, opts: SampleOptions,
             faults: DossierFaults, folder: Path) -> dict:
    rng = random.Random(f"scans:{seed}:{r.id_number}")
    drafts = _drafts(r, unit, rng, opts)
    plan = _plan_pages(drafts, rng, opts, faults)
    foreign = bool(faults.foreign_form)
    if foreign:
        fdraft = _BUILDERS.get(faults.foreign_form, forms.retirement)(other, forms.Career.of(other, rng), unit, rng)
        drafts.append(fdraft)
        plan.append(("foreign", len(drafts) - 1, fdraft.pages[0]))
    pages, images = [], []
    last_front: Image.Image | None = None
    content_no = 0
    for index, (kind, m, layout) in enumerate(plan, 1):
        rotation, skew = 0, 0.0
        if kind == "blank":
            img = render.blank_back(last_front, rng)
            text = ""
        elif kind == "unreadable":
            img = render.unreadable(render.draw(layout), rng)
            text = ""
        else:
            clean = render.draw(layout)
            last_front = clean
            text = render.truth_text(layout)
            skew = round(rng.uniform(-opts.max_skew, opts.max_skew), 2) if opts.max_skew else 0.0
            if opts.rotations and rng.random() < 0.18:
                rotation = rng.choice([90, 180, 270])
            img = render.degrade(clean, rng, skew, rotation, opts.speckle, opts.blur)
        if kind in ("blank", "unreadable"):
            img = render.degrade(img, rng, 0.0, 0, speckle=opts.speckle // 3, blur=0)
        duplicate_of = None
        if kind == "repeat":  # the same sheet fed twice: points at its first scan
            duplicate_of = next(p["index"] for p in pages if p["_layout"] is layout and p["_kind"] == "content")
        page_no = None
        if kind in ("content", "foreign", "unreadable"):  # an illegible sheet is still a sheet
            content_no += 1
            page_no = content_no
        source = f"{index:04d}.jpg#1" if opts.fmt == "jpg" else f"dossier.{'pdf' if opts.fmt == 'pdf' else 'tif'}#{index}"
        pages.append({"index": index, "source": source, "text": text, "rotation": rotation,
                      "skew_degrees": skew, "blank": kind == "blank", "duplicate_of": duplicate_of,
                      "unreadable": kind == "unreadable", "foreign": kind == "foreign",
                      "material": m, "page_no": page_no, "heading": layout.heading if layout and kind in ("content", "foreign") else "",
                      "quality": layout.quality if layout and kind != "unreadable" else "none",
                      "_layout": layout, "_kind": kind})
        images.append(img)
    for p in pages:
        del p["_layout"], p["_kind"]
    materials = []
    for m, d in enumerate(drafts):
        own = [p for p in pages if p["material"] == m and p["page_no"]]
        if not own:
            continue
        idx = [p["index"] for p in pages if p["material"] == m]
        materials.append({"title": d.title, "class_code": d.class_code, "formed_on": d.formed_on.isoformat(),
                          "first_index": min(idx), "last_index": max(idx), "pages": len(own),
                          "start_page": own[0]["page_no"], "end_page": own[-1]["page_no"],
                          "foreign": foreign and m == len(drafts) - 1})
    materials.sort(key=lambda x: x["first_index"])
    _write_images(folder, images, opts.fmt)
    return {"id_number": r.id_number, "name": r.name, "sex": r.sex.value, "party_member": r.party_member,
            "seed": seed, "format": opts.fmt, "dpi": 300, "pages": pages, "materials": materials,
            "faults": {"drop_materials": list(faults.drop_materials), "drop_pages": list(faults.drop_pages),
                       "repeat_pages": list(faults.repeat_pages), "foreign_form": faults.foreign_form,
                       "unreadable_page": faults.unreadable_page}}


def _write_images(folder: Path, images: list[Image.Image], fmt: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "jpg":
        for i, img in enumerate(images, 1):
            (folder / f"{i:04d}.jpg").write_bytes(render.jpeg(img))
        return
    # Multi-page containers: re-open the JPEG so the pixels equal the folder variant's.
    frames = [Image.open(io.BytesIO(render.jpeg(img))) for img in images]
    if fmt == "pdf":
        frames[0].save(folder / "dossier.pdf", "PDF", resolution=300, save_all=True, append_images=frames[1:])
    elif fmt == "tiff":
        frames[0].save(folder / "dossier.tif", "TIFF", compression="jpeg", dpi=(300, 300), save_all=True,
                       append_images=frames[1:])
    else:
        raise ValueError(f"unknown format {fmt}")


def generate(out_dir: Path, dossiers: int = 3, seed: int = 1, region: str = "henan-zhengzhou",
             options: SampleOptions | None = None,
             faults: dict[int, DossierFaults] | None = None, people: Sequence[Retiree] | None = None,
             employer: str = "") -> list[GeneratedDossier]:
    """Write ``dossiers`` scanned files under ``out_dir``; ``faults`` maps dossier index → defects.

    ``people`` (and their ``employer``): draw the files of these retirees — e.g. rows of an
    imported roster — instead of invented ones.
    """
    out_dir = Path(out_dir)
    opts = options or SampleOptions()
    batch = make_batch(region, max(dossiers, 2), seed=seed)
    if people is not None and len(people) < dossiers:
        raise ValueError(f"需要至少 {dossiers} 名退休人员，只给了 {len(people)} 名")
    employer = employer or batch.enterprise.name
    invented = people is None
    people = list(batch.retirees if invented else people)
    # At least one party member, so the 入党志愿书 is exercised even in a one-dossier run.
    if invented and dossiers and not any(p.party_member for p in people[:dossiers]):
        people[0] = people[0].model_copy(update={"political_status": "中共党员",
                                                 "party_joined_on": dt.date(people[0].birth_date.year + 26, 7, 1)})
    out = []
    for i in range(dossiers):
        r = people[i]
        other = people[(i + 1) % len(people)]
        folder = out_dir / r.id_number
        truth = _dossier(r, other, employer, seed, opts, (faults or {}).get(i, DossierFaults()),
                         folder)
        truth_path = out_dir / f"{r.id_number}.json"
        truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
        source = folder if opts.fmt == "jpg" else next(folder.iterdir())
        out.append(GeneratedDossier(source, truth_path, truth))
    return out
