"""The one way a name or a fixed value is written into SQL text.

Values reach DuckDB as bound parameters wherever a statement allows them; where it does not
(an identifier: a table or column name; a literal inside generated DDL or a CASE built from a
mapping), it goes through these two helpers and nowhere else.
"""

from __future__ import annotations


def ident(name: str) -> str:
    """A quoted SQL identifier: ``status"; DROP`` becomes ``"status""; DROP"``, one name."""
    return '"' + str(name).replace('"', '""') + '"'


def literal(value: object) -> str:
    """An SQL string literal, quotes doubled: ``O'Brien`` becomes ``'O''Brien'``."""
    return "'" + str(value).replace("'", "''") + "'"
