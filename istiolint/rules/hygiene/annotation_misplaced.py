"""annotation-misplaced (IL540): an Istio annotation on a kind of object it does not apply to.

See :mod:`.annotations`. The classic case: a pod annotation (``sidecar.istio.io/...``,
``proxy.istio.io/config``, ...) on a Deployment's own metadata instead of its pod template, where Istio
never sees it.
"""

from __future__ import annotations

from typing import Iterator

from ...workloads import POD_TEMPLATE_PATHS
from .annotations import KINDS, istio_annotations, misplaced, placements

CODE = "IL540"
KINDS = KINDS


def check(resource, ctx) -> Iterator:
    for placed in placements(resource):
        for key, _ in istio_annotations(placed):
            kinds = misplaced(key, placed.kind)
            if kinds is None:
                continue
            template = POD_TEMPLATE_PATHS.get(resource.kind or "")
            where = (f" (put it in {'.'.join(template)}.metadata.annotations)"
                     if template and "Pod" in kinds and placed.kind != "Pod" else "")
            yield ctx.finding(
                resource, placed.path + (key,),
                f"annotation {key} applies to {', '.join(kinds)}, not to a {placed.kind}: here it has no "
                f"effect{where}", key=True)
