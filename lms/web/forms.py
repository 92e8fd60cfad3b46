"""Form helpers for pages: errors as the design system shows them, choices, plain numbers."""

from __future__ import annotations

from typing import Any


def field_errors(form) -> list[dict[str, str]]:
    """A WTForms form's errors as the NHS.UK error summary's list, each linking its field."""
    items = []
    for field in form:
        for message in field.errors:
            items.append({"text": message, "href": f"#{field.id}"})
    return items


def choice_items(field) -> list[dict[str, Any]]:
    """A WTForms SelectField's choices as the NHS.UK select component's items."""
    return [{"value": choice.value, "text": choice.label,
             "selected": str(choice.value) == str(field.data)} for choice in field.choices]


def is_whole_number(text: str, max_digits: int = 12) -> bool:
    """Whether ``text`` is a whole number in ASCII digits (``int()`` also reads other
    scripts' digits, "٤" as 4, which no form here means)."""
    return text.isascii() and text.isdigit() and len(text) <= max_digits
