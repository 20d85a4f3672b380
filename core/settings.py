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

    demo_city: str = "430200"
    demo_seed: int = 20240101
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
