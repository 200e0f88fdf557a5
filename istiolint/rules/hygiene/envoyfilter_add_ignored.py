"""envoyfilter-add-ignored (IL153): ADD on ROUTE_CONFIGURATION or HTTP_ROUTE, which Istio ignores. See
:mod:`.envoyfilter_ops`."""

from __future__ import annotations

from .envoyfilter_ops import ADD_IGNORED, apply_tos, indexes, report

CODE = "IL153"
KINDS = ("EnvoyFilter",)


def check(resource, ctx):
    return report(resource, ctx, ADD_IGNORED, lambda first, found: (
        f"{indexes(found)}: ADD is ignored with applyTo {apply_tos(found)}: the patch does nothing. Use MERGE "
        f"to change a route configuration or route"))
