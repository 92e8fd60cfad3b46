"""Form helpers for pages: errors as the design system shows them, choices, plain numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext, lazy_gettext
from wtforms import Field
from wtforms.utils import unset_value
from wtforms.validators import ValidationError

DATE_PARTS = ("day", "month", "year")


def field_errors(form) -> list[dict[str, str]]:
    """A WTForms form's errors as the NHS.UK error summary's list, each linking its field."""
    items = []
    for field in form:
        for message in field.errors:
            items.append({"text": message,
                          "href": f"#{getattr(field, 'error_anchor', field.id)}"})
    return items


def choice_items(field) -> list[dict[str, Any]]:
    """A WTForms SelectField's choices as the NHS.UK select component's items."""
    return [{"value": choice.value, "text": choice.label,
             "selected": str(choice.value) == str(field.data)} for choice in field.choices]


def select_items(options: dict[str, str], chosen: str) -> list[dict[str, Any]]:
    """Options as the NHS.UK select component's items, the chosen one selected."""
    return [{"value": value, "text": text, "selected": value == chosen}
            for value, text in options.items()]


def is_whole_number(text: str, max_digits: int = 12) -> bool:
    """Whether ``text`` is a whole number in ASCII digits (``int()`` also reads other
    scripts' digits, "٤" as 4, which no form here means)."""
    return text.isascii() and text.isdigit() and len(text) <= max_digits


def missing_parts_message(name: str, missing: list[str]) -> str:
    """What a date lacks, as one whole sentence per case (never joined from fragments)."""
    said = {
        ("day",): lazy_gettext("%(field)s must include a day."),
        ("month",): lazy_gettext("%(field)s must include a month."),
        ("year",): lazy_gettext("%(field)s must include a year."),
        ("day", "month"): lazy_gettext("%(field)s must include a day and a month."),
        ("day", "year"): lazy_gettext("%(field)s must include a day and a year."),
        ("month", "year"): lazy_gettext("%(field)s must include a month and a year."),
    }[tuple(missing)]
    return str(said) % {"field": name}


class DatePartsField(Field):
    """A date typed as day, month and year in three boxes (the NHS.UK date input), posted as
    ``<name>-day``, ``<name>-month`` and ``<name>-year``. Its errors say which part is wrong
    and ``bad_parts`` names the boxes to mark."""

    def __init__(self, label=None, validators=None, required: bool = True, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.required = required
        self.parts = dict.fromkeys(DATE_PARTS, "")
        self.bad_parts: set[str] = set()

    @property
    def error_anchor(self) -> str:
        """The box the error summary links to: the first that is wrong."""
        first = next((part for part in DATE_PARTS if part in self.bad_parts), "day")
        return f"{self.id}-{first}"

    def process(self, formdata, data=unset_value, extra_filters=None) -> None:
        """Read the three boxes from the form, else show ``data``."""
        self.process_errors = []
        self.bad_parts = set()
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = data if isinstance(data, dt.date) else None
        self.parts = ({"day": str(data.day), "month": str(data.month), "year": str(data.year)}
                      if self.data else dict.fromkeys(DATE_PARTS, ""))
        if formdata is not None and any(f"{self.name}-{part}" in formdata
                                        for part in DATE_PARTS):
            self.parts = {part: formdata.get(f"{self.name}-{part}", "").strip()[:12]
                          for part in DATE_PARTS}
            self.data = self.parse()

    def parse(self) -> dt.date | None:
        """The typed date, or None with the reason in ``process_errors``."""
        name = self.label.text
        missing = [part for part in DATE_PARTS if not self.parts[part]]
        if len(missing) == len(DATE_PARTS):
            return None
        if missing:
            self.bad_parts = set(missing)
            self.process_errors.append(missing_parts_message(name, missing))
            return None
        not_numbers = [part for part in DATE_PARTS if not is_whole_number(self.parts[part], 4)]
        if not_numbers:
            self.bad_parts = set(not_numbers)
            self.process_errors.append(gettext(
                "%(field)s: the day, month and year must be numbers, like 27 3 2027.",
                field=name))
            return None
        day, month, year = (int(self.parts[part]) for part in DATE_PARTS)
        if len(self.parts["year"]) != 4:
            self.bad_parts = {"year"}
            self.process_errors.append(gettext(
                "%(field)s: the year must have 4 numbers, like 2027.", field=name))
            return None
        try:
            return dt.date(year, month, day)
        except ValueError:
            self.bad_parts = {"day", "month"} if not 1 <= month <= 12 else {"day"}
            self.process_errors.append(gettext("%(field)s must be a real date.", field=name))
            return None

    def pre_validate(self, form) -> None:
        """A required date must be given."""
        if self.required and self.data is None and not self.process_errors:
            self.bad_parts = set(DATE_PARTS)
            raise ValidationError(gettext("%(field)s: enter a day, month and year.",
                                          field=self.label.text))

    def _value(self) -> str:
        return self.data.isoformat() if self.data else ""


def attach_refusal(form, exc, fallback: str) -> None:
    """Show a service's refusal on the fields it names (``exc.errors`` keys that are fields
    of ``form``), else on the ``fallback`` field: the page and the API give one reason."""
    named = [name for name in (getattr(exc, "errors", None) or {}) if name in form]
    for name in named or [fallback]:
        form[name].errors = [exc.message]
