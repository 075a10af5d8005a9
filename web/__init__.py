"""web: the browser front end and the JSON API over the same functions as the CLI (see web/app.py)."""

from . import tables  # noqa: F401 - using the package registers its tables on handover.db.Base
