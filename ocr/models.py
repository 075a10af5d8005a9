"""Per-process holders of the ONNX models (loaded once per worker, one thread each).

Pages are processed in parallel by processes, so each model runs single-threaded: on a shared
2-core machine two single-threaded workers beat one multi-threaded one (FIELD-NOTES.md).
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def rapidocr():
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, print_verbose=False)
