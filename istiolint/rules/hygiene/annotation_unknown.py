"""annotation-unknown (IL541): an annotation in an Istio domain that Istio does not define.

See :mod:`.annotations`. Usually a typo (``sidecar.istio.io/injet``) or a label written as an
annotation; Istio ignores it. The list is Istio's published one (istiolint/data/annotations.py): an
annotation newer than that list is reported too, so the severity is info.
"""

from __future__ import annotations

from typing import Iterator

from ...data.annotations import ANNOTATIONS
from .annotations import KINDS, definition, istio_annotations, placements

CODE = "IL541"
KINDS = KINDS


def check(resource, ctx) -> Iterator:
    for placed in placements(resource):
        for key, _ in istio_annotations(placed):
            if definition(key) is not None:
                continue
            import difflib  # an unknown annotation: rare, not worth importing on every run

            close = difflib.get_close_matches(key, ANNOTATIONS, n=1, cutoff=0.8)
            hint = f" Did you mean {close[0]}?" if close else ""
            yield ctx.finding(resource, placed.path + (key,),
                              f"{key} is not an annotation Istio knows: it is ignored.{hint}", key=True)
