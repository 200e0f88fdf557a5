"""Hypothesis profiles, registered from conftest.py so that ``--hypothesis-profile`` can name them.

- ``istiolint`` (the default): few examples and no deadline, so the whole suite stays fast in CI;
- ``long``: thousands of examples, for a deliberate search: ``pytest tests/test_properties.py
  --hypothesis-profile=long``.

A test that sets its own ``max_examples`` keeps it under every profile.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("istiolint", max_examples=50, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("long", max_examples=5_000, deadline=None, suppress_health_check=_QUIET)
settings.load_profile("istiolint")
