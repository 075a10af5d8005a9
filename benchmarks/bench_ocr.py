"""OCR throughput and accuracy: pages per minute and character error rate per engine, side by
side with OCRmyPDF on the same pages in the same run.

    .venv/bin/python benchmarks/bench_ocr.py [--dossiers 2] [--jobs 2] [--no-ocrmypdf]

The pages are generated scanned personnel files (``ocr.sample_scans``) with known text. Our
pipeline (load → orientation/deskew/blank → OCR → materials → volume PDF) runs with each engine.
OCRmyPDF (Tesseract, ``-l chi_sim --jobs N``) is installed into this benchmark's own virtualenv
``benchmarks/.venv-ocrmypdf`` (created on first run with pip; not a project dependency) and runs on
a PDF of the very same JPEG pages, once plain and once with ``--rotate-pages --deskew`` (the work
our pipeline does too); its text layer is read back with ``pdftotext``, as a search indexer would.
Our volumes are PDF/A-2b (the default); OCRmyPDF writes plain PDF (``--output-type pdf``), because
its PDF/A route needs Ghostscript, which is not installed here — so that side does slightly less.
"Office" pages are the printed prose pages (自传), the issue's office-quality target (CER ≤ 2 %).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from ocr.pipeline import digitize  # noqa: E402
from ocr.sample_scans import generate  # noqa: E402
from ocr.textnorm import bag_error, cer, comparable  # noqa: E402

VENV = HERE / ".venv-ocrmypdf"


def ensure_ocrmypdf() -> Path | None:
    exe = VENV / "bin" / "ocrmypdf"
    if exe.exists():
        return exe
    print(f"installing OCRmyPDF into {VENV} …", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        (VENV / ".gitignore").write_text("*\n")  # keep the benchmark's own venv out of git
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "ocrmypdf"], check=True)
    except subprocess.CalledProcessError as err:
        print(f"could not install OCRmyPDF: {err}")
        return None
    return exe if exe.exists() else None


def pages_pdf(jpegs: list[Path], out: Path) -> None:
    """The scans as a PDF, each JPEG embedded unchanged at 300 dpi (what a scanner would write)."""
    import pikepdf
    from PIL import Image

    pdf = pikepdf.new()
    for j in jpegs:
        with Image.open(j) as im:
            w, h, mode = im.width, im.height, im.mode
        img = pdf.make_stream(j.read_bytes(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=w,
                              Height=h, BitsPerComponent=8, Filter=pikepdf.Name.DCTDecode,
                              ColorSpace=pikepdf.Name.DeviceRGB if mode == "RGB" else pikepdf.Name.DeviceGray)
        pw, ph = w * 72 / 300, h * 72 / 300
        pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(
            Type=pikepdf.Name.Page, MediaBox=[0, 0, pw, ph],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=img)),
            Contents=pdf.make_stream(f"q {pw} 0 0 {ph} 0 0 cm /Im0 Do Q".encode()))))
    pdf.save(out)


def pdftotext_pages(pdf: Path, n: int) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = out.split("\f")
    return (pages + [""] * n)[:n]


def _rate(rows, fn) -> float | None:
    chars = sum(len(comparable(t["text"])) for t, _ in rows)
    return sum(fn(t["text"], x) * len(comparable(t["text"])) for t, x in rows) / chars if chars else None


def summarize(name: str, seconds: float, n_pages: int, truth: list[dict], layer: list[str],
              own: list[str] | None = None) -> dict:
    """Rates are weighted by characters; "office" = printed prose pages, "forms" = the rest."""
    def rates(texts):
        rows = [(t, x) for t, x in zip(truth, texts) if not t["blank"]]
        office = [(t, x) for t, x in rows if t["quality"] == "office"]
        forms = [(t, x) for t, x in rows if t["quality"] != "office"]
        return {"all": _rate(rows, cer), "office": _rate(office, cer), "forms": _rate(forms, cer),
                "bag": _rate(rows, bag_error)}
    spaced = sum(len(re.findall(r"[\u4e00-\u9fff] +[\u4e00-\u9fff]", x)) for x in layer)
    return {"name": name, "seconds": seconds, "pages": n_pages, "pages_per_min": 60 * n_pages / seconds,
            "own_text": rates(own) if own is not None else None, "text_layer": rates(layer), "cjk_spaces": spaced}


def run_pipeline(dossiers, engine: str, jobs: int, work: Path) -> dict:
    truth, texts, own, seconds, n = [], [], [], 0.0, 0
    for k, d in enumerate(dossiers):
        start = time.perf_counter()
        result = digitize(d.path, d.truth["id_number"], work / f"{engine}-{k}", engine=engine, jobs=jobs)
        seconds += time.perf_counter() - start
        n += len(result.pages)
        truth += d.truth["pages"]
        own += [p.text for p in result.pages]
        # Also read back what a search indexer sees: the volume PDF's text layer.
        texts += pdftotext_pages(work / f"{engine}-{k}" / "volume.pdf", len(result.pages))
    return summarize(f"handover {engine}", seconds, n, truth, texts, own)


def pdf_writing_cost(volume_dir: Path, repeat: int = 3) -> tuple[float, float]:
    """Seconds to write one volume's PDF plain and as PDF/A-2b, from its pages and ocr.json."""
    from handover import volume_folder
    from ocr.pdf_volume import PdfPage, write_pdf
    from ocr.records import OcrLine

    pages = [PdfPage((volume_dir / volume_folder.PAGES / volume_folder.page_image(p.index)).read_bytes(), p.dpi,
                     p.width, p.height, [OcrLine(l.text, l.box, l.confidence) for l in p.lines], p.page_no,
                     stamp=str(p.page_no or "")) for p in volume_folder.read_ocr(volume_dir).pages]
    write_pdf(volume_dir / "bench.pdf", pages, "bench", "bench", pdfa=True)  # warm: font subset, ICC profile
    out = []
    for pdfa in (False, True):
        start = time.perf_counter()
        for _ in range(repeat):
            write_pdf(volume_dir / "bench.pdf", pages, "bench", "bench", pdfa=pdfa)
        out.append((time.perf_counter() - start) / repeat)
    return out[0], out[1]


