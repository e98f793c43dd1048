"""Logging filters that keep personal data out of application logs."""

import logging


class RedactQueryStrings(logging.Filter):
    """Strip query strings from request lines: filters such as ``?q=Jane+Smith`` can name a person."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(_redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = _redact(record.msg)
        return True


def _redact(text: str) -> str:
    # "GET /candidates/?party=x HTTP/1.1" -> "GET /candidates/?[redacted] HTTP/1.1"
    out = []
    for word in text.split(" "):
        if "?" in word and word.startswith("/"):
            word = word.split("?", 1)[0] + "?[redacted]"
        out.append(word)
    return " ".join(out)
