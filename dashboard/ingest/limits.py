"""What one import may cost: the limits every reader checks before it parses a file, and the
limits a mapping's SQL query runs under. The same limits hold for the command line, the Data
page and a connected database; each is a setting, ``TANDEM_`` and the field's name in capitals
(``TANDEM_MAX_UPLOAD_MB``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Limits(BaseSettings):
    """Per file (or per table read from a database), and per mapping query."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore", frozen=True)

    max_upload_mb: int = Field(500, ge=1, description="largest file, as stored (compressed)")
    max_uncompressed_mb: int = Field(
        1024, ge=1, description="largest content after decompression (XLSX, Parquet)"
    )
    max_compression_ratio: float = Field(
        100.0, gt=1, description="an XLSX that expands more than this is refused (a zip bomb)"
    )
    max_rows: int = Field(100_000_000, ge=1, description="rows in one file")
    max_columns: int = Field(2_000, ge=1, description="columns in one file")
    max_cell_kb: int = Field(1_024, ge=1, description="longest value (and CSV line), in KiB")
    max_accounts: int = Field(500_000, ge=1, description="accounts in one workspace")
    query_seconds: float = Field(60.0, gt=0, description="a mapping query's time limit")
    query_memory_mb: int = Field(2_048, ge=64, description="a mapping query's memory limit")
    query_threads: int = Field(2, ge=1, description="threads a mapping query may use")
    staging_memory_mb: int = Field(
        4_096, ge=256, description="memory of the staging engine (it spills to disk beyond)"
    )

    @property
    def max_cell_bytes(self) -> int:
        return self.max_cell_kb * 1024

    @property
    def max_file_mb(self) -> int:
        return self.max_upload_mb


def limits_from_settings() -> Limits:
    """The limits set in the environment (``TANDEM_MAX_UPLOAD_MB`` and friends)."""
    return Limits()
