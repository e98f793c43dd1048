"""Error bodies every API router answers with (see ``ballotguard/api.py`` for how they are made)."""

from ninja import Schema


class FieldErrorOut(Schema):
    field: str
    message: str
    loc: list[str | int] = []


class FieldErrorsOut(Schema):
    detail: list[FieldErrorOut]


class MessageOut(Schema):
    detail: str


# Paging offsets beyond this are refused with a 422 naming ``offset``: a larger number overflows the
# databases' 64-bit LIMIT/OFFSET (a 500 before issue 14) and no list is that long.
MAX_OFFSET = 1_000_000_000
