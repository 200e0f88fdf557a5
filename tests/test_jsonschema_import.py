"""`istiolint.jsonschema_import`: jsonschema-rs imported without ``email.utils``, which stays real."""

from __future__ import annotations

import datetime
import subprocess
import sys

import pytest

from istiolint.jsonschema_import import parse_rfc2822_date

from .conftest import ROOT


def test_the_build_date_form_is_read_exactly() -> None:
    assert parse_rfc2822_date("Sun, 8 Nov 2026 16:26:25 +0000") == datetime.datetime(
        2026, 11, 8, 16, 26, 25, tzinfo=datetime.timezone.utc)
    assert parse_rfc2822_date("Mon, 2 Feb 2026 01:02:03 -0130").utcoffset() == -datetime.timedelta(hours=1, minutes=30)
    for other in ("8 Nov 2026 16:26:25 +0000", "Sun, 8 Nov 2026 16:26:25 GMT", "Sun, 8 Nix 2026 16:26:25 +0000", ""):
        with pytest.raises(ValueError):
            parse_rfc2822_date(other)


_PROBE = """
import sys
from istiolint.jsonschema_import import import_jsonschema_rs
rs = import_jsonschema_rs()
print("email.utils loaded:", "email.utils" in sys.modules)
assert rs.validator_for({"type": "integer"}).is_valid(3)
import email.utils
assert email.utils.formataddr(("a", "a@b.c")) == "a <a@b.c>"
assert type(email.utils).__name__ == "module", type(email.utils)
build = getattr(rs.jsonschema_rs, "__build__", None)
if build is not None and "info-time" in build:
    assert build["info-time"].tzinfo is not None
print("ok")
"""


def test_jsonschema_rs_works_and_email_utils_stays_the_real_module() -> None:
    result = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["email.utils loaded: False", "ok"]


def test_a_stand_in_asked_for_anything_else_answers_with_the_real_module() -> None:
    probe = ("import sys\nfrom istiolint import jsonschema_import as j\n"
             "stand_in = j._EmailUtilsStandIn('email.utils')\nsys.modules['email.utils'] = stand_in\n"
             "print(stand_in.formataddr(('a', 'a@b.c')))\nprint(stand_in.parsedate_to_datetime('Sun, 06 Nov 1994 08:49:37 GMT'))\n"
             "print(sys.modules['email.utils'] is not stand_in)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.stdout.splitlines() == ["a <a@b.c>", "1994-11-06 08:49:37+00:00", "True"], result.stderr
