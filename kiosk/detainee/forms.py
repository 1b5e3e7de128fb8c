"""The kiosk's forms; their messages are in the detainee's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import ValidationError

from kiosk.core import text
from kiosk.core.cases import MAX_DESCRIPTION
from kiosk.core.identifiers import (
    InvalidIdentifier,
    is_guessable_pin,
    parse_a_number,
    parse_case_number,
    parse_phone,
    parse_pin,
)


def _parsed_by(parser, message):
    """A validator that accepts what the parser accepts and keeps its canonical form."""

    def validate(form, field):
        try:
            field.parsed = parser(field.data)
        except InvalidIdentifier:
            raise ValidationError(message) from None

    return validate


class ANumberForm(FlaskForm):
    a_number = StringField(validators=[_parsed_by(parse_a_number, _l("An A-number has 8 or 9 digits. Please try again."))])


_PIN_DIGITS = _l("A PIN has 4, 5 or 6 digits. Please try again.")


class PinForm(FlaskForm):
    pin = StringField(validators=[_parsed_by(parse_pin, _PIN_DIGITS)])


def _hard_to_guess(form, field):
    if not field.errors and is_guessable_pin(field.parsed):
        raise ValidationError(_l("Anyone could guess this PIN. Choose numbers that are not all the same and not "
                                 "in a row like 1234."))


class NewPinForm(FlaskForm):
    """A PIN being chosen: one that others would try first is refused."""

    pin = StringField(validators=[_parsed_by(parse_pin, _PIN_DIGITS), _hard_to_guess])


class ChoiceForm(FlaskForm):
    """A tap on one of several big buttons; the view checks the value is one it offered."""

    choice = StringField()


class WordsForm(FlaskForm):
    description = TextAreaField()

    def validate_description(self, field):
        try:
            field.data = text.clean(field.data, limit=MAX_DESCRIPTION, what="complaint")
        except text.TextRefused:
            raise ValidationError(_l("Your text is too long. Please make it shorter.")) from None


class SendForm(FlaskForm):
    submission = HiddenField()


class MessageForm(FlaskForm):
    """A later message; the core cleans it and checks length and emptiness (kiosk/core/cases.py)."""

    words = TextAreaField()
    submission = HiddenField()


class PhoneForm(FlaskForm):
    phone = StringField(validators=[_parsed_by(parse_phone, _l("This phone number is not right. Please check it."))])


def _parse_tracking_identifier(raw):
    """An A-number (8 or 9 digits) or a case number (10 digits)."""
    digits = "".join(ch for ch in (raw or "") if ch not in " -")
    if len(digits) == 10:
        return ("case_number", parse_case_number(digits))
    return ("a_number", parse_a_number(digits))


class TrackForm(FlaskForm):
    identifier = StringField(
        validators=[_parsed_by(_parse_tracking_identifier, _l("This number is not right. Please check it."))]
    )
