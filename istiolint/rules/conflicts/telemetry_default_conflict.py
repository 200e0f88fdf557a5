"""telemetry-default-conflict: more than one Telemetry without selector in a namespace (IST0160).

See ``policies.py`` for what counts as selector-less.
"""

from __future__ import annotations

from typing import Iterator

from .common import capped, names
from .policies import TELEMETRY, namespace_wide_others

CODE = "IL523"
KINDS = ("Telemetry",)


def check(resource, ctx) -> Iterator:
    others, total = namespace_wide_others(ctx.index, TELEMETRY, resource)
    if not others:
        return
    many = "other Telemetrys" if total > 1 else "another Telemetry"
    message = (f"namespace {resource.namespace} has {many} without selector "
               f"({names(others, total - len(others))}). Only one selector-less Telemetry per namespace is used: "
               "which one is undefined (istiod takes the oldest), and the others' settings are ignored entirely. "
               "Merge them into one resource (one Telemetry can configure metrics, access logging and tracing)")
    related = capped(ctx.related(other, ("spec",), "another Telemetry without selector", key=True)
                     for other in others)
    yield ctx.finding(resource, ("spec",), message, key=True, related=related)
