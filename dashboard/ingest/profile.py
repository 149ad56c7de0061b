"""A file's columns profiled for recognition: what each header says once split into words
(``customerID``, ``Company name``, ``createdon``) and what its sampled values parse as
(integers, money, dates, times of day, unix times, e-mails, web domains, UUIDs, prefixed ids
such as ``cus_``/``in_``/``sub_``), how unique and how empty it is, its vocabulary when small
and its range when numeric. One pass of Polars expressions over at most ``SAMPLE_ROWS`` rows."""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

SAMPLE_ROWS = 5_000
TIME_WORDS = (
    "time",
    "at",
    "date",
    "timestamp",
    "ts",
    "created",
    "updated",
    "on",
    "day",
    "when",
    "occurred",
    "modified",
    "seen",
    "sent",
)


# Words that systems glue together in lower case (``accountid``, ``createdon``,
# ``ticketnumber``, ``estimatedclosedate``): a run of letters made only of these is split.
GLUED = frozenset(
    [
        "account",
        "accounts",
        "address",
        "amount",
        "associated",
        "annual",
        "arr",
        "at",
        "by",
        "case",
        "city",
        "close",
        "closed",
        "code",
        "company",
        "contact",
        "count",
        "country",
        "created",
        "customer",
        "date",
        "days",
        "deal",
        "deals",
        "due",
        "email",
        "employees",
        "end",
        "estimated",
        "event",
        "first",
        "full",
        "id",
        "industry",
        "invoice",
        "is",
        "issue",
        "last",
        "lead",
        "modified",
        "mrr",
        "name",
        "number",
        "of",
        "on",
        "opportunity",
        "order",
        "owner",
        "paid",
        "phone",
        "plan",
        "price",
        "priority",
        "probability",
        "product",
        "rating",
        "reason",
        "renewal",
        "revenue",
        "sales",
        "satisfaction",
        "score",
        "seats",
        "stage",
        "start",
        "state",
        "status",
        "step",
        "subscription",
        "ticket",
        "time",
        "title",
        "total",
        "type",
        "updated",
        "url",
        "user",
        "value",
        "website",
        "won",
        "lifecycle",
        "internal",
        "domain",
        "system",
        "business",
        "unit",
        "access",
        "mode",
        "disabled",
        "parent",
        "primary",
        "telephone",
        "step",
        "visit",
        "visitor",
        "mail",
    ]
)


def _unglue(token: str) -> list[str]:
    """``estimatedclosedate`` -> [estimated, close, date]; a token not made only of known
    words is kept whole."""
    best: list[list[str] | None] = [[]] + [None] * len(token)
    for end in range(1, len(token) + 1):
        for start in range(max(0, end - 12), end):
            head = best[start]
            shorter = best[end] is None or len(head or []) + 1 < len(best[end] or [])
            if head is not None and token[start:end] in GLUED and shorter:
                best[end] = [*head, token[start:end]]
    found = best[len(token)]
    return found if found and len(found) > 1 else [token]


def words(name: str) -> tuple[str, ...]:
    """A header's words: ``customerID`` -> (customer, id); ``Company name (UTC)`` ->
    (company, name, utc); ``$insert_id`` -> (insert, id); ``createdon`` -> (created, on);
    a trailing digit dropped (``emailaddress1`` -> (email, address))."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)
    out: list[str] = []
    for w in re.split(r"[^a-z0-9]+", spaced.lower()):
        w = w.rstrip("0123456789") or w
        if w:
            out.extend(_unglue(w))
    return tuple(out)


def key_of(name: str) -> str:
    """The header as one snake_case key: ``customerID`` -> ``customer_id``."""
    return "_".join(words(name))


# ---- column profiles ------------------------------------------------------------------

_EMAIL = r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$"
_DOMAIN = r"^(https?://)?(www\.)?([a-z0-9-]+\.)+[a-z]{2,}(/\S*)?$"
_INT = r"^[+-]?\d+$"
_NUMBER = r"^[+-]?[$€£¥]?\s?(\d{1,3}([,. ]\d{3})+|\d+)([.,]\d+)?\s?([A-Z]{3})?$"
_DATE = (
    r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}/\d{1,2}/\d{1,2}"
    r"|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}|\d{1,2} [A-Za-z]{3,9}\.? \d{4})"
)
_TIME = r"(\d{1,2}:\d{2}|T\d{2})"
_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_PREFIXED = r"^([a-z]{2,6})_[A-Za-z0-9]{6,}$"
_IDLIKE = r"^[A-Za-z0-9][A-Za-z0-9_\-:.]{0,63}$"


@dataclass(frozen=True)
class ColumnProfile:
    """What one column's name and sampled values say."""

    name: str
    words: tuple[str, ...]
    filled: float  # share of rows with a value
    unique: float  # distinct values / filled values
    distinct: int
    ints: float  # shares of the filled values that parse as ...
    numbers: float
    dates: float
    times: float  # dates with a time of day
    epochs: float  # unix seconds or milliseconds in 2000-2100
    emails: float
    domains: float
    uuids: float
    idlike: float
    prefix: str | None  # the common prefix of prefixed ids (cus, in, sub…)
    letters: float  # values holding a letter
    digits: float  # values holding a digit
    mean_length: float
    low: float | None  # numeric range
    high: float | None
    vocabulary: frozenset[str]  # lower-cased values when there are few (else empty)
    email_domains: int  # distinct domains of the e-mails

    def named(self, *options: str) -> bool:
        """The header holds one of these words (or word pairs joined by ``_``)."""
        joined = "_".join(self.words)
        return any(o in self.words or (("_" in o) and o in joined) for o in options)

    @property
    def question(self) -> bool:
        """A survey question's column: ``Q1``, ``Q2_3``."""
        return re.match(r"^[Qq]\d+(_|$)", self.name) is not None

    @property
    def is_time(self) -> bool:
        """Dates, or unix times where the header says it is a time (an id can look like
        one)."""
        return self.dates >= 0.8 or (self.epochs >= 0.9 and self.named(*TIME_WORDS))

    @property
    def is_money(self) -> bool:
        return self.numbers >= 0.9 and self.dates < 0.5 and (self.low is None or self.low >= -1e12)

    @property
    def is_unique(self) -> bool:
        """Each value once (a few repeats allowed in a small or hashed sample)."""
        return self.unique >= (0.98 if self.distinct >= 50 else 0.85)

    @property
    def is_key(self) -> bool:
        """Values like ids: short, no spaces, mostly distinct."""
        return self.idlike >= 0.95 and self.dates < 0.5 and self.emails < 0.5 and self.is_unique

    @property
    def is_ref(self) -> bool:
        """Values like ids that repeat (a foreign key)."""
        return self.idlike >= 0.9 and self.dates < 0.5 and self.emails < 0.5 and self.unique < 0.9

    def vocab_share(self, vocabulary: set[str]) -> float:
        """Share of this column's small vocabulary that is in ``vocabulary``."""
        if not self.vocabulary:
            return 0.0
        return len(self.vocabulary & vocabulary) / len(self.vocabulary)


