"""Where page tasks report progress: the database (embedded) or Redis (distributed).

Page workers on other machines need only Redis and the object store, not the catalog database:
they record each page's state in a Redis hash per dossier. The dossier-level steps, which run
where the database is, copy those states into ``worker_pages`` when the dossier finishes, and
``handover status`` reads the live counts from Redis meanwhile.

    handover:pages:<dossier id>   status:<seq> running|done|failed, worker:<seq>, runs:<seq>, error:<seq>
"""

from __future__ import annotations

from functools import lru_cache

from handover.config import Settings

KEY = "handover:pages:{}"
TTL = 14 * 24 * 3600


class DbPageLog:
    def __init__(self, cfg: Settings):
        self.cfg = cfg

    def started(self, dossier_id: int, seq: int, worker: str) -> None:
        from . import progress

        progress.page_started(dossier_id, seq, worker, self.cfg)

    def finished(self, dossier_id: int, seq: int, error: str = "") -> None:
        from . import progress

        progress.page_finished(dossier_id, seq, error, self.cfg)

    def states(self, dossier_id: int) -> dict[int, dict]:
        return {}

    def forget(self, dossier_id: int) -> None:
        pass


class RedisPageLog:
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, decode_responses=True)

    def started(self, dossier_id: int, seq: int, worker: str) -> None:
        key = KEY.format(dossier_id)
        pipe = self.client.pipeline()
        pipe.hincrby(key, f"runs:{seq}", 1)
        pipe.hset(key, mapping={f"status:{seq}": "running", f"worker:{seq}": worker[:200], f"error:{seq}": ""})
        pipe.expire(key, TTL)
        pipe.execute()

    def finished(self, dossier_id: int, seq: int, error: str = "") -> None:
        key = KEY.format(dossier_id)
        pipe = self.client.pipeline()
        pipe.hset(key, mapping={f"status:{seq}": "failed" if error else "done", f"error:{seq}": error[:2000]})
        pipe.expire(key, TTL)
        pipe.execute()

    def states(self, dossier_id: int) -> dict[int, dict]:
        """seq → {"status", "worker", "runs", "error"} as reported so far."""
        out: dict[int, dict] = {}
        for field, value in self.client.hgetall(KEY.format(dossier_id)).items():
            name, _, seq = field.partition(":")
            if seq.isdigit():
                out.setdefault(int(seq), {"status": "pending", "worker": "", "runs": 0, "error": ""})[name] = \
                    int(value) if name == "runs" else value
        return out

    def forget(self, dossier_id: int) -> None:
        self.client.delete(KEY.format(dossier_id))


@lru_cache(maxsize=4)
def _redis_log(url: str) -> RedisPageLog:
    return RedisPageLog(url)


def page_log(cfg: Settings):
    return _redis_log(cfg.broker) if cfg.broker else DbPageLog(cfg)
