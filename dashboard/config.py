"""Settings read once at the edge: environment variables prefixed ``TANDEM_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Tandem's configuration. Every field can be set as ``TANDEM_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the DuckDB files and digests live.")
    demo_accounts: int = Field(2000, ge=10, description="Size of the demo built on an empty store.")
    demo_seed: int = Field(7, description="Seed of the demo portfolio.")
    max_upload_mb: int = Field(500, ge=1, description="Largest file an import accepts, in MB.")
    owner_max_accounts: int = Field(
        120, ge=1, description="A book larger than this is too large for one person to read."
    )
    owner_max_arr: float = Field(
        10_000_000, gt=0, description="A book with more ARR than this is too large for one person."
    )
    keep_generations: int = Field(
        3, ge=2, description="How many published generations of the source store to keep."
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache after changing the env)."""
    return Settings()
