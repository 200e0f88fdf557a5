"""sidecar-selector-conflict: two Sidecars whose workload selectors pick the same workload (IST0110).

See ``policies.py`` for how selectors and overlap are read.
"""

from __future__ import annotations

from typing import Iterator

from .common import capped, joined, label
from .policies import SIDECAR, describe_overlap, overlaps

CODE = "IL520"
KINDS = ("Sidecar",)


def check(resource, ctx) -> Iterator:
    named, total = overlaps(ctx.index, SIDECAR).others(resource)
    if not named:
        return
    parts = [f"{label(other)} ({describe_overlap(resource, other, why, SIDECAR)})" for other, why in named]
    message = (f"this Sidecar's workloadSelector overlaps {joined(parts, total - len(named), '; ')}. A workload "
               "uses one Sidecar: with two selecting it, which one applies is undefined (istiod takes the oldest), "
               "so its egress, ingress and outbound settings depend on creation order. Make the selectors "
               "disjoint or merge the Sidecars")
    related = capped(ctx.related(other, SIDECAR.selector_path, "the other Sidecar's selector") for other, _ in named)
    yield ctx.finding(resource, SIDECAR.selector_path, message, related=related)
