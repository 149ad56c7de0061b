"""Build the recognition corpus: one file per layout described in ``tests/corpus/*.toml``.

Each TOML file holds the layouts of one system. A layout names its headers and, for each, a
generator from the small vocabulary below; ``build`` writes one file per layout with values of
the right shape and returns what each file is expected to be. Everything is deterministic for a
given seed: the same seed writes the same bytes.

Generator vocabulary (``kind`` or ``kind:arg:arg``; a leading ``?`` leaves ~30 % of cells empty):

- ids, unique per row: ``id:PREFIX`` (``cus_`` + 14 letters/digits), ``seq:START`` (rising
  integers with gaps), ``num:DIGITS`` (random digits), ``uuid``, ``hex:N``, ``sfid:PREFIX``
  (Salesforce 18-character ids such as ``001…``), ``key:PROJECT`` (``SUP-123``).
- foreign keys that repeat: ``ref:WHAT:STYLE`` with WHAT in ``account`` (a customer company),
  ``user`` (a person at a customer, always at its own account within a row), ``owner`` (the
  vendor's own staff) and STYLE one of ``name``, ``domain``, ``email``, ``first``, ``last``,
  ``uuid``, ``hex``, ``int`` (a stable numeric id), ``num`` (a longer numeric id), ``sf``
  (Salesforce id) or any prefix (``cus_``, ``ctm_``, ``org_``…). Rows of a file pick users
  with a skew, so event files hold many rows per user and per account.
- people and companies: ``email``, ``person``, ``first``, ``last``, ``company``, ``domain``,
  ``url``, ``phone``, ``city``, ``country``, ``country_code``, ``state``, ``industry``,
  ``title``, ``ip``, ``user_agent``.
- time: every row has a base instant; ``date:FMT`` and ``datetime:FMT`` write it, with FMT one of
  ``iso``, ``isoms``, ``offset``, ``us``, ``eu``, ``display``, ``sql``, ``jira``, ``zoho``;
  ``epoch:s`` / ``epoch:ms`` (``msday``/``mshour`` cut to the day or hour, as Pendo does).
  A third part shifts it: ``+`` (hours to two weeks later: resolved, paid), ``++`` (one to
  thirteen months later: renewal, period end), ``net`` (an invoice's payment terms: 0 to 60
  days later), ``-`` (days to a year earlier: created).
- money that adds up: ``amt:PART[:FMT]`` with PART ``total``, ``subtotal``, ``tax`` (10 %) or
  ``monthly`` of the row's amount, FMT empty (``1234.50``), ``minor`` (cents) or ``display``.
- numbers: ``int:LO-HI``, ``score:nps`` (0-10) and ``score:csat`` (1-5) with a realistic
  lean to the top, ``money:LO-HI`` (two decimals), ``money:LO-HI:display`` (``$1,234.50``),
  ``minor:LO-HI`` (integer cents of LO-HI units), ``float:LO-HI``, ``pct``.
- vocabularies: ``enum:a|b|c`` (repeat a value to weight it), ``enum@:a|b|c`` and
  ``int@:LO-HI|LO-HI`` (the n-th option of every ``@`` column of a row goes together: a churn
  row gets a negative movement), ``only@:N:i,j:SPEC`` (SPEC on rows whose option of an
  N-option ``@`` column is i or j, else empty: a solved date only on solved tickets),
  ``switch@:SPEC;;SPEC`` (the row's option picks the generator: an answer column holding a
  0-10 score on NPS rows and text on comment rows), ``const:VALUE``, ``bool``,
  ``bool:TF`` (TRUE/FALSE), ``bool:yn`` (Yes/No), ``currency`` (mostly USD), ``plan``,
  ``product``, ``event:STYLE`` (``title`` "Report Exported", ``snake`` report_exported,
  ``posthog`` with ``$pageview``/``$autocapture``, ``web`` page_view/scroll), ``text``,
  ``sentence`` (a support or feedback line), ``blurb`` (a product description), ``subject``
  (a marketing e-mail subject), ``word``, ``json:KIND`` (``props``, ``traits``, ``groups``, ``list``, ``empty``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
import string
import tomllib
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
ANCHOR = dt.datetime(2026, 11, 30, 18, 0, 0)  # the corpus's "now": fixed, never today
CANONICAL = (
    "accounts",
    "subscriptions",
    "invoices",
    "usage_events",
    "usage_daily",
    "tickets",
    "surveys",
    "activities",
    "outcomes",
    "owners",
    "account_keys",
    "contacts",
)
EXPECTATIONS = (*CANONICAL, "not_customer")
SHAPES = ("sync", "screen")
FORMATS = ("csv", "parquet", "xlsx")

N_ACCOUNTS = 48
N_USERS = 180
ALNUM = string.ascii_letters + string.digits

_COMPANY_A = [
    "Acme",
    "Blue",
    "Harbor",
    "Northwind",
    "Contoso",
    "Globex",
    "Initech",
    "Umbrella",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Pied",
    "Massive",
    "Aperture",
    "Black",
    "Mesa",
    "Oscorp",
    "Gringotts",
    "Monarch",
    "Wonka",
    "Dunder",
    "Sterling",
    "Pearson",
    "Prestige",
    "Bluth",
    "Kramerica",
    "Gekko",
    "Nakatomi",
    "Virtucon",
    "Duff",
    "Ollivander",
    "Spacely",
    "Cogswell",
    "Zorg",
    "Genco",
    "Tricell",
    "Weyland",
    "Abstergo",
    "Rekall",
    "Ingen",
    "Sirius",
    "Veridian",
]
_COMPANY_B = [
    "Labs",
    "Systems",
    "Analytics",
    "Logistics",
    "Health",
    "Software",
    "Foods",
    "Capital",
    "Robotics",
    "Media",
    "Retail",
    "Energy",
]
_SUFFIX = ("Inc.", "LLC", "GmbH", "Ltd", "Corp.", "", "", "")
_FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "David",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kaito",
    "Lena",
    "Marco",
    "Nadia",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aiko",
    "Bruno",
    "Carla",
    "Dmitri",
    "Elif",
    "Femi",
]
_LAST = [
    "Alvarez",
    "Brown",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kim",
    "Lopez",
    "Müller",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
]
_STAFF = [
    "Maya Okonkwo",
    "Liam Fraser",
    "Sofia Marin",
    "Noah Petersen",
    "Aisha Rahman",
    "Lucas Moreau",
    "Hannah Becker",
    "Ravi Iyer",
    "Julia Novak",
    "Tomás Silva",
]
_CITIES = (
    ("Berlin", "Germany", "DE", "BE"),
    ("Austin", "United States", "US", "TX"),
    ("Toronto", "Canada", "CA", "ON"),
    ("London", "United Kingdom", "GB", "ENG"),
    ("Lyon", "France", "FR", "ARA"),
    ("Denver", "United States", "US", "CO"),
    ("Sydney", "Australia", "AU", "NSW"),
    ("Madrid", "Spain", "ES", "MD"),
    ("Chicago", "United States", "US", "IL"),
    ("Amsterdam", "Netherlands", "NL", "NH"),
)
_INDUSTRIES = [
    "Software",
    "Healthcare",
    "Financial Services",
    "Retail",
    "Manufacturing",
    "Education",
    "Logistics",
    "Media",
    "Energy",
    "Telecommunications",
]
_TITLES = [
    "Head of Operations",
    "VP Engineering",
    "Product Manager",
    "CTO",
    "Data Analyst",
    "Office Manager",
    "Marketing Lead",
    "Finance Director",
    "Support Lead",
    "CEO",
]
_PLANS = ("Starter", "Growth", "Pro", "Business", "Enterprise")
_PRODUCTS = (
    "Analytics Starter",
    "Analytics Growth",
    "Analytics Pro",
    "Analytics Enterprise",
    "Reporting Add-on",
    "API Access",
    "Extra Seats Pack",
    "Premium Support",
    "SSO & Audit Log",
    "Data Warehouse Sync",
    "Onboarding Package",
    "Sandbox Workspace",
)
_BLURBS = (
    "Dashboards and scheduled reports for small teams",
    "Unlimited dashboards, alerts and SSO",
    "Annual plan billed per seat",
    "Read and write access to the REST API",
    "Priority support with a four-hour response time",
    "One-time onboarding and training",
)
_SUBJECTS = (
    "Your November product update",
    "Join our webinar: dashboards in 30 minutes",
    "5 reports every CS team needs",
    "Last chance: 20% off annual plans",
    "How Acme cut churn by a third",
    "New: scheduled exports to Slack",
)
_FEATURES = [
    "Report Viewed",
    "Report Exported",
    "Dashboard Created",
    "Dashboard Shared",
    "Query Run",
    "Alert Created",
    "Integration Connected",
    "User Invited",
    "Login",
    "Filter Applied",
    "Chart Created",
    "Comment Added",
    "Workspace Settings Updated",
    "Data Source Added",
    "Scheduled Report Sent",
]
_POSTHOG = ("$pageview", "$autocapture", "$pageleave", "$identify", "report exported", "query run")
_WEB = ("page_view", "session_start", "first_visit", "scroll", "click", "user_engagement")
_WORDS = [
    "invoice",
    "export",
    "login",
    "error",
    "dashboard",
    "slow",
    "billing",
    "question",
    "access",
    "seats",
    "renewal",
    "api",
    "integration",
    "report",
    "chart",
    "permissions",
    "sso",
    "password",
    "timeout",
    "upgrade",
]
_SENTENCES = (
    "Cannot export the monthly report to PDF",
    "Question about our invoice for last month",
    "SSO login fails for new users",
    "Dashboard takes a long time to load",
    "How do we add more seats?",
    "API returns 429 too many requests",
    "Request to change the billing contact",
    "Scheduled report did not arrive",
    "Great product, the team loves the dashboards",
    "Support answered quickly, thanks",
    "Pricing is too high for what we use",
    "Missing an integration with our warehouse",
)
_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/129.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
)


@dataclass(frozen=True)
class CorpusFile:
    """One written file of the corpus and what it is expected to be."""

    path: Path
    system: str
    layout: str
    shape: str
    expect: str
    source: str
    also: tuple[str, ...] = ()  # other tables that read the file rightly (see README)


@dataclass(frozen=True)
class Layout:
    """One layout as declared in a system's TOML file."""

    name: str
    system: str
    source: str
    shape: str
    expect: str
    rows: int
    columns: list[tuple[str, str]]
    format: str = "csv"
    also: tuple[str, ...] = ()


