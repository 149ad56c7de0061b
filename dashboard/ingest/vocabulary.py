"""What an account's status says, by a stated rule, so that a vocabulary never rejects a
customer. Every distinct value of the status column (a CRM's lifecycle stage, a custom
stage, a status in another language) is kept as the file writes it and becomes one of:

- ``active``: customer-like (customer, active, paying, live, client, Kunde, evangelist,
  renewed…);
- ``churned``: former-customer-like (churned, cancelled, former customer, lost customer,
  inactive customer, ehemaliger Kunde…), and a churn flag that is set (true, yes, 1);
- ``not a customer``: a lead, prospect, subscriber, opportunity, marketing or sales
  qualified lead, a trial only: reported with its count, not loaded as an account and not a
  churn (rows of other tables that point at one are reported with that reason);
- ``unknown``: a value no rule knows (HubSpot's ``Other``): kept as a customer whose status
  is unknown (never a churn), and listed.

A person's value map (the mapping's ``values.status``, saved with the mapping) comes before
the rule; the preview lists every value with its count and what it became
(``vocabulary_table``).
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from dashboard.ingest.mapping import lookup_value

ACTIVE, CHURNED, NOT_CUSTOMER, UNKNOWN = "active", "churned", "not a customer", "unknown"
BECOMES = [ACTIVE, CHURNED, NOT_CUSTOMER, UNKNOWN]

# Whole values that are a churn flag (a column such as churn_flag or is_churned)
FLAGS = {
    "true": CHURNED,
    "yes": CHURNED,
    "1": CHURNED,
    "y": CHURNED,
    "t": CHURNED,
    "false": ACTIVE,
    "no": ACTIVE,
    "0": ACTIVE,
    "n": ACTIVE,
    "f": ACTIVE,
}
# Words and phrases, compared after lower case, accents and punctuation are set aside; the
# former-customer phrases are tried first ("former customer" holds "customer"), then the
# not-yet-customer ones ("trial customer"), then the customer ones.
FORMER = [
    "churned",
    "churn",
    "cancelled",
    "canceled",
    "cancellation",
    "former customer",
    "former client",
    "lost customer",
    "lost client",
    "inactive customer",
    "ex customer",
    "past customer",
    "closed lost",
    "lost",
    "inactive",
    "terminated",
    "expired",
    "deactivated",
    "ehemaliger kunde",
    "ehemalig",
    "gekundigt",
    "verloren",
    "ancien client",
    "resilie",
    "perdu",
    "inactif",
    "ex cliente",
    "cancelado",
    "perdido",
    "voormalige klant",
    "opgezegd",
]
NOT_YET = [
    "lead",
    "prospect",
    "subscriber",
    "opportunity",
    "marketing qualified lead",
    "sales qualified lead",
    "mql",
    "sql",
    "trial",
    "trialing",
    "trial only",
    "free trial",
    "evaluation",
    "interessent",
    "potenzieller kunde",
    "prospekt",
    "interesse",
    "abonnent",
    "opportunite",
    "prospecto",
    "oportunidad",
    "not a customer",
    "non customer",
    "contact",
    "newsletter",
]
CUSTOMER = [
    "customer",
    "active",
    "paying",
    "live",
    "client",
    "kunde",
    "evangelist",
    "renewed",
    "closed won",
    "won",
    "subscribed",
    "aktiv",
    "bestandskunde",
    "actif",
    "cliente",
    "activo",
    "klant",
    "actief",
    "member",
    "advocate",
    "onboarding",
    "in production",
    "current",
]
RULES = {
    "map": "your value map",
    "flag": "a churn flag",
    FORMER[0]: "former-customer-like",
    NOT_YET[0]: "not a customer yet",
    CUSTOMER[0]: "customer-like",
    UNKNOWN: "no rule knows it",
}


def _words(value: str) -> str:
    """``Client actif`` -> ``client actif``; ``Gekündigt!`` -> ``gekundigt``."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return " ".join(re.findall(r"[a-z0-9]+", plain.lower()))


def _has(words: str, phrases: list[str]) -> bool:
    padded = f" {words} "
    return any(f" {p} " in padded for p in phrases)


