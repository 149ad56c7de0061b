"""What one import may cost: the limits every reader checks before it parses a file, and the
limits a mapping's SQL query runs under. The same limits hold for the command line, the Data
page and a connected database; each is a setting, ``TANDEM_`` and the field's name in capitals
(``TANDEM_MAX_UPLOAD_MB``). Each field's docstring is its description."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, PositiveFloat, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

Ratio = Annotated[float, Field(gt=1)]  # above 1: a ratio of sizes
QueryMemoryMb = Annotated[int, Field(ge=64)]  # less cannot run a query
StagingMemoryMb = Annotated[int, Field(ge=256)]  # less cannot stage a file


class Limits(BaseSettings):
    """Per file (or per table read from a database), and per mapping query."""

    model_config = SettingsConfigDict(
        env_prefix="TANDEM_", extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    max_upload_mb: PositiveInt = 500
    """largest file, as stored (compressed)"""
    max_uncompressed_mb: PositiveInt = 1024
    """largest content after decompression (XLSX, Parquet)"""
    max_compression_ratio: Ratio = 100.0
    """an XLSX that expands more than this is refused (a zip bomb)"""
    max_rows: PositiveInt = 100_000_000
    """rows in one file"""
    max_columns: PositiveInt = 2_000
    """columns in one file"""
    max_cell_kb: PositiveInt = 1_024
    """longest value (and CSV line), in KiB"""
    max_accounts: PositiveInt = 500_000
    """accounts in one workspace"""
    query_seconds: PositiveFloat = 60.0
    """a mapping query's time limit"""
    query_memory_mb: QueryMemoryMb = 2_048
    """a mapping query's memory limit"""
    query_threads: PositiveInt = 2
    """threads a mapping query may use"""
    staging_memory_mb: StagingMemoryMb = 4_096
    """memory of the staging engine (it spills to disk beyond)"""

    @property
    def max_cell_bytes(self) -> int:
        return self.max_cell_kb * 1024

    @property
    def max_file_mb(self) -> int:
        return self.max_upload_mb


def limits_from_settings() -> Limits:
    """The limits set in the environment (``TANDEM_MAX_UPLOAD_MB`` and friends)."""
    return Limits()
