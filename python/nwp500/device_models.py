"""The device records under their earlier module name; they live in :mod:`nwp500.models`."""

from . import models as _models
from .models.energy import *  # noqa: F403
from .models.feature import *  # noqa: F403
from .models.response import *  # noqa: F403
from .models.schedule import *  # noqa: F403
from .models.status import *  # noqa: F403

__all__ = _models._DEVICE_RECORDS
