"""annotation-invalid (IL542): an Istio annotation whose value Istio rejects.

See :mod:`.annotations`. The sidecar injector checks these values and refuses to inject (or fails the
pod) when one is malformed: port lists, CIDR lists, interception mode, readiness probe numbers,
``prometheus.istio.io/merge-metrics`` (a boolean) and ``proxy.istio.io/config`` (a ProxyConfig in YAML).
Only annotations on the kind they belong to are checked (the others are annotation-misplaced).
"""

from __future__ import annotations

from typing import Iterator

from .annotations import KINDS, definition, invalid, istio_annotations, misplaced, placements

CODE = "IL542"
KINDS = KINDS


def check(resource, ctx) -> Iterator:
    for placed in placements(resource):
        for key, value in istio_annotations(placed):
            found = definition(key)
            if found is None or misplaced(key, placed.kind) is not None:
                continue
            problem = invalid(found[4], value)
            if problem is not None:
                yield ctx.finding(resource, placed.path + (key,), f"invalid value {value!r} for {key}: {problem}")
