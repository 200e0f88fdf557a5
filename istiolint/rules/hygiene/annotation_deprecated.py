"""annotation-deprecated (IL543): an Istio annotation that Istio has deprecated.

See :mod:`.annotations`. ``sidecar.istio.io/inject`` as an annotation is deprecated in favour of the
label of the same name; it is not reported when the object also has the label (kept on purpose for
older versions).
"""

from __future__ import annotations

from typing import Iterator

from .annotations import KINDS, SIDECAR_INJECT, definition, istio_annotations, placements

CODE = "IL543"
KINDS = KINDS


def check(resource, ctx) -> Iterator:
    for placed in placements(resource):
        for key, _ in istio_annotations(placed):
            found = definition(key)
            if found is None or not found[2]:
                continue
            if key == SIDECAR_INJECT:
                if SIDECAR_INJECT in placed.labels:
                    continue
                advice = "use the label sidecar.istio.io/inject instead"
            else:
                advice = "it may stop working in a future Istio version"
            yield ctx.finding(resource, placed.path + (key,), f"annotation {key} is deprecated: {advice}",
                              key=True)
