"""便民服务's tables, one module per concern: service points and their windows and proxy
agents (points.py), the catalogue (catalogue.py), applications, bundles and refusals
(applications.py), 好差评 and its rectifications (ratings.py), enterprise 代办督办 and the
办不成事 window (escalations.py), and what they share, the limits as data among it
(common.py). Importing this package maps every table (convenience/services/part.py MODELS,
the migrations' metadata); every name is importable from here as before the split.

Subjects of the case kernel (applications, bundles, rectifications, enterprise requests,
stuck matters) carry id, state, version, owner_unit_id, owner_code, owner_platform; their
clocks, timeline, attachments and links are the kernel's, keyed by (subject_type, id).
"""

from convenience.services.models.applications import (
    CHANNELS,
    REFUSAL_KINDS,
    Application,
    Bundle,
    Refusal,
    RefusalReport,
)
from convenience.services.models.catalogue import (
    ITEM_TYPES,
    LEVELS,
    TRUST_LEVELS,
    BundleType,
    Item,
    Material,
)
from convenience.services.models.common import (
    NUMBER_SEQUENCE,
    PLATFORM,
    ServiceSetting,
)
from convenience.services.models.escalations import (
    STUCK_KINDS,
    EnterpriseRequest,
    StuckMatter,
)
from convenience.services.models.points import (
    PROXY_TIERS,
    PointItem,
    ProxyAgent,
    ServicePoint,
    ServiceWindow,
)
from convenience.services.models.ratings import (
    RATING_CHANNELS,
    RATING_LEVELS,
    RATING_STAGES,
    Rating,
    Rectification,
)

__all__ = [
    "CHANNELS", "ITEM_TYPES", "LEVELS", "NUMBER_SEQUENCE", "PLATFORM", "PROXY_TIERS",
    "RATING_CHANNELS", "RATING_LEVELS", "RATING_STAGES", "REFUSAL_KINDS", "STUCK_KINDS",
    "TRUST_LEVELS", "Application", "Bundle", "BundleType", "EnterpriseRequest", "Item",
    "Material", "PointItem", "ProxyAgent", "Rating", "Rectification", "Refusal",
    "RefusalReport", "ServicePoint", "ServiceSetting", "ServiceWindow", "StuckMatter",
]
