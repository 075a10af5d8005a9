"""Realistic scanned personnel files with ground truth, for tests, the demo and the benchmark.

Each dossier is a folder of 300-dpi JPEG pages named by the retiree's ID number, plus
``<id>.json`` next to it holding the truth: text of every page, the rotation and skew applied,
blank and duplicate flags, and the materials with class, title, date and page range. Same seed,
same bytes. ``DossierFaults`` injects the defects the completeness check must catch.

Handwriting (``SampleOptions.hand``): real files are printed forms filled in by hand. ``"kai"``
(the default, for now) writes the values in the print-like Kai face as the generator always did;
a face name of ``ocr.handfonts.FACES`` writes every dossier in that hand, ``"mixed"`` gives each
dossier its own face, chosen from the seed and the ID number. With a handwriting face the
generator also varies the ink per material (blue-black, black, ballpoint, faded), jitters every
character, lets values run over the cell lines, strikes values through and corrects them, stamps
seals over values, prints some titles faint or small, and pencils the archive's page number in
the top-right corner of every counted page (a few left out, ``page_number_missing``; rescans show
the number of the sheet they repeat). Faces that lack a character are substituted per character
(``ocr.fonts.glyph_kind``); a face that is not installed is an error naming ``make handfonts``.

Truth per page, beyond the text: ``written_page_no`` (the pencilled number, or null),
``hand`` (the face of its values), ``fields`` (姓名/性别/出生年月/身份证号码 values with their box on
the clean upright page). ``text`` is what a perfect OCR reads on the document itself: struck-through
values are left out, corrections included, and the pencilled page number is not part of it (it
is the archive's mark, reported in ``written_page_no``). ``struck`` lists the values crossed out
on the page (each an alteration the check should put before a person).
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

from handover.idnumber import check_character
from handover.models import Retiree
from handover.sample import GIVEN_FEMALE, GIVEN_MALE, SURNAMES, make_batch

from . import handfonts
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
    # The first page of this material is illegible but keeps its slot and its page number.
    unreadable_first_of: str | None = None
    unnumbered_pages: tuple[int, ...] = ()  # content page numbers that carry no pencilled number
    # Title of a form of another person whose name differs from the retiree's by one character
    # (and whose birth date and ID number differ), slipped in between two materials.
    near_name_foreign: str | None = None


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
    hand: str = "kai"  # "kai", "mixed" or a face of ocr.handfonts.FACES (see the module docstring)
    page_numbers: bool | None = None  # pencilled page numbers; None: with handwriting or unnumbered_pages
    page_number_missing: float = 0.05  # share of counted pages the archivist left unnumbered


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


PENCIL_FACE = "long-cang"  # the archivist's hand that numbers the pages (handwriting modes)


def faces_for(hand: str) -> tuple[str, ...]:
    """Faces a ``hand`` option draws from; refuses an unknown option, in Chinese."""
    if hand == "kai":
        return ("kai",)
    if hand == "mixed":
        return tuple(handfonts.FACES)
    if hand in handfonts.FACES:
        return (hand,)
    raise ValueError(f"未知的手写选项“{hand}”：可用 kai、mixed 或 {'、'.join(handfonts.FACES)}")


def dossier_face(hand: str, seed: int, id_number: str) -> str:
    faces = faces_for(hand)
    return faces[0] if len(faces) == 1 else random.Random(f"hand:{seed}:{id_number}").choice(faces)


class _Pens:
    """The pens of one dossier: the face is the dossier's, the ink changes from material to material."""

    def __init__(self, face: str, rng: random.Random):
        self.face, self.rng = face, rng

    def __call__(self, face: str | None = None) -> forms.Pen:
        face = face or self.face
        if face == "kai":
            return forms.Pen()
        ink_name = self.rng.choices(list(forms.INKS), weights=[4, 3, 3, 1])[0]
        ink = tuple(max(0, min(255, c + self.rng.randint(-8, 8))) for c in forms.INKS[ink_name])
        return forms.Pen(face=face, ink=ink, rng=self.rng, effects=True)


def _drafts(r: Retiree, unit: str, rng: random.Random, opts: SampleOptions, pens: _Pens) -> list[forms.MaterialDraft]:
    career = forms.Career.of(r, rng)
    out = []
    for title in opts.materials:
        if title == "入党志愿书" and not r.party_member:
            continue
        if title == "职工工资变动审批表":
            for when in career.raises[:opts.wage_changes]:
                out.append(forms.wage_change(r, career, unit, rng, when, pen=pens()))
        else:
            out.append(_BUILDERS[title](r, career, unit, rng, pen=pens()))
    return out