def load_layouts(folder: Path = HERE) -> list[Layout]:
    """Every layout of every ``*.toml`` in ``folder``, checked for the fields it must have."""
    layouts: list[Layout] = []
    for path in sorted(folder.glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        for i, entry in enumerate(doc.get("layout", [])):
            where = f"{path.name} layout {i + 1}"
            missing = {"name", "system", "source", "shape", "expect", "rows", "columns"} - set(
                entry
            )
            if missing:
                raise ValueError(f"{where}: missing {sorted(missing)}")
            if entry["shape"] not in SHAPES:
                raise ValueError(f"{where}: shape {entry['shape']!r} is not one of {SHAPES}")
            if entry["expect"] not in EXPECTATIONS:
                raise ValueError(f"{where}: expect {entry['expect']!r} is not a table")
            fmt = entry.get("format", "csv")
            if fmt not in FORMATS:
                raise ValueError(f"{where}: format {fmt!r} is not one of {FORMATS}")
            columns = [(str(h), str(g)) for h, g in entry["columns"]]
            layouts.append(
                Layout(
                    name=entry["name"],
                    system=entry["system"],
                    source=entry["source"],
                    shape=entry["shape"],
                    expect=entry["expect"],
                    rows=int(entry["rows"]),
                    columns=columns,
                    format=fmt,
                    also=tuple(entry.get("also", ())),
                )
            )
    return layouts


# ---------------------------------------------------------------------------------------------
# The populations a file draws from: customer companies, their people, the vendor's own staff.


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("|".join(map(str, parts)).encode()).digest()


def _stable_alnum(n: int, *parts: object) -> str:
    raw = _digest(*parts)
    out = []
    while len(out) < n:
        for b in raw:
            out.append(ALNUM[b % len(ALNUM)])
        raw = hashlib.sha256(raw).digest()
    return "".join(out[:n])


def _stable_int(low: int, high: int, *parts: object) -> int:
    return low + int.from_bytes(_digest(*parts)[:8], "big") % (high - low)


def _sfid(prefix: str, *parts: object) -> str:
    return prefix + "5" + _stable_alnum(14 - len(prefix), *parts) + _stable_alnum(3, "sfx", *parts)


@dataclass(frozen=True)
class Entity:
    key: str  # what the stable ids are derived from
    name: str
    first: str
    last: str
    email: str
    domain: str


def _population(seed: int) -> tuple[list[Entity], list[Entity], list[int], list[Entity]]:
    rng = random.Random(seed * 7919 + 1)
    names: list[str] = []
    while len(names) < N_ACCOUNTS:
        base = f"{rng.choice(_COMPANY_A)} {rng.choice(_COMPANY_B)}"
        if base not in names:
            names.append(base)
    accounts = []
    for i, base in enumerate(names):
        domain = base.lower().replace(" ", "") + rng.choice((".com", ".io", ".co", ".de"))
        suffix = rng.choice(_SUFFIX)
        accounts.append(
            Entity(f"a{i}", f"{base} {suffix}".strip(), "", "", f"billing@{domain}", domain)
        )
    users, user_account = [], []
    for i in range(N_USERS):
        a = i if i < N_ACCOUNTS else rng.randrange(N_ACCOUNTS)  # every account has a user
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{first.lower()}.{last.lower().replace('ü', 'u')}{i}@{accounts[a].domain}"
        users.append(Entity(f"u{i}", f"{first} {last}", first, last, email, accounts[a].domain))
        user_account.append(a)
    staff = []
    for i, full in enumerate(_STAFF):
        first, last = full.split(" ", 1)
        email = f"{first.lower()}.{last.lower().replace('á', 'a')}@ourcompany.io"
        staff.append(Entity(f"s{i}", full, first, last, email, "ourcompany.io"))
    return accounts, users, user_account, staff


def _styled(entity: Entity, style: str, system: str) -> str:
    match style:
        case "name":
            return entity.name
        case "domain":
            return entity.domain
        case "email":
            return entity.email
        case "first":
            return entity.first
        case "last":
            return entity.last
        case "uuid":
            return str(uuid.UUID(bytes=_digest(system, entity.key)[:16], version=4))
        case "hex":
            return _digest(system, entity.key).hex()[:24]
        case "int":
            return str(_stable_int(1000, 999_999, system, entity.key))
        case "num":
            return str(_stable_int(10**9, 10**10, system, entity.key))
        case "sf":
            return _sfid("001" if entity.key[0] == "a" else "005", system, entity.key)
        case _:  # a vendor prefix: cus_, ctm_, org_…
            return style + _stable_alnum(14, system, style, entity.key)


# ---------------------------------------------------------------------------------------------
# Value generators.


@dataclass
class _Row:
    account: int
    user: int
    owner: int
    base: dt.datetime
    pick: int  # one draw per row shared by the ``enum@`` / ``int@`` columns, so they agree
    amount: float  # the row's invoice or subscription total: amt: columns add up to it


def _fmt_date(value: dt.datetime, fmt: str) -> str:
    match fmt:
        case "iso":
            return value.strftime("%Y-%m-%d")
        case "us":
            return value.strftime("%m/%d/%Y")
        case "eu":
            return value.strftime("%d/%m/%Y")
        case "display":
            return f"{value:%b} {value.day}, {value:%Y}"
        case "jira":
            return value.strftime("%d/%b/%y")
        case "zoho":
            return value.strftime("%b %d, %Y")
        case _:
            return value.strftime("%Y-%m-%d")


def _fmt_datetime(value: dt.datetime, fmt: str) -> str:
    match fmt:
        case "iso":
            return value.strftime("%Y-%m-%dT%H:%M:%SZ")
        case "isoms":
            return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
        case "offset":
            return value.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        case "sql":
            return value.strftime("%Y-%m-%d %H:%M:%S")
        case "us":
            return value.strftime("%m/%d/%Y %I:%M %p")
        case "eu":
            return value.strftime("%d/%m/%Y %H:%M")
        case "display":
            return f"{value:%b} {value.day}, {value:%Y} {value:%I:%M %p}"
        case "jira":
            return value.strftime("%d/%b/%y %I:%M %p")
        case "zoho":
            return value.strftime("%b %d, %Y %I:%M %p")
        case _:
            raise ValueError(f"unknown datetime format {fmt!r}")


def _shift(rng: random.Random, base: dt.datetime, how: str) -> dt.datetime:
    match how:
        case "+":
            return base + dt.timedelta(minutes=rng.randint(20, 14 * 24 * 60))
        case "++":
            return base + dt.timedelta(days=rng.randint(30, 395))
        case "net":
            return base + dt.timedelta(days=rng.choice((0, 14, 15, 30, 30, 30, 45, 60)))
        case "-":
            return base - dt.timedelta(days=rng.randint(3, 365), minutes=rng.randint(0, 1439))
        case _:
            return base


def _range(spec: str) -> tuple[float, float]:
    """``LO-HI`` where either end may be negative: ``-6000-6000``."""
    match = re.fullmatch(r"(-?[\d.]+)-(-?[\d.]+)", spec)
    if not match:
        raise ValueError(f"not a range: {spec!r}")
    return float(match[1]), float(match[2])


def _money(rng: random.Random, spec: str) -> float:
    lo, hi = _range(spec)
    return round(rng.uniform(lo, hi), 2)


Gen = Callable[[random.Random, _Row, int], str | None]


class _Context:
    def __init__(self, seed: int, system: str, layout: str) -> None:
        self.accounts, self.users, self.user_account, self.staff = _population(seed)
        self.system = system
        self.layout = layout


def _generator(spec: str, ctx: _Context, header: str = "") -> Gen:
    """The function that writes one cell of a column declared as ``spec``."""
    if spec.startswith("?"):
        inner = _generator(spec[1:], ctx, header)

        def maybe(rng: random.Random, row: _Row, i: int) -> str | None:
            value = inner(rng, row, i)
            return None if rng.random() < 0.3 else value

        return maybe
    kind, _, arg = spec.partition(":")
    if kind == "only@":  # only@:N:i,j:SPEC - SPEC where the row's pick % N is i or j, else empty
        modulus, which, inner_spec = arg.split(":", 2)
        n, keep = int(modulus), {int(x) for x in which.split(",")}
        inner = _generator(inner_spec, ctx, header)

        def only(rng: random.Random, row: _Row, i: int) -> str | None:
            value = inner(rng, row, i)
            return value if row.pick % n in keep else None

        return only
    if kind == "switch@":  # switch@:SPEC;;SPEC - the row's option picks the generator
        branches = [_generator(b, ctx, header) for b in arg.split(";;")]
        return lambda rng, row, i: branches[row.pick % len(branches)](rng, row, i)
    parts = arg.split(":") if arg else []
    system = ctx.system
    own = (system, ctx.layout, header, spec)  # ids unique to this column of this layout

    def simple(f: Callable[[random.Random], str]) -> Gen:
        return lambda rng, row, i: f(rng)

    match kind:
        case "id":
            return lambda rng, row, i: arg + _stable_alnum(14, *own, i)
        case "seq":
            start = int(arg or 1)
            return lambda rng, row, i: str(start + i * 3 + _stable_int(0, 3, *own, i))
        case "num":
            digits = int(arg or 9)
            span, offset = 9 * 10 ** (digits - 1), _stable_int(0, 10**6, *own)

            def number(rng: random.Random, row: _Row, i: int) -> str:
                # a prime stride through the range: scattered digits, never the same twice
                return str(10 ** (digits - 1) + (offset + i * 982_451_653) % span)

            return number
        case "uuid":
            return lambda rng, row, i: str(uuid.UUID(bytes=_digest(*own, i)[:16], version=4))
        case "hex":
            n = int(arg or 24)
            return lambda rng, row, i: _digest(*own, i).hex()[:n]
        case "sfid":
            return lambda rng, row, i: _sfid(arg, *own, i)
        case "key":
            return lambda rng, row, i: f"{arg}-{1000 + i}"
        case "ref":
            what, style = parts[0], parts[1] if len(parts) > 1 else "name"
            if what == "account":
                return lambda rng, row, i: _styled(ctx.accounts[row.account], style, system)
            if what == "user":
                return lambda rng, row, i: _styled(ctx.users[row.user], style, system)
            if what == "owner":
                return lambda rng, row, i: _styled(ctx.staff[row.owner], style, system)
            raise ValueError(f"unknown reference {spec!r}")
        case "email":
            return lambda rng, row, i: ctx.users[row.user].email
        case "person":
            return lambda rng, row, i: ctx.users[row.user].name
        case "first":
            return lambda rng, row, i: ctx.users[row.user].first
        case "last":
            return lambda rng, row, i: ctx.users[row.user].last
        case "company":
            return lambda rng, row, i: ctx.accounts[row.account].name
        case "domain":
            return lambda rng, row, i: ctx.accounts[row.account].domain
        case "url":
            return lambda rng, row, i: f"https://www.{ctx.accounts[row.account].domain}"
        case "phone":
            return simple(lambda rng: f"+1 {rng.randint(201, 989)}-555-{rng.randint(0, 9999):04d}")
        case "city":
            return lambda rng, row, i: _CITIES[row.account % len(_CITIES)][0]
        case "country":
            return lambda rng, row, i: _CITIES[row.account % len(_CITIES)][1]
        case "country_code":
            return lambda rng, row, i: _CITIES[row.account % len(_CITIES)][2]
        case "state":
            return lambda rng, row, i: _CITIES[row.account % len(_CITIES)][3]
        case "industry":
            return lambda rng, row, i: _INDUSTRIES[row.account % len(_INDUSTRIES)]
        case "title":
            return lambda rng, row, i: _TITLES[row.user % len(_TITLES)]
        case "ip":
            return simple(
                lambda rng: (
                    f"{rng.randint(23, 212)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                )
            )
        case "user_agent":
            return simple(lambda rng: rng.choice(_AGENTS))
        case "date" | "datetime" | "epoch":
            fmt = parts[0] if parts else "iso"
            how = parts[1] if len(parts) > 1 else ""

            def when(rng: random.Random, row: _Row, i: int) -> str:
                value = _shift(rng, row.base, how)
                if kind == "date":
                    return _fmt_date(value, fmt)
                if kind == "datetime":
                    return _fmt_datetime(value, fmt)
                if fmt in {"msday", "sday"}:
                    value = value.replace(hour=0, minute=0, second=0, microsecond=0)
                elif fmt in {"mshour", "shour"}:
                    value = value.replace(minute=0, second=0, microsecond=0)
                seconds = int(value.replace(tzinfo=dt.UTC).timestamp())
                return str(seconds * 1000 if fmt.startswith("ms") else seconds)

            return when
        case "int":
            lo, hi = (int(x) for x in _range(arg))
            return simple(lambda rng: str(rng.randint(lo, hi)))
        case "float":
            lo, hi = _range(arg)
            return simple(lambda rng: f"{rng.uniform(lo, hi):.4f}")
        case "pct":
            return simple(lambda rng: f"{rng.uniform(0, 100):.2f}%")
        case "money":
            if len(parts) > 1 and parts[1] == "display":
                return simple(lambda rng: f"${_money(rng, parts[0]):,.2f}")
            return simple(lambda rng: f"{_money(rng, parts[0]):.2f}")
        case "amt":  # amt:PART[:FMT] - parts of the row's amount, tax at 10 %
            part, fmt = parts[0], parts[1] if len(parts) > 1 else ""

            def amount(rng: random.Random, row: _Row, i: int) -> str:
                subtotal = round(row.amount / 1.1, 2)
                value = {
                    "total": row.amount,
                    "subtotal": subtotal,
                    "tax": round(row.amount - subtotal, 2),
                    "monthly": round(row.amount / 12, 2),
                }[part]
                if fmt == "minor":
                    return str(round(value * 100))
                if fmt == "display":
                    return f"${value:,.2f}"
                return f"{value:.2f}"

            return amount
        case "minor":
            return simple(lambda rng: str(round(_money(rng, arg) * 100)))
        case "enum@":
            options = [o or None for o in arg.split("|")]
            return lambda rng, row, i: options[row.pick % len(options)]
        case "int@":
            ranges = [_range(r) for r in arg.split("|")]

            def ranged(rng: random.Random, row: _Row, i: int) -> str:
                lo, hi = ranges[row.pick % len(ranges)]
                return str(rng.randint(int(lo), int(hi)))

            return ranged
        case "enum":
            choices = [c or None for c in arg.split("|")]
            return simple(lambda rng: rng.choice(choices))
        case "const":  # ``const:`` alone is an empty cell
            return lambda rng, row, i: arg or None
        case "score":  # nps: 0-10 leaning to promoters; csat: 1-5 leaning to satisfied
            scale, weights = {
                "nps": (range(11), (2, 1, 1, 2, 2, 4, 5, 9, 16, 20, 18)),
                "csat": (range(1, 6), (1, 1, 3, 8, 12)),
            }[arg]
            return simple(lambda rng: str(rng.choices(scale, weights)[0]))
        case "bool":
            pair = {"TF": ("TRUE", "FALSE"), "yn": ("Yes", "No"), "01": ("1", "0")}.get(
                arg, ("true", "false")
            )
            return simple(lambda rng: pair[0] if rng.random() < 0.5 else pair[1])
        case "currency":
            return lambda rng, row, i: arg or ("USD", "USD", "USD", "EUR", "GBP")[row.account % 5]
        case "plan":
            return lambda rng, row, i: _PLANS[row.account % len(_PLANS)]
        case "product":
            return simple(lambda rng: rng.choice(_PRODUCTS))
        case "blurb":
            return simple(lambda rng: rng.choice(_BLURBS))
        case "subject":
            return simple(lambda rng: rng.choice(_SUBJECTS))
        case "event":
            style = arg or "title"

            def event(rng: random.Random, row: _Row, i: int) -> str:
                if style == "posthog":
                    return rng.choice(_POSTHOG)
                if style == "web":
                    return rng.choice(_WEB)
                name = _FEATURES[min(int(rng.expovariate(0.35)), len(_FEATURES) - 1)]
                return name.lower().replace(" ", "_") if style == "snake" else name

            return event
        case "text" | "sentence":
            return simple(lambda rng: rng.choice(_SENTENCES))
        case "word":
            return simple(lambda rng: rng.choice(_WORDS))
        case "json":
            return _json_generator(arg or "props", ctx)
    raise ValueError(f"unknown generator {spec!r}")


def _json_generator(kind: str, ctx: _Context) -> Gen:
    def blob(rng: random.Random, row: _Row, i: int) -> str:
        account, user = ctx.accounts[row.account], ctx.users[row.user]
        match kind:
            case "props":
                value: object = {
                    "$browser": rng.choice(("Chrome", "Firefox", "Safari")),
                    "$current_url": f"https://app.example.com/{rng.choice(_WORDS)}",
                    "plan": _PLANS[row.account % len(_PLANS)],
                }
            case "traits":
                value = {"email": user.email, "name": user.name, "company": account.name}
            case "groups":
                value = {"company_id": _styled(account, "int", ctx.system)}
            case "list":
                value = rng.sample(_WORDS, 2)
            case _:
                value = {}
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    return blob


# ---------------------------------------------------------------------------------------------
# Building the files.


def _rows(layout: Layout, ctx: _Context, rng: random.Random) -> list[_Row]:
    """Who and when each row is about: events repeat users, one-per-entity files do not."""
    per_entity = layout.expect in {"accounts", "account_keys", "owners"} or any(
        spec.startswith("id:") or spec.startswith("seq:") for _, spec in layout.columns[:1]
    )
    # lists of people (contacts, leads, product users) name each person once
    people = list(range(N_USERS))
    rng.shuffle(people)
    listing = layout.expect in {"not_customer", "owners", "contacts"} and layout.rows <= N_USERS
    rows = []
    for i in range(layout.rows):
        if listing:
            user = people[i]
            account = ctx.user_account[user]
        elif layout.expect in {"accounts", "account_keys"}:
            account = i % N_ACCOUNTS
            user = account
        elif per_entity and layout.expect not in {"usage_events"}:
            user = rng.randrange(N_USERS)
            account = ctx.user_account[user]
        else:
            # events: half the rows from a few heavy users, the rest from anyone
            if rng.random() < 0.5:
                user = (rng.randrange(20) * 37) % N_USERS
            else:
                user = rng.randrange(N_USERS)
            account = ctx.user_account[user]
        owner = (i % len(ctx.staff)) if layout.expect == "owners" else account % len(ctx.staff)
        base = ANCHOR - dt.timedelta(days=rng.randint(0, 540), seconds=rng.randint(0, 86399))
        tier = 1 + account % 5  # bigger companies pay more
        amount = round(rng.uniform(80, 900) * tier * 4, 2)
        rows.append(_Row(account, user, owner, base, rng.randrange(720720), amount))
    return rows


def frame(layout: Layout, seed: int = 0) -> pl.DataFrame:
    """The layout's rows as text, headers exactly as declared."""
    salt = zlib.crc32(f"{layout.system}/{layout.name}".encode())
    rng = random.Random(seed * 1_000_003 + salt)
    ctx = _Context(seed, layout.system, layout.name)
    gens = [(header, _generator(spec, ctx, header)) for header, spec in layout.columns]
    rows = _rows(layout, ctx, rng)
    data: dict[str, list[str | None]] = {header: [] for header, _ in gens}
    for i, row in enumerate(rows):
        for header, gen in gens:
            data[header].append(gen(rng, row, i))
    return pl.DataFrame(data, schema={h: pl.String for h, _ in gens})


def _typed(df: pl.DataFrame) -> pl.DataFrame:
    """For Parquet: integer and decimal columns stored as numbers, as a warehouse would."""
    out = []
    for name in df.columns:
        col = df[name]
        for dtype in (pl.Int64, pl.Float64):
            cast = col.cast(dtype, strict=False)
            if cast.null_count() == col.null_count() and col.null_count() < len(col):
                col = cast
                break
        out.append(col)
    return pl.DataFrame(out)


def _write_xlsx(df: pl.DataFrame, path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Export"
    sheet.append(df.columns)
    for row in df.iter_rows():
        sheet.append(list(row))
    book.save(path)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")


def build(folder: Path, seed: int = 0, systems: set[str] | None = None) -> list[CorpusFile]:
    """Write one file per layout into ``folder`` and say what each is expected to be.

    ``systems`` limits the build to those systems' layouts (all when None).
    """
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for layout in load_layouts():
        if systems is not None and layout.system not in systems:
            continue
        df = frame(layout, seed)
        path = folder / f"{_slug(layout.system)}__{_slug(layout.name)}.{layout.format}"
        if layout.format == "csv":
            df.write_csv(path)
        elif layout.format == "parquet":
            _typed(df).write_parquet(path)
        else:
            _write_xlsx(df, path)
        files.append(
            CorpusFile(
                path,
                layout.system,
                layout.name,
                layout.shape,
                layout.expect,
                layout.source,
                layout.also,
            )
        )
    return files


if __name__ == "__main__":  # pragma: no cover - a convenience for looking at the files
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus-out")
    for f in build(target):
        print(f"{f.expect:14} {f.shape:6} {f.path.name}")
