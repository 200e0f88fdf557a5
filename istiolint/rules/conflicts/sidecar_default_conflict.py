"""sidecar-default-conflict: more than one Sidecar without workloadSelector in a namespace (IST0111).

See ``policies.py`` for what counts as selector-less.
"""

from __future__ import annotations

from typing import Iterator

from .common import names
from .policies import SIDECAR, namespace_wide

CODE = "IL521"
KINDS = ("Sidecar",)


def check(resource, ctx) -> Iterator:
    for path, group in namespace_wide(ctx.index, SIDECAR).grouped(resource):
        others = [p.other for p in group]
        many = "other Sidecars" if len(others) > 1 else "another Sidecar"
        message = (f"namespace {resource.namespace} has {many} without workloadSelector "
                   f"({names(others)}). Only one selector-less Sidecar per namespace is used: which one is "
                   "undefined (istiod takes the oldest), and the others are ignored for every workload. Merge "
                   "them, or give all but one a workloadSelector")
        related = [ctx.related(p.other, p.other_path, "another Sidecar without workloadSelector", key=True)
                   for p in group]
        yield ctx.finding(resource, path, message, key=True, related=related)
