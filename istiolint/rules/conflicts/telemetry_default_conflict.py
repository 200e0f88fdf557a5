"""telemetry-default-conflict: more than one Telemetry without selector in a namespace (IST0160).

See ``policies.py`` for what counts as selector-less.
"""

from __future__ import annotations

from typing import Iterator

from .common import names
from .policies import TELEMETRY, namespace_wide

CODE = "IL523"
KINDS = ("Telemetry",)


def check(resource, ctx) -> Iterator:
    for path, group in namespace_wide(ctx.index, TELEMETRY).grouped(resource):
        others = [p.other for p in group]
        many = "other Telemetrys" if len(others) > 1 else "another Telemetry"
        message = (f"namespace {resource.namespace} has {many} without selector "
                   f"({names(others)}). Only one selector-less Telemetry per namespace is used: which one is "
                   "undefined (istiod takes the oldest), and the others' settings are ignored entirely. Merge "
                   "them into one resource (one Telemetry can configure metrics, access logging and tracing)")
        related = [ctx.related(p.other, p.other_path, "another Telemetry without selector", key=True)
                   for p in group]
        yield ctx.finding(resource, path, message, key=True, related=related)
