"""Every mapped table, for the migrations and their test: the core's, geo's, and those of
each installed platform (core/platforms.py)."""

import core.attachments.models  # noqa: F401
import core.audit  # noqa: F401
import core.documents.models  # noqa: F401
import core.units.models  # noqa: F401
import core.units.positions  # noqa: F401
import core.users.models  # noqa: F401
import core.workflow.calendar_store  # noqa: F401
import core.workflow.models  # noqa: F401
import geo.models  # noqa: F401
from core import platforms

platforms.load()
