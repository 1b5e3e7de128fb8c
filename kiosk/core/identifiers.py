"""The numbers people type: A-numbers, PINs, phone numbers and case numbers.

Each parser takes whatever was typed and returns the canonical form, or raises
InvalidIdentifier: the surfaces turn that into a message in the person's language.
"""
from __future__ import annotations

import re
import secrets

import phonenumbers

_NOT_DIGITS = re.compile(r"[\s\-().]")


class InvalidIdentifier(ValueError):
    pass


def _digits(raw: str | None, separators: re.Pattern = _NOT_DIGITS) -> str:
    value = separators.sub("", raw or "")
    if not value.isascii() or not value.isdigit():
        raise InvalidIdentifier(raw)
    return value


def parse_a_number(raw: str | None) -> str:
    """An Alien Registration Number: 8 or 9 digits; an 8-digit one is stored zero-padded."""
    value = (raw or "").strip().upper().removeprefix("A")
    digits = _digits(value)
    if len(digits) not in (8, 9):
        raise InvalidIdentifier(raw)
    return digits.zfill(9)


def format_a_number(a_number: str) -> str:
    return f"A {a_number[0:3]}-{a_number[3:6]}-{a_number[6:9]}"


def parse_pin(raw: str | None) -> str:
    value = (raw or "").strip()
    if not (value.isascii() and value.isdigit() and 4 <= len(value) <= 6):
        raise InvalidIdentifier(raw)
    return value


def is_guessable_pin(pin: str) -> bool:
    """A PIN anyone would try first: one digit over and over (0000, 8888) or a run up or down the
    digits (1234, 98765, 7890, 3210). Refused when a PIN is chosen; a PIN chosen before still opens."""
    steps = {(int(after) - int(before)) % 10 for before, after in zip(pin, pin[1:])}
    return steps in ({0}, {1}, {9})


# The country the facilities are in: a number typed without a country code is read as one of its numbers.
HOME_REGION = "US"


def parse_phone(raw: str | None) -> str:
    """A phone number of any country, in E.164 (+525512345678). Written without a country code it is
    read as a number of HOME_REGION; "+", "00" and "011" all start an international one. A number
    no country has (+999…, too short, too long) is refused."""
    value = (raw or "").strip()
    if value.startswith("00"):
        value = "+" + value[2:]
    if len(value) > 40:
        raise InvalidIdentifier(raw)
    try:
        number = phonenumbers.parse(value, HOME_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidIdentifier(raw) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """A stored number as people of its country write it: (512) 555-0123 at home, +52 55 1234 5678
    for another country. Anything that is not a number is shown as it is."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = number.country_code == phonenumbers.country_code_for_region(HOME_REGION)  # dialled the same way
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL if home
                                      else phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def masked_phone(phone: str) -> str:
    """What the kiosk shows of a trusted number: enough to recognise it."""
    return "•••• " + phone[-4:]


# Case numbers: YY-NNNN-NNNC, ten digits with a Luhn check digit so that one
# mistyped or swapped digit is caught before anything is looked up. Digits only:
# easy on a numeric keypad and on any phone, in any script.
CASE_NUMBER_PATTERN = re.compile(r"\b\d{2}-\d{4}-\d{4}\b")


def _luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def _format_case_number(digits: str) -> str:
    return f"{digits[0:2]}-{digits[2:6]}-{digits[6:10]}"


def case_number(year: int, serial: int) -> str:
    body = f"{year % 100:02d}{serial:07d}"
    return _format_case_number(body + _luhn_check_digit(body))


def new_case_number(year: int) -> str:
    """Random rather than sequential: a number says nothing about how many cases exist."""
    return case_number(year, secrets.randbelow(10**7))


def parse_case_number(raw: str | None) -> str:
    digits = _digits(raw)
    if len(digits) != 10 or _luhn_check_digit(digits[:9]) != digits[9]:
        raise InvalidIdentifier(raw)
    return _format_case_number(digits)


def new_share_code() -> str:
    """Eight digits the detainee gives to family or a lawyer; shown once, stored hashed."""
    return f"{secrets.randbelow(10**8):08d}"


def parse_share_code(raw: str | None) -> str:
    digits = _digits(raw)
    if len(digits) != 8:
        raise InvalidIdentifier(raw)
    return digits


def format_share_code(code: str) -> str:
    return f"{code[:4]} {code[4:]}"
