"""Sending dossiers to be processed: to the Celery queue when a broker is set, else in-process."""

from __future__ import annotations

from handover.config import Settings, settings

from .embedded import Report, run_dossiers


def distributed(cfg: Settings | None = None) -> bool:
    return bool((cfg or settings()).broker)


def submit(dossier_ids: list[int], cfg: Settings | None = None, jobs: int | None = None,
           report: Report | None = None) -> dict[int, dict]:
    """Queue (distributed) or run now (embedded). Embedded returns each dossier's outcome."""
    cfg = cfg or settings()
    if not dossier_ids:
        return {}
    if distributed(cfg):
        from .app import dossier_queue
        from .tasks import digitize_dossier

        for dossier_id in dossier_ids:
            digitize_dossier.apply_async((dossier_id,), queue=dossier_queue(cfg))
        return {}
    return run_dossiers(dossier_ids, jobs, cfg, report)
