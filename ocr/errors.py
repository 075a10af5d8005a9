"""Typed errors of the digitization pipeline.

Every refusal names the file and, where it applies, the page, in Chinese: the message is shown to
archive staff as is. A refused dossier is held back whole (nothing is published).
"""

from __future__ import annotations

from handover.errors import InputRefused, Unavailable


class OcrError(InputRefused):
    """Base class of the package's errors."""


class DossierRejected(OcrError):
    """The dossier cannot be digitized as delivered; nothing was written to the output."""

    def __init__(self, message: str, *, file: str = "", page: int | None = None, code: str = "rejected"):
        super().__init__(message)
        self.file = file
        self.page = page
        self.code = code


def where(file: str, page: int | None) -> str:
    return f"文件“{file}”第{page}页" if page else f"文件“{file}”"


def rejected(code: str, file: str, page: int | None, reason: str) -> DossierRejected:
    return DossierRejected(f"{where(file, page)}：{reason}。本卷档案未发布。", file=file, page=page, code=code)


class EngineUnavailable(OcrError, Unavailable):
    """The requested OCR engine is not installed or not known."""
