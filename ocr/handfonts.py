"""Chinese handwriting faces for the sample generator, fetched from the npm registry at install time.

The faces are open-licensed (SIL OFL 1.1) Google Fonts families that fontsource republishes on the
npm registry. Each package ships the face as ~90 unicode-range WOFF subsets (plus WOFF2 copies);
``ensure`` runs ``npm pack @fontsource/<name>@<pinned version>``, checks the tarball against the
pinned sha512 integrity, drops the layout tables (GSUB/GPOS/GDEF: the subsets' tables do not merge,
and the generator draws one character at a time, so it needs none of them) and merges the WOFF
subsets into one TrueType file ``<CACHE>/<name>.ttf``. It is idempotent: a face already converted
is left alone, so ``make install`` can run it every time.

Why fetched at install rather than vendored in the repository: the four packages weigh ~45 MB of
tarballs and ~20 MB of merged TTF, binary files that would sit in every clone and every
submission for the sake of test material; they are published, versioned and checksummed on a
registry the project's machines reach, so pinning name, version and integrity here gives the same
bytes on every machine at a fraction of the repository's weight. The OFL would allow vendoring;
size and churn are the reasons not to.

A face that is not in the cache is an error (``HandFontMissing``, in Chinese, naming
``make handfonts``), never a silent fallback to another face: test material that quietly changes
its handwriting would change what the tests and benchmarks measure.

    .venv/bin/python -m ocr.handfonts          # fetch and convert every face (what make runs)
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path


from handover.errors import Unavailable

from .errors import OcrError

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "handfonts"
MAKE_STEP = "make handfonts"


@dataclass(frozen=True)
class HandFace:
    name: str  # fontsource package name, also the face's key in the generator
    version: str
    integrity: str  # npm's dist.integrity of that version
    label: str  # what it looks like, in Chinese (CLI help)
    scale: float  # size factor so that its characters fill a cell like the Kai face's


# Chosen by rendering names, dates and ID numbers in each and looking at them: Long Cang reads as a
# neat fountain-pen hand, Zhi Mang Xing as a quick running hand, Liu Jian Mao Cao as a careless
# cursive scrawl (the hard end: a person still reads it, OCR often does not), Ma Shan Zheng as a
# brush-pen regular hand of the older files. All four cover every character the generator writes
# except the zero 〇, which ``ocr.fonts`` draws as a ring. ``scale`` evens out their apparent size.
FACES: dict[str, HandFace] = {f.name: f for f in (
    HandFace("long-cang", "5.3.0",
             "sha512-lCcBJb+LWZpYCVtGvQRiZPy5/EaGPuYLycpJXUIOz28EYGGqhTVWBRqY6ucaW8l1F8gvfjutY1PoAPUrFiP0wg==",
             "钢笔行书", 1.12),
    HandFace("zhi-mang-xing", "5.3.0",
             "sha512-V21yCCm5o2PHdXF2P9KKh7uiqL8QFFuII4DRQkpG24tfyDzJPchXKsxkcvKM43xEPvQKdbhHCBbXEFjcm/TUCQ==",
             "硬笔行草", 1.1),
    HandFace("liu-jian-mao-cao", "5.3.0",
             "sha512-OaFm4okm77XoGA9jp1J89tDjdWlzb68yJCUL7LV75QxUWF/qOBRVqmhP7XFFsgcn/PL+nc2dPvRGT/8yit5LZg==",
             "潦草钢笔字", 1.05),
    HandFace("ma-shan-zheng", "5.3.1",
             "sha512-cGGn7Yje2RSduXVxEk+rCfNZyD/T/7FMGj03LNPiK8TRL9Sing0tq1zJF3n+W29szPqgb2RNs5oIvmm+ikeI+Q==",
             "毛笔楷书", 0.98),
)}


class HandFontMissing(OcrError, Unavailable):
    """A handwriting face is not installed; the message says how to install it."""


def path(name: str) -> Path:
    """The converted TTF of face ``name``; raises ``HandFontMissing`` if it is not there."""
    if name not in FACES:
        raise HandFontMissing(f"未知的手写字体“{name}”，可用：{'、'.join(FACES)}")
    ttf = CACHE / f"{name}.ttf"
    if not ttf.is_file():
        raise HandFontMissing(f"缺少手写字体“{name}”（应在 {ttf}）。请先运行 `{MAKE_STEP}`"
                              f"（`make install` 也会执行这一步），它用 npm 下载并转换字体。")
    return ttf


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _npm_pack(face: HandFace, workdir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise HandFontMissing(f"找不到 npm，无法下载手写字体。请运行 `{MAKE_STEP}`（会先安装 Debian 的 npm 软件包）。")
    spec = f"@fontsource/{face.name}@{face.version}"
    done = subprocess.run([npm, "pack", "--silent", spec], cwd=workdir, capture_output=True, text=True)
    if done.returncode != 0:
        raise HandFontMissing(f"下载手写字体 {spec} 失败：{done.stderr.strip()[-400:]}")
    tgz = workdir / done.stdout.strip().splitlines()[-1]
    if _sri(tgz.read_bytes()) != face.integrity:
        raise HandFontMissing(f"手写字体 {spec} 的校验值与固定值不符，已拒绝使用。")
    return tgz


def convert(woffs: list[Path], out: Path) -> None:
    """Merge unicode-range WOFF subsets of one face into a single TrueType file."""
    from fontTools.merge import Merger
    from fontTools.ttLib import TTFont

    with tempfile.TemporaryDirectory() as tmp:
        parts = []
        for w in sorted(woffs):
            f = TTFont(w)
            for tag in ("GSUB", "GPOS", "GDEF", "kern", "gasp", "DSIG"):
                if tag in f:
                    del f[tag]
            f.flavor = None
            part = Path(tmp) / (w.stem + ".ttf")
            f.save(part)
            parts.append(str(part))
        merged = Merger().merge(parts)
        partial = out.with_suffix(".ttf.part")
        merged.save(partial)
        partial.replace(out)


def ensure(name: str, cache: Path | None = None) -> Path:
    """Fetch and convert face ``name`` unless it is already in the cache; returns the TTF."""
    face = FACES[name]
    cache = cache or CACHE
    ttf = cache / f"{name}.ttf"
    if ttf.is_file():
        return ttf
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        work = Path(tmp)
        tgz = _npm_pack(face, work)
        with tarfile.open(tgz) as tar:
            members = [m for m in tar.getmembers()
                       if m.isfile() and m.name.startswith("package/files/") and m.name.endswith("-400-normal.woff")
                       and "chinese-simplified" not in m.name]  # that one repeats the numbered subsets
            licence = [m for m in tar.getmembers() if m.name == "package/LICENSE"]
            tar.extractall(work, members=members + licence, filter="data")
        woffs = [work / m.name for m in members]
        if not woffs:
            raise HandFontMissing(f"手写字体包 {face.name}@{face.version} 中没有 WOFF 字体文件。")
        if licence:  # the OFL travels with the font
            shutil.copyfile(work / "package" / "LICENSE", cache / f"{name}.LICENSE.txt")
        convert(woffs, ttf)
    return ttf


def main(argv: list[str] | None = None) -> int:
    for name in FACES:
        had = (CACHE / f"{name}.ttf").is_file()
        try:
            ttf = ensure(name)
        except HandFontMissing as err:
            print(f"错误：{err}", file=sys.stderr)
            return 1
        print(f"手写字体 {name}：{'已存在' if had else '已下载并转换'}（{ttf}）")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
