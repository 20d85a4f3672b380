"""One settings class for the whole system, read from the environment (and `.env`)."""

import ipaddress
from functools import lru_cache
from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import InvalidInput
from core.workflow.durations import parse_duration

# Known to everyone who reads this file: refused outside development and tests.
DEVELOPMENT_SECRET_KEY = "dev-only-secret-change-me-in-production-0123456789"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/gridgov"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # The platforms this deployment runs (core/platforms.py), comma-separated; empty: all
    # that the repository has.
    platforms: str = ""
    # A process keeps up to 2 × this many connections, each once opened (core/db.py
    # make_engine); a Celery worker process rarely uses more than one.
    db_pool_size: int = 10
    # How long a request waits for a free connection before it gets 503 with Retry-After
    # (core/db.py: the connection gate and the pool's timeout), in seconds.
    db_wait_seconds: float = 10.0

    # Map pages: no basemap unless a tile URL is set (government intranets often
    # have their own tile server, or none at all).
    tile_url: str | None = None
    tile_attribution: str = ""

    # development | test | production. Outside development and tests the API and the
    # worker refuse to start with the default SECRET_KEY or one shorter than 32 bytes
    # (core/security.py `require_safe_secret`).
    environment: Literal["development", "test", "production"] = "production"
    # Signs access tokens (HS256). The default is for development only: set SECRET_KEY.
    secret_key: str = DEVELOPMENT_SECRET_KEY
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    # Account state (active, role, scope, memberships, token epoch) is cached per API
    # process for this many seconds; changes reach every process at once through Redis,
    # and while Redis cannot tell, entries live only the shorter time.
    account_cache_seconds: float = 60.0
    account_cache_unsynced_seconds: float = 5.0
    # Login throttling (core/throttle.py), which must not let an attacker lock the owner
    # out: per user name and client address, this many failures are free, then each one
    # doubles a wait (1 s, 2 s, 4 s, ... at most login_max_delay_seconds); failures are
    # forgotten after the window. A name (from all addresses) and an address (for all
    # names) get the same waits past their own, higher, limits, except for the pairs of
    # name and address that logged in before (within login_known_days). An admin unlocks
    # a name at once (POST /api/v1/users/{id}/unlock, `gridgov users unlock`).
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    login_max_delay_seconds: int = 300
    login_user_max_failures: int = 50
    login_address_max_failures: int = 100
    login_known_days: int = 90
    # Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed, comma-separated
    # addresses or CIDRs (e.g. 10.0.0.0/8,127.0.0.1). Empty: none; the peer is the client.
    trusted_proxies: str = ""
    # Per-user rate limits (core/ratelimit.py), requests per minute; 0: no limit.
    rate_limit_reports_per_minute: int = 30
    rate_limit_writes_per_minute: int = 120
    rate_limit_exports_per_minute: int = 6
    rate_limit_kpis_per_minute: int = 60

    demo_city: str = "430200"
    demo_seed: int = 20240101
    # The password of every demo account (printed by `make demo`; never use in production).
    demo_password: str = "Zhuzhou-Demo-2026"
    # Areas below this size (m²) are floating-point noise in coverage checks.
    area_tolerance_m2: float = 1.0

    # The working calendar deadlines are counted on (core/workflow/calendar.py): its time
    # zone, and office hours as HH:MM-HH:MM periods, the lunch break between them.
    timezone: str = "Asia/Shanghai"
    office_hours: str = "08:30-12:00,14:00-17:30"

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, name: str) -> str:
        from core.workflow.calendar_setup import zone

        zone(name)  # ValueError for a zone the system does not know
        return name

    @field_validator("office_hours")
    @classmethod
    def valid_office_hours(cls, text: str) -> str:
        from core.workflow.calendar_setup import parse_office_hours

        return ",".join(map(str, parse_office_hours(text)))  # normalised: 08:30-12:00,...

    def office_periods(self):
        """The office hours parsed: a tuple of core.workflow.calendar_setup.OfficePeriod."""
        from core.workflow.calendar_setup import parse_office_hours

        return parse_office_hours(self.office_hours)

    # Attachments of every platform (photos, evidence, materials) live under media_dir,
    # thumbnails beside them.
    media_dir: str = ".state/media"
    photo_max_bytes: int = 10 * 1024 * 1024
    photo_max_count: int = 9
    # Pixels as well as bytes (core/images.py): a small PNG can inflate to gigabytes. A
    # 50-megapixel phone's full-size photo passes; the field app sends 1600 px at most.
    photo_max_pixels: int = 50_000_000
    # 文书 PDFs (core/documents): a CJK font file (.ttf, .otf or .ttc; for a collection the
    # face's index). Empty: the first of core/documents/fonts.py SEARCH that exists
    # (WenQuanYi Micro Hei, installed by scripts/setup.sh and the Dockerfile, first).
    document_font_path: str = ""
    document_font_index: int = 0
    # The address the public sees the system at, printed in each 文书's QR code before
    # /verify/{token} (e.g. https://gov.example.cn); empty: a relative link.
    public_base_url: str = ""
    # Yellow once this share of a step's limit is used; red when it is all used.
    deadline_warn_share: float = 0.8
    # A hand-off left unsigned this long (working time) escalates one level further.
    handoff_sign_limit: str = "4h"
    # Where notifications go (core/workflow/outbox.py CHANNELS), comma-separated.
    notification_channels: str = "inbox,log"
    # Beat periods (seconds): outbox safety net, deadline sweep.
    outbox_interval_seconds: float = 5.0
    sweep_interval_seconds: float = 60.0

    # Map layers (geo/layers): at most this many features in one vector tile (the rest
    # is left out and the tile says so in X-Tile-Truncated); how long a browser may reuse
    # a tile (seconds); the page size of GeoJSON and OGC items (default, most); the most
    # features one export writes.
    tile_feature_budget: int = 5000
    tile_max_age_seconds: int = 30
    layer_page_default: int = 100
    layer_page_max: int = 1000
    layer_export_max: int = 200_000

    # Hostile input (api/limits.py): the most a request body may hold (JSON and forms; an
    # upload, i.e. a report or photos with base64 images, may hold more), the most values
    # and the deepest nesting one JSON body may have (a patrol batch is 1,000 points, a
    # locate 10,000: about 30,000 values), and the most validation errors a 422 lists.
    body_max_bytes: int = 1024 * 1024
    upload_body_max_bytes: int = 32 * 1024 * 1024
    json_max_values: int = 50_000
    json_max_depth: int = 32
    validation_errors_max: int = 20
    # Strict-Transport-Security max-age, sent only on requests that came over TLS (api/headers.py).
    hsts_max_age_seconds: int = 31_536_000

    @field_validator("trusted_proxies")
    @classmethod
    def proxy_networks(cls, value: str) -> str:
        _networks(value)  # ValueError names a bad entry
        return value

    @property
    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return _networks(self.trusted_proxies)

    @field_validator("handoff_sign_limit")
    @classmethod
    def a_time_limit(cls, value: str) -> str:
        try:
            parse_duration(value)
        except InvalidInput as exc:  # settings speak ValueError
            raise ValueError(str(exc)) from None
        return value

    @field_validator("deadline_warn_share")
    @classmethod
    def a_share(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError("the warning share is between 0 and 1, e.g. 0.8")
        return value

    @property
    def notification_channel_list(self) -> list[str]:
        return [name.strip() for name in self.notification_channels.split(",") if name.strip()]

    @field_validator("database_url")
    @classmethod
    def use_psycopg3(cls, url: str) -> str:
        # Accept the plain libpq form that docker, Heroku and psql users write.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url


@lru_cache
def _networks(text: str) -> tuple:
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False)
                     for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"trusted_proxies: {exc}") from None


@lru_cache
def get_settings() -> Settings:
    return Settings()