def _share(col: pl.Expr, pattern: str) -> pl.Expr:
    return col.str.contains(pattern).mean()


def _as_text(series: pl.Series) -> pl.Series:
    """A column as text (nested values as JSON-like text)."""
    if series.dtype.is_nested() or series.dtype == pl.Object:
        return pl.Series(series.name, [None if x is None else str(x) for x in series.to_list()])
    return series.cast(pl.Utf8, strict=False)


def profile(frame: pl.DataFrame) -> list[ColumnProfile]:
    """Profile every column of ``frame`` (its first ``SAMPLE_ROWS`` rows) in one pass."""
    names = frame.columns
    sample = pl.DataFrame([_as_text(s) for s in frame.head(SAMPLE_ROWS).get_columns()])
    sample.columns = [f"c{i}" for i in range(len(names))]  # any header: "*", "^x$", dups
    texts = sample.select(
        pl.col(c).str.strip_chars().replace("", None).alias(c) for c in sample.columns
    )
    exprs: list[pl.Expr] = []
    for i, c in enumerate(texts.columns):
        v = pl.col(c).drop_nulls()
        num = v.str.replace_all(r"[$€£¥,\s]|[A-Z]{3}$", "").cast(pl.Float64, strict=False)
        exprs += [
            pl.col(c).is_not_null().mean().alias(f"{i}.filled"),
            v.n_unique().alias(f"{i}.distinct"),
            v.len().alias(f"{i}.n"),
            _share(v, _INT).alias(f"{i}.ints"),
            _share(v, _NUMBER).alias(f"{i}.numbers"),
            _share(v, _DATE).alias(f"{i}.dates"),
            (v.str.contains(_DATE) & v.str.contains(_TIME)).mean().alias(f"{i}.times"),
            (v.str.contains(r"^\d{10}(\d{3})?$")).mean().alias(f"{i}.epochs"),
            _share(v, _EMAIL).alias(f"{i}.emails"),
            _share(v.str.to_lowercase(), _DOMAIN).alias(f"{i}.domains"),
            _share(v.str.to_lowercase(), _UUID).alias(f"{i}.uuids"),
            _share(v, _IDLIKE).alias(f"{i}.idlike"),
            _share(v, r"[A-Za-z]").alias(f"{i}.letters"),
            _share(v, r"[0-9]").alias(f"{i}.digits"),
            v.str.len_chars().mean().alias(f"{i}.length"),
            num.min().alias(f"{i}.low"),
            num.max().alias(f"{i}.high"),
            v.str.extract(_PREFIXED, 1).mode().first().alias(f"{i}.prefix"),
            _share(v, _PREFIXED).alias(f"{i}.prefixed"),
            v.str.extract(r"@(.+)$", 1).str.to_lowercase().n_unique().alias(f"{i}.edomains"),
        ]
    row = texts.select(exprs).row(0, named=True) if texts.height else {}
    small = {
        c: frozenset(
            texts.get_column(c).drop_nulls().str.to_lowercase().unique().head(41).to_list()
        )
        for c in texts.columns
    }
    profiles = []
    for i, c in enumerate(texts.columns):
        n = row.get(f"{i}.n") or 0

        def get(k: str, i: int = i) -> float:
            value = row.get(f"{i}.{k}")
            return float(value) if value is not None else 0.0

        distinct = int(get("distinct"))
        epochs = get("epochs")
        low, high = row.get(f"{i}.low"), row.get(f"{i}.high")
        if epochs and not (low is not None and low >= 946_684_800 and high < 4_102_444_800_000):
            epochs = 0.0
        profiles.append(
            ColumnProfile(
                name=names[i],
                words=words(names[i]),
                filled=get("filled"),
                unique=distinct / n if n else 0.0,
                distinct=distinct,
                ints=get("ints"),
                numbers=get("numbers"),
                dates=get("dates"),
                times=get("times"),
                epochs=epochs,
                emails=get("emails"),
                domains=get("domains") if get("emails") < 0.5 else 0.0,
                uuids=get("uuids"),
                idlike=get("idlike"),
                prefix=row.get(f"{i}.prefix") if get("prefixed") >= 0.9 else None,
                letters=get("letters"),
                digits=get("digits"),
                mean_length=get("length"),
                low=float(low) if low is not None else None,
                high=float(high) if high is not None else None,
                vocabulary=small[c] if 0 < distinct <= 40 else frozenset(),
                email_domains=int(get("edomains")),
            )
        )
    return profiles