def by_rule(value: str) -> tuple[str, str]:
    """What a status value becomes by the stated rule, and the rule's name."""
    lowered = value.strip().lower()
    if lowered in FLAGS:
        return FLAGS[lowered], RULES["flag"]
    words = _words(value)
    if _has(words, FORMER):
        return CHURNED, RULES[FORMER[0]]
    if _has(words, NOT_YET):
        return NOT_CUSTOMER, RULES[NOT_YET[0]]
    if _has(words, CUSTOMER):
        return ACTIVE, RULES[CUSTOMER[0]]
    return UNKNOWN, RULES[UNKNOWN]


def normalise_target(target: str) -> str | None:
    """A value map's target as a status outcome ('' is unknown); None when it is none."""
    t = target.strip().lower().replace("_", " ")
    if t in ("", "none", "null", UNKNOWN):
        return UNKNOWN
    if t in ("not customer", "non customer", "not a customer", "skip", "lead", "prospect"):
        return NOT_CUSTOMER
    return t if t in (ACTIVE, CHURNED) else None


def decide(values: list[tuple[str, int]], person: dict[str, str]) -> pl.DataFrame:
    """For each distinct value (as written, rows): what it became and by which rule. A
    person's map (any case) comes first; a target it names that is no outcome is kept as
    written, so the row is rejected with it."""
    rows: list[dict[str, object]] = []
    for value, count in values:
        target = lookup_value(person, value)
        if target is not None:
            became = normalise_target(target) or target
            rule = RULES["map"]
        else:
            became, rule = by_rule(value)
        rows.append({"value": value, "rows": count, "became": became, "rule": rule})
    return pl.DataFrame(
        rows, schema={"value": pl.String, "rows": pl.Int64, "became": pl.String, "rule": pl.String}
    )


def with_edits(person: dict[str, str], edited: pl.DataFrame) -> dict[str, str]:
    """The value map after a person changed what some values become (the preview's table):
    every value whose outcome differs from the rule's is kept in the map."""
    out = dict(person)
    for value, became in edited.select("value", "became").iter_rows():
        if became is None:
            continue
        if by_rule(value)[0] == became and value not in person:
            continue
        out[value] = became
    return out


# -- a contact's stakeholder role, from a role or a job title --------------------------------------
# The stated rule, checked in this order on the value's words (any case, accents and
# punctuation set aside); the first list that names one of the value's words or phrases
# decides. A value no list names is kept *unknown* (no role: never guessed as a "user"), the
# title itself is kept, and the import lists the values it could not place with their counts
# (a first list names role words that place nobody: a technical buyer is not the economic one).
# Finance titles are buyers before "vice president" makes them sponsors; "vice president"
# is a sponsor's title before "president" makes it a buyer's.
CONTACT_ROLE_WORDS: tuple[tuple[str | None, list[str]], ...] = (
    # roles that hold a role word but are none of the five (Salesforce's contact roles
    # "Technical Buyer", "Evaluator", "Influencer"): unknown, before "buyer" makes one a buyer
    (None, ["technical buyer", "technical evaluator", "evaluator", "influencer"]),
    ("champion", ["champion", "advocate", "internal champion", "power user", "super user"]),
    (
        "economic buyer",
        [
            "vp finance",
            "vp of finance",
            "vice president finance",
            "vice president of finance",
            "economic buyer",
            "budget holder",
            "budget owner",
            "decision maker",
            "signer",
            "signatory",
            "cfo",
            "chief financial officer",
            "finance director",
            "director of finance",
            "head of finance",
            "procurement",
            "purchasing",
        ],
    ),
    (
        "sponsor",
        ["executive sponsor", "sponsor", "vice president", "vp", "svp", "evp", "avp"],
    ),
    (
        "economic buyer",
        [
            "buyer",
            "ceo",
            "coo",
            "chief executive officer",
            "chief operating officer",
            "president",
            "founder",
            "co founder",
            "cofounder",
            "managing director",
            "geschaftsfuhrer",
        ],
    ),
    ("sponsor", ["director", "head", "chief", "cto", "cio", "cmo", "cro", "general manager"]),
    (
        "admin",
        [
            "admin",
            "administrator",
            "system administrator",
            "it manager",
            "it",
            "sysadmin",
            "systems engineer",
            "platform owner",
        ],
    ),
    ("user", ["user", "end user", "key user", "member"]),
)


def contact_role(value: str) -> str | None:
    """The stakeholder role a role or job title names by the stated rule
    (``CONTACT_ROLE_WORDS``), or None: a value the rule does not know is unknown."""
    words = _words(value)
    for role, phrases in CONTACT_ROLE_WORDS:
        if _has(words, phrases):
            return role
    return None
