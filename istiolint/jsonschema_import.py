"""Import jsonschema-rs without paying for the ``email`` package at start-up.

When its extension module initialises, jsonschema-rs (0.61) records its build metadata and turns the
build date (``Sun, 8 Nov 2026 16:26:25 +0000``) into a datetime with
``email.utils.parsedate_to_datetime``. Importing ``email.utils`` pulls in socket, urllib, calendar,
locale, random and more: ~10 ms, a third of what importing the validator costs, paid by every
pre-commit run for a date nobody reads.

`import_jsonschema_rs` lends the initialisation a stand-in ``email.utils`` whose
``parsedate_to_datetime`` reads that fixed RFC 2822 form, and takes the stand-in back as soon as the
import is done, so every later ``import email.utils`` gets the real module. The stand-in is never
wrong, only lazy: a date it cannot read, or any other name asked of it, is answered by the real
module.
"""

from __future__ import annotations

import datetime
import sys
import types
from typing import Any

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _real_email_utils() -> Any:
    import importlib

    stand_in = sys.modules.get("email.utils")
    if isinstance(stand_in, _EmailUtilsStandIn):
        del sys.modules["email.utils"]
    return importlib.import_module("email.utils")


def parse_rfc2822_date(text: str) -> datetime.datetime:
    """``Sun, 8 Nov 2026 16:26:25 +0000`` as an aware datetime; ValueError for any other form."""
    try:
        _, day, month, year, clock, zone = text.split()
        hours, minutes, seconds = (int(part) for part in clock.split(":"))
        if len(zone) != 5 or zone[0] not in "+-" or not zone[1:].isdigit():
            raise ValueError(zone)
        offset = datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        return datetime.datetime(int(year), _MONTHS.index(month.lower()) + 1, int(day), hours, minutes, seconds,
                                 tzinfo=datetime.timezone(-offset if zone[0] == "-" else offset))
    except (ValueError, TypeError) as error:
        raise ValueError(f"not a plain RFC 2822 date: {text!r}") from error


class _EmailUtilsStandIn(types.ModuleType):
    def parsedate_to_datetime(self, text: str) -> datetime.datetime:
        try:
            return parse_rfc2822_date(text)
        except ValueError:
            return _real_email_utils().parsedate_to_datetime(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(_real_email_utils(), name)


def import_jsonschema_rs() -> Any:
    """The ``jsonschema_rs`` module (imported once per process; see the module's docstring)."""
    module = sys.modules.get("jsonschema_rs")
    if module is not None:
        return module
    if "email.utils" in sys.modules:  # already paid for: nothing to save
        import jsonschema_rs

        return jsonschema_rs
    stand_in = _EmailUtilsStandIn("email.utils")
    sys.modules["email.utils"] = stand_in
    try:
        import jsonschema_rs
    finally:
        if sys.modules.get("email.utils") is stand_in:
            del sys.modules["email.utils"]
    return jsonschema_rs
