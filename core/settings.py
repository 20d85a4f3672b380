"""One settings class for the whole system, read from the environment (and `.env`)."""

from functools import lru_cache

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/gridgov"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Pool size for the API process; Celery workers use a small one of their own.
    db_pool_size: int = 10

    # Map pages: no basemap unless a tile URL is set (government intranets often
    # have their own tile server, or none at all).
    tile_url: str | None = None
    tile_attribution: str = ""

    # Signs access tokens (HS256). The default is for development only: set SECRET_KEY.
    secret_key: str = "dev-only-secret-change-me-in-production-0123456789"
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    # Throttling: after this many failed logins for one user name (or one client address,
    # three times as many) within the window, logins are refused until the window ends.
    login_max_failures: int = 5
    login_lockout_minutes: int = 15

    demo_city: str = "430200"
    demo_seed: int = 20240101
    # The password of every demo account (printed by `make demo`; never use in production).
    demo_password: str = "Zhuzhou-Demo-2026"
    # Areas below this size (m²) are floating-point noise in coverage checks.
    area_tolerance_m2: float = 1.0

    @field_validator("database_url")
    @classmethod
    def use_psycopg3(cls, url: str) -> str:
        # Accept the plain libpq form that docker, Heroku and psql users write.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
