"""envoyfilter-replace-invalid (IL152): REPLACE on an object Istio cannot replace. See
:mod:`.envoyfilter_ops`."""

from __future__ import annotations

from .envoyfilter_ops import REPLACE_INVALID, apply_tos, indexes, report

CODE = "IL152"
KINDS = ("EnvoyFilter",)


def check(resource, ctx):
    return report(resource, ctx, REPLACE_INVALID, lambda first, found: (
        f"{indexes(found)}: REPLACE is only implemented for applyTo HTTP_FILTER, NETWORK_FILTER and "
        f"VIRTUAL_HOST, not {apply_tos(found)}: the patch does nothing. Use MERGE, or "
        f"REMOVE and ADD"))
