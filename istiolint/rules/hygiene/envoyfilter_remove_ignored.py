"""envoyfilter-remove-ignored (IL154): REMOVE on ROUTE_CONFIGURATION or HTTP_ROUTE, which Istio ignores.
See :mod:`.envoyfilter_ops`."""

from __future__ import annotations

from .envoyfilter_ops import REMOVE_IGNORED, apply_tos, indexes, report

CODE = "IL154"
KINDS = ("EnvoyFilter",)


def check(resource, ctx):
    return report(resource, ctx, REMOVE_IGNORED, lambda first, found: (
        f"{indexes(found)}: REMOVE is ignored with applyTo {apply_tos(found)}: the patch does nothing. Use MERGE "
        f"to change a route configuration, or remove the virtual host (applyTo VIRTUAL_HOST) instead"))
