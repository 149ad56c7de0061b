"""Bring your own data: read uploaded files, map their columns onto the canonical schema,
validate every row, and load the good rows in one transaction."""
