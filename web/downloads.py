"""Files made for one download: built in a fresh temporary folder that goes once the response is
sent, or at once when building fails."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from fastapi.responses import FileResponse
from starlette.background import BackgroundTask


def built_file(build: Callable[[Path], Path], filename: str, media_type: str | None = None) -> FileResponse:
    """``build(folder)`` writes the file into ``folder`` and returns its path; sent as ``filename``."""
    tmp = Path(tempfile.mkdtemp(prefix="handover-download-"))
    try:
        out = build(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return FileResponse(out, media_type=media_type, filename=filename,
                        background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True))
