"""PDF renditions of the short text documents through LibreOffice (soffice --headless).

Used only for the agreement, the written statement, the 备考表 and the contact cards: table-heavy
documents go through the direct renderer (FIELD-NOTES: LibreOffice needs 25 s for a 500-row
roster). One soffice call converts a whole list; a private profile directory keeps it from
clashing with a desktop LibreOffice or another worker; ``FONTCONFIG_FILE`` points at
templates/fonts.conf so 仿宋/宋体/黑体/楷体 resolve to the installed CJK faces, not to sans.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from handover.config import FONTS_CONF
from handover.errors import Unavailable


class ConversionError(Unavailable):
    pass


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(files: list[Path], out_dir: Path | None = None, timeout: float = 600) -> list[Path]:
    """Convert DOCX files to PDF (next to each file unless ``out_dir``); returns the PDFs."""
    if not files:
        return []
    exe = soffice()
    if exe is None:
        raise ConversionError("未安装 LibreOffice，无法生成 PDF（可使用 --no-pdf）")
    stems = [f.stem for f in files]
    single = out_dir is None and len(set(stems)) == len(stems)
    env = dict(os.environ, FONTCONFIG_FILE=str(FONTS_CONF))
    results: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="handover-lo-") as work:
        profile = Path(work) / "profile"
        staging = Path(work) / "out"
        # one soffice start for the whole list (each start costs seconds), then move the PDFs
        target_of = {f: (out_dir or f.parent) for f in files}
        if single:
            batches = [(staging, list(files))]
        else:  # same file names in different folders: one call per folder
            batches = [(t, [f for f in files if target_of[f] == t]) for t in sorted(set(target_of.values()))]
        for outdir, batch in batches:
            outdir.mkdir(parents=True, exist_ok=True)
            cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                   "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(outdir), *map(str, batch)]
            try:
                proc = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise ConversionError(f"LibreOffice 转换超时（{timeout:.0f} 秒）") from None
            for f in batch:
                pdf = outdir / (f.stem + ".pdf")
                if not pdf.is_file():
                    raise ConversionError(f"LibreOffice 未能转换 {f.name}（退出码 {proc.returncode}）")
                if single:
                    final = target_of[f] / pdf.name
                    final.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(str(pdf), final)
                    pdf = final
                results.append(pdf)
    return results
