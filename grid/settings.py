"""综治工作's own settings, read from the environment (and `.env`) like the core's
(core/settings.py): a platform's knobs live with the platform."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class GridSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # A report this close (metres) to an open incident of the same 小类, reported within
    # the window (hours), is flagged as a possible duplicate.
    duplicate_radius_m: float = 50.0
    duplicate_window_hours: float = 72.0
    # The demo city's generated past (grid/incidents/history/): how many days back from
    # the load, and how many incidents a day (either 0: no history).
    demo_history_days: int = 30
    demo_incidents_per_day: int = 1000


@lru_cache
def grid_settings() -> GridSettings:
    return GridSettings()
