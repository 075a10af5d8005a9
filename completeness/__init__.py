"""Completeness and quality checks of digitized personnel files (issue 5).

Each check is a pure function over the volume's records (``completeness.volume``) returning
``Finding``s; ``completeness.check.check_volume`` reads a volume directory, runs them all, decides
the outcome and writes ``check.json``.
"""

from . import tables  # noqa: F401 - using the package registers its tables on handover.db.Base
