"""telemetry-selector-conflict: two Telemetry resources whose selectors pick the same workload (IST0159).

See ``policies.py`` for how selectors and overlap are read.
"""

from __future__ import annotations

from typing import Iterator

from .common import capped, joined, label
from .policies import TELEMETRY, describe_overlap, overlaps

CODE = "IL522"
KINDS = ("Telemetry",)


def check(resource, ctx) -> Iterator:
    named, total = overlaps(ctx.index, TELEMETRY).others(resource)
    if not named:
        return
    parts = [f"{label(other)} ({describe_overlap(resource, other, why, TELEMETRY)})" for other, why in named]
    message = (f"this Telemetry's selector overlaps {joined(parts, total - len(named), '; ')}. A workload uses one "
               "Telemetry with a selector: with two selecting it, which one applies is undefined (istiod takes the "
               "oldest), and the other's metrics, logging and tracing settings are silently ignored for it. Make "
               "the selectors disjoint or merge the Telemetry resources")
    related = capped(ctx.related(other, TELEMETRY.selector_path, "the other Telemetry's selector")
                     for other, _ in named)
    yield ctx.finding(resource, TELEMETRY.selector_path, message, related=related)
