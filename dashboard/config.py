"""Settings read once at the edge: environment variables prefixed ``TANDEM_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Tandem's configuration. Every field can be set as ``TANDEM_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the DuckDB files and digests live.")
    demo_accounts: int = Field(1000, ge=10, description="Size of the demo built on an empty store.")
    demo_seed: int = Field(7, description="Seed of the demo portfolio.")
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
    duckdb_memory_limit: str | None = Field(
        None,
        description="DuckDB's memory_limit for the source store (e.g. '2GB'); beyond it DuckDB "
        "spills to a temp folder beside the store files. Default: DuckDB's (80 % of RAM).",
    )
    oidc_verifies_email: bool = Field(
        False,
        description="The identity provider verifies every e-mail it asserts but sends no "
        "email_verified claim: accept a token without the claim (one with email_verified "
        "false is refused whatever this says).",
    )
    currency: str = Field(
        "USD",
        pattern="^[A-Z]{3}$",
        description="The reporting currency (ISO code): accounts with no currency are in it, "
        "and mixed currencies are converted to it with the rates of FX_RATES.",
    )
    fx_rates: Path | None = Field(
        None,
        description="A CSV of exchange rates (currency,rate_to_reporting,rate_date) that "
        "converts each account's money to the reporting currency.",
    )
    value_rule: Literal["seats", "logged"] = Field(
        "seats",
        description="When an account reaches first value: 'seats' (VALUE_SEAT_SHARE of the "
        "licensed seats active VALUE_WEEKS weeks running) or 'logged' (the first outcome or "
        "milestone activity logged after the contract start).",
    )
    value_seat_share: float = Field(
        0.10, gt=0, le=1, description="The seats rule's share of licensed seats active in a week."
    )
    value_weeks: int = Field(
        2, ge=1, le=53, description="The seats rule's weeks running at that share."
    )
    onboarding_days: int = Field(
        60,
        ge=1,
        description="An account with no first value this many days after its contract start "
        "is stuck in onboarding.",
    )
    story_model_url: str | None = Field(
        None,
        pattern="^https?://",
        description="Optional: the URL of a language model the team runs itself, sent an "
        "account's 'what changed' sentences (JSON) to summarise them. Unset (the default): "
        "the sentences are built from the data alone and nothing is sent anywhere.",
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
