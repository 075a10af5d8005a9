
from . import tables  # noqa: F401, E402 - using the package registers its tables on handover.db.Base
