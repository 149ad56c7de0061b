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
    max_uncompressed_mb: int = Field(
        1024, ge=1, description="Largest file content after decompression (XLSX, Parquet), MB."
    )
    max_rows: int = Field(100_000_000, ge=1, description="Most rows one imported file may hold.")
    max_columns: int = Field(2000, ge=1, description="Most columns one imported file may hold.")
    max_cell_kb: int = Field(1024, ge=1, description="Longest value (and CSV line) read, KiB.")
    max_accounts: int = Field(500_000, ge=1, description="Most accounts a workspace may hold.")
    query_seconds: float = Field(60.0, gt=0, description="Time limit of a mapping's SQL query.")
    query_memory_mb: int = Field(2048, ge=64, description="Memory limit of a mapping's query.")
    owner_max_accounts: int = Field(
        120, ge=1, description="A book larger than this is too large for one person to read."
    )
    owner_max_arr: float = Field(
        10_000_000, gt=0, description="A book with more ARR than this is too large for one person."
    )
    orgs: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Organisations, each with its own stores under DATA_DIR/orgs/NAME, and "
        'the e-mail domains of its people (JSON: {"acme": ["acme.com"]}).',
    )
    keep_generations: int = Field(
        3, ge=2, description="How many published generations of the source store to keep."
    )


def org_dir(settings: Settings, org: str | None) -> Path:
    """The data folder of an organisation (the data folder itself without organisations)."""
    if org is None:
        return settings.data_dir
    if org not in settings.orgs:
        raise ValueError(f"unknown organisation {org!r}")
    return settings.data_dir / "orgs" / org


def org_for_email(settings: Settings, email: str) -> str | None:
    """The organisation whose e-mail domains include this address's domain."""
    domain = email.rsplit("@", 1)[-1].strip().lower()
    return next((o for o, domains in settings.orgs.items() if domain in domains), None)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache after changing the env)."""
    return Settings()
