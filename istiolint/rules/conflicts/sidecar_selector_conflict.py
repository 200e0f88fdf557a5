"""sidecar-selector-conflict: two Sidecars whose workload selectors pick the same workload (IST0110).

See ``policies.py`` for how selectors and overlap are read.
"""

from __future__ import annotations

from typing import Iterator

from .common import label
from .policies import SIDECAR, describe_overlap, overlaps

CODE = "IL520"
KINDS = ("Sidecar",)


def check(resource, ctx) -> Iterator:
    for path, group in overlaps(ctx.index, SIDECAR).grouped(resource):
        parts = [f"{label(p.other)} ({describe_overlap(resource, p.other, p.detail, SIDECAR)})" for p in group]
        message = (f"this Sidecar's workloadSelector overlaps {'; '.join(parts)}. A workload uses one Sidecar: "
                   "with two selecting it, which one applies is undefined (istiod takes the oldest), so its "
                   "egress, ingress and outbound settings depend on creation order. Make the selectors "
                   "disjoint or merge the Sidecars")
        related = [ctx.related(p.other, p.other_path, "the other Sidecar's selector") for p in group]
        yield ctx.finding(resource, path, message, related=related)
