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
