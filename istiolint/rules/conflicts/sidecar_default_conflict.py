"""sidecar-default-conflict: more than one Sidecar without workloadSelector in a namespace (IST0111).

See ``policies.py`` for what counts as selector-less.
"""

from __future__ import annotations

from typing import Iterator

from .common import capped, names
from .policies import SIDECAR, namespace_wide_others

CODE = "IL521"
KINDS = ("Sidecar",)


def check(resource, ctx) -> Iterator:
    others, total = namespace_wide_others(ctx.index, SIDECAR, resource)
    if not others:
        return
    many = "other Sidecars" if total > 1 else "another Sidecar"
    message = (f"namespace {resource.namespace} has {many} without workloadSelector "
               f"({names(others, total - len(others))}). Only one selector-less Sidecar per namespace is used: "
               "which one is undefined (istiod takes the oldest), and the others are ignored for every workload. "
               "Merge them, or give all but one a workloadSelector")
    related = capped(ctx.related(other, ("spec",), "another Sidecar without workloadSelector", key=True)
                     for other in others)
    yield ctx.finding(resource, ("spec",), message, key=True, related=related)