def _plan_pages(drafts, rng: random.Random, opts: SampleOptions, faults: DossierFaults):
    """The sequence of sheets sides as (kind, material index, layout) before scanning effects."""
    seq = []
    for m, d in enumerate(drafts):
        if d.title in faults.drop_materials:
            continue
        for k, layout in enumerate(d.pages):
            first_gone = k == 0 and d.title == faults.unreadable_first_of
            seq.append(("unreadable_first" if first_gone else "content", m, layout))
        # Single-sided forms leave a blank back when the file was scanned duplex.
        if opts.blank_backs and len(d.pages) == 1 and rng.random() < 0.35:
            seq.append(("blank", m, None))
    if faults.unreadable_first_of and not any(s[0] == "unreadable_first" for s in seq):
        raise ValueError(f"档案中没有材料“{faults.unreadable_first_of}”，无法使其首页无法辨认")
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


def near_name(name: str, rng: random.Random) -> str:
    """A name that differs from ``name`` in exactly one character (刘建国 → 罗建国, 刘建华)."""
    k = 0 if rng.random() < 0.6 or len(name) < 2 else rng.randrange(1, len(name))
    pool = sorted(set(SURNAMES if k == 0 else GIVEN_MALE + GIVEN_FEMALE) - {name[k]})
    return name[:k] + rng.choice(pool) + name[k + 1:]


def _near_person(r: Retiree, other: Retiree, rng: random.Random) -> Retiree:
    """Another retiree of the same sex, one character off the name, born on another day."""
    born = r.birth_date
    while born == r.birth_date:
        born = dt.date(r.birth_date.year + rng.choice([-2, -1, 1, 2]), rng.randint(1, 12), rng.randint(1, 28))
    seq = rng.randrange(0, 1000)
    if (seq % 2 == 1) != (r.sex.value == "男"):  # the 17th digit is odd for men
        seq = (seq + 1) % 1000
    first17 = f"{other.id_number[:6]}{born:%Y%m%d}{seq:03d}"
    return other.model_copy(update={"name": near_name(r.name, rng), "sex": r.sex, "birth_date": born,
                                    "id_number": first17 + check_character(first17)})


def _foreign_draft(title: str, person: Retiree, unit: str, rng: random.Random, pen: forms.Pen):
    career = forms.Career.of(person, rng)
    if title == "职工工资变动审批表":
        return forms.wage_change(person, career, unit, rng, career.raises[0], pen=pen)
    return _BUILDERS.get(title, forms.retirement)(person, career, unit, rng, pen=pen)


def _fields(layout) -> list[dict]:
    return [{"label": label, "value": op.text, "box": list(op.box)} for label, op in layout.fields]


