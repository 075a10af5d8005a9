"""Per-page work (clean, save, OCR) run in a process pool, one page per task.

Workers are forked (spawn would demand a ``__main__`` guard from every caller's script) and
each builds its own single-threaded ONNX sessions: a session inherited from a parent that
already ran a model must not be shared across the fork.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from handover import volume_folder

from . import cleaning, duplicates, engines, models
from .records import CleanPage, PageText, SourcePage


@dataclass
class PageTask:
    index: int
    source: SourcePage
    engine: str
    pages_dir: Path


def _init_worker(child: bool = False) -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    if child:
        models.clear()


def process_page(task: PageTask) -> tuple[CleanPage, PageText]:
    c = cleaning.clean(task.source)
    path = task.pages_dir / volume_folder.page_image(task.index)
    reused = not c.changed and task.source.fmt == "JPEG"
    # An untouched JPEG scan is kept byte for byte: re-encoding would only lose detail.
    path.write_bytes(task.source.data if reused else cleaning.encode_jpeg(c.image, task.source.dpi))
    h, w = c.image.shape[:2]
    page = CleanPage(task.index, task.source, path, c.rotation, c.skew, w, h, c.blank, reused,
                     "" if c.blank else duplicates.image_fingerprint(c.image))
    if c.blank:
        return page, PageText([], "", 0.0)
    engine = engines.get(task.engine)
    return page, engine.recognize(engine.prepare(c.image))


def run(tasks: list[PageTask], jobs: int, progress: Callable[[int, int], None] | None = None
        ) -> Iterator[tuple[CleanPage, PageText]]:
    """Yield results in completion order; ``progress(done, total)`` after each page."""
    total = len(tasks)
    if jobs <= 1 or total <= 1:
        _init_worker()
        for n, t in enumerate(tasks, 1):
            result = process_page(t)
            if progress:
                progress(n, total)
            yield result
        return
    ctx = mp.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=ctx, initializer=_init_worker,
                             initargs=(True,)) as pool:
        futures = [pool.submit(process_page, t) for t in tasks]
        for n, fut in enumerate(as_completed(futures), 1):
            result = fut.result()
            if progress:
                progress(n, total)
            yield result
