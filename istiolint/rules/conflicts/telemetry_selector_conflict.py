"""telemetry-selector-conflict: two Telemetry resources whose selectors pick the same workload (IST0159).

See ``policies.py`` for how selectors and overlap are read.
"""

from __future__ import annotations

from typing import Iterator

from .common import label
from .policies import TELEMETRY, describe_overlap, overlaps

CODE = "IL522"
KINDS = ("Telemetry",)


def check(resource, ctx) -> Iterator:
    for path, group in overlaps(ctx.index, TELEMETRY).grouped(resource):
        parts = [f"{label(p.other)} ({describe_overlap(resource, p.other, p.detail, TELEMETRY)})" for p in group]
        message = (f"this Telemetry's selector overlaps {'; '.join(parts)}. A workload uses one Telemetry with a "
                   "selector: with two selecting it, which one applies is undefined (istiod takes the oldest), "
                   "and the other's metrics, logging and tracing settings are silently ignored for it. Make the "
                   "selectors disjoint or merge the Telemetry resources")
        related = [ctx.related(p.other, p.other_path, "the other Telemetry's selector") for p in group]
        yield ctx.finding(resource, path, message, related=related)
