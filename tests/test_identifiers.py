"""The numbers people type, and the triage policy that follows from their answers."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.core.identifiers import (
    InvalidIdentifier, case_number, format_phone, is_guessable_pin, new_case_number, parse_a_number, parse_case_number,
    parse_phone, parse_pin,
)
from kiosk.core.triage import triage


@pytest.mark.parametrize("raw, expected", [
    ("201234567", "201234567"), ("A201234567", "201234567"), ("a 201-234-567", "201234567"),
    ("12345678", "012345678"),
])
def test_a_numbers(raw, expected):
    assert parse_a_number(raw) == expected


@pytest.mark.parametrize("raw", ["", None, "1234567", "1234567890", "12345678x", "١٢٣٤٥٦٧٨", "12 34 56 7\u202e8"])
def test_bad_a_numbers(raw):
    with pytest.raises(InvalidIdentifier):
        parse_a_number(raw)


@pytest.mark.parametrize("raw", ["123", "1234567", "12a4", "", "１２３４"])
def test_bad_pins(raw):
    with pytest.raises(InvalidIdentifier):
        parse_pin(raw)


@pytest.mark.parametrize("pin, guessable", [
    ("0000", True), ("8888", True), ("999999", True), ("1234", True), ("23456", True), ("4321", True),
    ("987654", True), ("7890", True), ("8901", True), ("3210", True), ("1098", True),
    ("2468", False), ("1357", False), ("1235", False), ("1122", False), ("0852", False), ("5170", False),
    ("12344", False),
])
def test_pins_anyone_would_try_first(pin, guessable):
    assert is_guessable_pin(pin) is guessable


def test_case_numbers_catch_a_mistyped_or_swapped_digit():
    number = case_number(2026, 1234567)
    assert parse_case_number(number.replace("-", "")) == number
    digits = number.replace("-", "")
    for i in range(10):
        wrong = digits[:i] + str((int(digits[i]) + 1) % 10) + digits[i + 1:]
        with pytest.raises(InvalidIdentifier):
            parse_case_number(wrong)
    swapped = digits[:3] + digits[4] + digits[3] + digits[5:]
    assert swapped != digits  # two different digits, or the swap would prove nothing
    with pytest.raises(InvalidIdentifier):
        parse_case_number(swapped)
    assert parse_case_number(new_case_number(2026))


# Families and lawyers text from the United States and from home: Mexico, Guatemala, Honduras,
# Haiti, India ... A number without a country code is a US number; "+", "00" and "011" start others.
@pytest.mark.parametrize("raw, expected, shown", [
    ("512 555 0199", "+15125550199", "(512) 555-0199"),
    ("1-512-555-0199", "+15125550199", "(512) 555-0199"),
    ("+52 55 1234 5678", "+525512345678", "+52 55 1234 5678"),      # Mexico City
    ("0052 55 1234 5678", "+525512345678", "+52 55 1234 5678"),
    ("011 502 2345 6789", "+50223456789", "+502 2345 6789"),         # Guatemala, dialled from the US
    ("+504 9876-5432", "+50498765432", "+504 9876-5432"),            # Honduras, a mobile
    ("+509 34 12 3456", "+50934123456", "+509 34 12 3456"),          # Haiti
    ("+91 98765 43210", "+919876543210", "+91 98765 43210"),         # India
])
def test_phone_numbers_of_any_country_are_stored_in_e164_and_shown_as_their_country_writes_them(raw, expected,
                                                                                                  shown):
    assert parse_phone(raw) == expected
    assert format_phone(expected) == shown


@pytest.mark.parametrize("raw", ["", "12345", "+0123456789", "call me", "+1 512 555 0199 0000 0000",
                                 "+999 1234 5678", "+1 555 0100", "+52 1", "9" * 5000, "+١٢٣"])
def test_numbers_no_country_has_are_refused(raw):
    with pytest.raises(InvalidIdentifier):
        parse_phone(raw)


def test_triage_follows_category_and_urgency():
    routine = {"urgent": "no", "since": "today", "raised_with_facility": "not_yet"}
    medical = triage("medical", routine)
    assert (medical.is_emergency, medical.priority, medical.due_in) == (False, 1, timedelta(hours=24))
    emergency = triage("medical", {**routine, "urgent": "yes"})
    assert emergency.is_emergency and emergency.priority == 0 and emergency.due_in <= timedelta(hours=24)
    prea = triage("safety", {**routine, "safety_kind": "sexual_abuse"})
    assert prea.is_emergency and prea.priority == 0
    legal = triage("legal_access", routine)
    assert (legal.priority, legal.due_in) == (2, timedelta(days=5))
    food_urgent = triage("food", {**routine, "urgent": "yes"})
    assert not food_urgent.is_emergency and food_urgent.due_in == timedelta(hours=24)
