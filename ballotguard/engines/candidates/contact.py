"""Candidates' contact details: validation and normalisation, so what is stored can later be matched.

Phone numbers become E.164 (``+447700900123``) with the ``phonenumbers`` package, e-mail addresses
are case-folded, postcodes are upper-cased and spaced (``SW1A 1AA``).

Error messages are English, each one whole message marked with ``gettext_noop`` for the Welsh
catalogue; a page or API answer shows ``gettext(error.message)`` (see :mod:`ballotguard.engines.common.i18n`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import phonenumbers

from ballotguard.engines.common.i18n import gettext_noop

_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_BAD_EMAIL = gettext_noop("Enter an email address in the correct format, like name@example.com")
_BAD_PHONE = gettext_noop("Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192")
_BAD_POSTCODE = gettext_noop("Enter a real postcode, like SW1A 1AA")
_LONG_ADDRESS = gettext_noop("Address must be 500 characters or fewer")
MESSAGES = (_BAD_EMAIL, _BAD_PHONE, _BAD_POSTCODE, _LONG_ADDRESS)
"""Every message a :class:`ContactError` can carry (the tests check each has a Welsh translation)."""
# The UK postcode format (BS 7666), including GIR 0AA and BFPO-free forms.
_POSTCODE = re.compile(r"^(GIR ?0AA|[A-PR-UWYZ](?:[0-9][0-9A-HJKPS-UW]?|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?) ?[0-9][ABD-HJLNP-UW-Z]{2})$")


class ContactError(ValueError):
    """A contact detail is not valid. ``field`` names it, ``message`` says why in plain English (a
    catalogue message: translate it with ``gettext`` where it is shown)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ContactDetails:
    email: str = ""
    phone: str = ""
    address: str = ""
    postcode: str = ""

    def is_empty(self) -> bool:
        return not any(asdict(self).values())

    def present_fields(self) -> list[str]:
        return [k for k, v in asdict(self).items() if v]


def normalise_email(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if len(value) > 254 or not _EMAIL.match(value):
        raise ContactError("email", _BAD_EMAIL)
    return value.casefold()


def normalise_phone(value: str, region: str = "GB") -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ContactError("phone", _BAD_PHONE) from None
    if not phonenumbers.is_possible_number(number) or not (phonenumbers.is_valid_number(number) or _is_ofcom_drama(number)):
        raise ContactError("phone", _BAD_PHONE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Ofcom reserves these ranges for drama and examples; phonenumbers calls them invalid, but demos,
# tests and training material use them precisely because they can never reach a real person.
_OFCOM_DRAMA_PREFIXES = ("7700900", "1632960", "1134960", "1144960", "1154960", "1164960", "1174960", "1184960", "2079460", "2890180", "2920180", "1914980", "1314960", "1414960")


def _is_ofcom_drama(number: phonenumbers.PhoneNumber) -> bool:
    return number.country_code == 44 and str(number.national_number).startswith(_OFCOM_DRAMA_PREFIXES)


def normalise_postcode(value: str) -> str:
    compact = re.sub(r"\s+", "", value).upper()
    if not compact:
        return ""
    if not _POSTCODE.match(compact):
        raise ContactError("postcode", _BAD_POSTCODE)
    return f"{compact[:-3]} {compact[-3:]}"


def normalise_address(value: str) -> str:
    lines = [" ".join(line.split()) for line in value.replace("\r", "\n").split("\n")]
    text = "\n".join(line for line in lines if line)
    if len(text) > 500:
        raise ContactError("address", _LONG_ADDRESS)
    return text


def validate_contact(email: str = "", phone: str = "", address: str = "", postcode: str = "") -> tuple[ContactDetails, list[ContactError]]:
    """Normalise every field; collect every error rather than stopping at the first."""
    out: dict[str, str] = {}
    errors: list[ContactError] = []
    for name, fn, raw in (
        ("email", normalise_email, email),
        ("phone", normalise_phone, phone),
        ("address", normalise_address, address),
        ("postcode", normalise_postcode, postcode),
    ):
        try:
            out[name] = fn(raw or "")
        except ContactError as err:
            errors.append(err)
            out[name] = ""
    return ContactDetails(**out), errors
