"""Long jobs through Celery: embedded (in-process) by default, distributed with Redis and S3.

See workers/README.md. Entry points: ``workers.cli`` (handover worker / ingest / status / requeue),
``workers.app`` (the Celery app), ``workers.status.batch_status`` (progress for the web UI).
"""

from . import tables  # noqa: F401 - using the package registers its tables on handover.db.Base