def _dossier(r: Retiree, other: Retiree, unit: str, seed: int, opts: SampleOptions,
             faults: DossierFaults, folder: Path) -> dict:
    rng = random.Random(f"scans:{seed}:{r.id_number}")
    # Handwriting draws from its own generator, so the Kai files keep their layouts and bytes.
    prng = random.Random(f"pen:{seed}:{r.id_number}")
    face = dossier_face(opts.hand, seed, r.id_number)
    pens = _Pens(face, prng)
    drafts = _drafts(r, unit, rng, opts, pens)
    plan = _plan_pages(drafts, rng, opts, faults)
    foreign_m: set[int] = set()
    if faults.near_name_foreign:  # slipped in between two materials, numbered with the rest
        near = _near_person(r, other, prng)
        nface = face if opts.hand != "mixed" else prng.choice(faces_for("mixed"))
        ndraft = _foreign_draft(faults.near_name_foreign, near, unit, rng, pens(nface))
        drafts.append(ndraft)
        foreign_m.add(len(drafts) - 1)
        starts = [k for k in range(1, len(plan)) if plan[k][0] in ("content", "unreadable_first")
                  and plan[k][1] != plan[k - 1][1]]
        at = prng.choice(starts) if starts else len(plan)
        plan[at:at] = [("foreign", len(drafts) - 1, lay) for lay in ndraft.pages[:1]]
    if faults.foreign_form:
        fface = face if opts.hand != "mixed" else prng.choice(faces_for("mixed"))
        fdraft = _BUILDERS.get(faults.foreign_form, forms.retirement)(
            other, forms.Career.of(other, rng), unit, rng, pen=pens(fface))
        drafts.append(fdraft)
        foreign_m.add(len(drafts) - 1)
        plan.append(("foreign", len(drafts) - 1, fdraft.pages[0]))
    numbering = opts.page_numbers if opts.page_numbers is not None else (face != "kai" or bool(faults.unnumbered_pages))
    pencil_kind = f"hand:{PENCIL_FACE}" if face != "kai" else "kai"
    pages, images = [], []
    last_front: Image.Image | None = None
    content_no = 0
    written: dict[int, int | None] = {}  # id(layout) -> the number pencilled on that sheet
    for index, (kind, m, layout) in enumerate(plan, 1):
        rotation, skew = 0, 0.0
        if kind == "blank":
            img = render.blank_back(last_front, rng)
            text = ""
        elif kind in ("unreadable", "unreadable_first"):
            img = render.unreadable(render.draw(layout), rng)
            text = ""
        else:
            clean = render.draw(layout)
            last_front = clean
            text = render.truth_text(layout)
            img = clean
        duplicate_of = None
        if kind == "repeat":  # the same sheet fed twice: points at its first scan
            duplicate_of = next(p["index"] for p in pages if p["_layout"] is layout and p["_kind"] == "content")
        page_no = None
        if kind in ("content", "foreign", "unreadable", "unreadable_first"):  # an illegible sheet is still a sheet
            content_no += 1
            page_no = content_no
        written_no = None
        if numbering and page_no is not None:
            missing = page_no in faults.unnumbered_pages or prng.random() < opts.page_number_missing
            written_no = None if missing else page_no
            if layout is not None and kind != "unreadable":
                written[id(layout)] = written_no
        elif kind == "repeat":
            written_no = written.get(id(layout))
        if written_no is not None:
            img = render.pencil_number(img, written_no, random.Random(f"pencil:{seed}:{r.id_number}:{written_no}"),
                                       pencil_kind)
        if kind in ("blank", "unreadable", "unreadable_first"):
            img = render.degrade(img, rng, 0.0, 0, speckle=opts.speckle // 3, blur=0)
        else:
            skew = round(rng.uniform(-opts.max_skew, opts.max_skew), 2) if opts.max_skew else 0.0
            if opts.rotations and rng.random() < 0.18:
                rotation = rng.choice([90, 180, 270])
            img = render.degrade(img, rng, skew, rotation, opts.speckle, opts.blur)
        readable = kind in ("content", "foreign", "repeat")
        source = f"{index:04d}.jpg#1" if opts.fmt == "jpg" else f"dossier.{'pdf' if opts.fmt == 'pdf' else 'tif'}#{index}"
        pages.append({"index": index, "source": source, "text": text, "rotation": rotation,
                      "skew_degrees": skew, "blank": kind == "blank", "duplicate_of": duplicate_of,
                      "unreadable": kind in ("unreadable", "unreadable_first"), "foreign": kind == "foreign",
                      "material": m, "page_no": page_no, "written_page_no": written_no,
                      "heading": layout.heading if layout and kind in ("content", "foreign") else "",
                      "quality": layout.quality if layout and kind not in ("unreadable", "unreadable_first") else "none",
                      "hand": (layout.pen.face if layout is not None and kind != "blank" else None),
                      "fields": _fields(layout) if readable else [],
                      "struck": [op.text for op in layout.ops if getattr(op, "strike", False)] if readable else [],
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
        first = min((p for p in pages if p["material"] == m), key=lambda p: p["index"])
        materials.append({"title": d.title, "class_code": d.class_code, "formed_on": d.formed_on.isoformat(),
                          "first_index": min(idx), "last_index": max(idx), "pages": len(own),
                          "start_page": own[0]["page_no"], "end_page": own[-1]["page_no"],
                          "foreign": m in foreign_m, "first_page_unreadable": first["unreadable"]})
    materials.sort(key=lambda x: x["first_index"])
    _write_images(folder, images, opts.fmt)
    near_page = next((p for p in pages if p["foreign"] and faults.near_name_foreign
                      and p["material"] == min(foreign_m)), None)
    return {"id_number": r.id_number, "name": r.name, "sex": r.sex.value, "party_member": r.party_member,
            "seed": seed, "format": opts.fmt, "dpi": 300, "hand": face, "pages": pages, "materials": materials,
            "faults": {"drop_materials": list(faults.drop_materials), "drop_pages": list(faults.drop_pages),
                       "repeat_pages": list(faults.repeat_pages), "foreign_form": faults.foreign_form,
                       "unreadable_page": faults.unreadable_page,
                       "unreadable_first_of": faults.unreadable_first_of,
                       "unnumbered_pages": list(faults.unnumbered_pages),
                       "near_name_foreign": faults.near_name_foreign,
                       "near_name": (next(f["value"] for f in near_page["fields"] if f["label"] == "姓名")
                                     if near_page else None)}}


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
    needed = faces_for(opts.hand) + ((PENCIL_FACE,) if opts.hand != "kai" else ())
    for face in needed:  # a missing face stops here, before anything is written
        if face != "kai":
            handfonts.path(face)
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
