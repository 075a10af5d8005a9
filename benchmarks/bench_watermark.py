"""水印 benchmark: what marking costs per page image served and per page of a downloaded volume PDF.

    .venv/bin/python benchmarks/bench_watermark.py [--pages 60] [--repeat 5]

Pages are A4 scans at 300 dpi (2480×3508 JPEG, text and paper noise, ~0.5–1 MB), the PDF a
volume PDF as ``ocr.pdf_volume`` writes it (PDF/A-2b, the JPEGs embedded as they are, invisible
text layer). Figures: ms per page image with and without the visible mark (the latter only adds
the identifier's metadata segment; the former draws the mark's coverage once per page size and
minute, reused for the next pages), ms per PDF page for a volume of ``--pages`` pages marked
file to file as the download route does, and the peak memory that takes (a fresh interpreter
each: the same for a tenth of the pages, since the scans are streamed, not held).
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from archive_store import watermark  # noqa: E402
from archive_store.watermark import Mark, mark_image, mark_pdf_file, new_mark_id  # noqa: E402
from ocr.fonts import font  # noqa: E402
from ocr.pdf_volume import PdfPage, write_pdf  # noqa: E402
from ocr.records import OcrLine  # noqa: E402

W, H, DPI = 2480, 3508, 300
LINE = "经研究同意该同志办理退休审批手续，档案移交核验完毕。"


def scan(seed: int) -> tuple[bytes, list[OcrLine]]:
    rng = random.Random(seed)
    img = Image.effect_noise((W, H), 12).point(lambda v: 236 + v // 16).convert("RGB")
    draw = ImageDraw.Draw(img)
    face = font("serif", 48)
    lines = []
    for i in range(40):
        y = 300 + i * 75
        draw.text((200, y), LINE, fill=(rng.randint(10, 60),) * 3, font=face)
        lines.append(OcrLine(LINE, (200, y, 200 + 48 * len(LINE), y + 52), 0.95))
    out = io.BytesIO()
    img.filter(ImageFilter.SMOOTH).save(out, "JPEG", quality=85, dpi=(DPI, DPI))
    return out.getvalue(), lines


def mark() -> Mark:
    return Mark("纬五路社区 刘社工（comm_a）", "纬五路社区", "2026-12-04 18:40", 128, new_mark_id())


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    jpeg, lines = scan(1)
    mark_image(jpeg, mark(), visible=True)  # fonts loaded once, as in a running server
    print(f"page image {W}×{H} JPEG, {len(jpeg) / 1e6:.2f} MB")

    def first_page():
        watermark._ink_mask.cache_clear()
        mark_image(jpeg, mark(), visible=True)

    print(f"  visible mark + id      {timed(first_page, args.repeat):8.1f} ms/page (the mark drawn)")
    print(f"  … the next pages       {timed(lambda: mark_image(jpeg, mark(), visible=True), args.repeat):8.1f} ms/page"
          " (same words and size: the drawn mark reused)")
    print(f"  id only (custodians)   {timed(lambda: mark_image(jpeg, mark(), visible=False), args.repeat):8.1f} ms/page")
    with tempfile.TemporaryDirectory(prefix="bench-watermark-") as tmp:
        for pages in (args.pages, max(1, args.pages // 10)):
            path = Path(tmp) / f"volume{pages}.pdf"
            write_pdf(path, [PdfPage(jpeg, DPI, W, H, lines, n) for n in range(1, pages + 1)], "张建国人事档案",
                      "bench", pdfa=True)
        path, out = Path(tmp) / f"volume{args.pages}.pdf", Path(tmp) / "marked.pdf"
        print(f"volume PDF, {args.pages} pages, {path.stat().st_size / 1e6:.1f} MB (file to file, as downloaded)")
        for label, visible in (("visible mark + id", True), ("id only (custodians)", False)):
            ms = timed(lambda: mark_pdf_file(path, out, mark(), visible=visible), args.repeat)
            print(f"  {label:<22} {ms:8.1f} ms/PDF  {ms / args.pages:6.1f} ms/page")
        for pages in (args.pages, max(1, args.pages // 10)):
            print(f"  peak memory, {pages:>3} pages  {peak_mb(Path(tmp) / f'volume{pages}.pdf', out):8.1f} MB"
                  " above the imports")


# Run in a fresh interpreter, so that the peak is this file's and nothing earlier's.
_PEAK = """
import re, sys
from pathlib import Path
from archive_store.watermark import Mark, mark_pdf_file, new_mark_id
import pikepdf, reportlab.pdfgen.canvas
from docgen.pdffont import cover
cover("x")
def hwm():  # this process's own peak RSS in kB (ru_maxrss would carry the parent's over a fork)
    return int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
base = hwm()
mark_pdf_file(Path(sys.argv[1]), Path(sys.argv[2]), Mark("刘社工（comm_a）", "纬五路社区", "2026-12-04 18:40", 128,
              new_mark_id()), visible=True)
print(hwm() - base)
"""


def peak_mb(source: Path, out: Path) -> float:
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-c", _PEAK, str(source), str(out)], cwd=root, capture_output=True,
                         text=True, check=True)
    return int(run.stdout.split()[-1]) / 1024

if __name__ == "__main__":
    main()