def run_ocrmypdf(exe: Path, dossiers, jobs: int, work: Path, extra: list[str], label: str) -> dict | None:
    truth, texts, seconds, n = [], [], 0.0, 0
    for k, d in enumerate(dossiers):
        src = work / f"scan-{k}.pdf"
        if not src.exists():
            pages_pdf(sorted(d.path.glob("*.jpg")), src)
        out = work / f"ocrmypdf-{label}-{k}.pdf"
        start = time.perf_counter()
        proc = subprocess.run([str(exe), "-l", "chi_sim", "--jobs", str(jobs), "--output-type", "pdf", *extra,
                               str(src), str(out)], capture_output=True, text=True)
        seconds += time.perf_counter() - start
        if proc.returncode != 0:
            print(f"OCRmyPDF failed ({proc.returncode}): {proc.stderr[-800:]}")
            return None
        n += len(d.truth["pages"])
        truth += d.truth["pages"]
        texts += pdftotext_pages(out, len(d.truth["pages"]))
    return summarize(f"OCRmyPDF {label}", seconds, n, truth, texts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dossiers", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--no-ocrmypdf", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ocr-"))
    try:
        dossiers = generate(work / "scans", dossiers=args.dossiers, seed=args.seed)
        n_pages = sum(len(d.truth["pages"]) for d in dossiers)
        print(f"{args.dossiers} generated dossiers, {n_pages} pages at 300 dpi, jobs={args.jobs}\n", flush=True)
        results = [run_pipeline(dossiers, e, args.jobs, work) for e in ("rapidocr", "tesseract")]
        if not args.no_ocrmypdf:
            exe = ensure_ocrmypdf()
            if exe:
                version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()
                print(f"OCRmyPDF {version}", flush=True)
                for extra, label in (([], "plain"), (["--rotate-pages", "--deskew"], "rotate+deskew")):
                    r = run_ocrmypdf(exe, dossiers, args.jobs, work, extra, label)
                    if r:
                        results.append(r)
        def pct(v):
            return f"{v:.2%}" if v is not None else "-"
        print("\nCER = character error rate (edit distance / characters), weighted by characters.")
        print("own = the engine's text in reading order (ocr.json); layer = pdftotext of the output PDF;")
        print("bag = errors ignoring order (misread, missing or extra characters only).")
        print(f"\n{'run':<24}{'s/page':>7}{'pages/min':>10}{'own all':>9}{'own office':>11}{'own forms':>10}"
              f"{'layer all':>10}{'layer office':>13}{'layer bag':>10}{'CJK sp':>7}")
        for r in results:
            o, t = r["own_text"] or {}, r["text_layer"]
            print(f"{r['name']:<24}{r['seconds'] / r['pages']:>7.2f}{r['pages_per_min']:>10.1f}{pct(o.get('all')):>9}"
                  f"{pct(o.get('office')):>11}{pct(o.get('forms')):>10}{pct(t['all']):>10}{pct(t['office']):>13}"
                  f"{pct(t['bag']):>10}{r['cjk_spaces']:>7}")
        by = {r["name"]: r for r in results}
        tess = by["handover tesseract"]
        for label in ("plain", "rotate+deskew"):
            o = by.get(f"OCRmyPDF {label}")
            if o:
                print(f"time ratio handover tesseract / OCRmyPDF {label}: {tess['seconds'] / o['seconds']:.2f}"
                      f"  (rapidocr / OCRmyPDF {label}: {by['handover rapidocr']['seconds'] / o['seconds']:.2f})")
        rapid = by["handover rapidocr"]
        ok = rapid["own_text"]["office"] is not None and rapid["own_text"]["office"] <= 0.02
        print(f"target RapidOCR CER ≤ 2% on office pages: {'met' if ok else 'NOT met'}")
        plain, pdfa = pdf_writing_cost(work / "rapidocr-0")
        print(f"volume PDF writing ({len(dossiers[0].truth['pages'])} pages, stamped): plain {plain:.3f} s, "
              f"PDF/A-2b {pdfa:.3f} s ({pdfa / plain:.2f}×)")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
