"""envoyfilter-relative-operation (IL151): relative patch operations in an EnvoyFilter without priority.

See :mod:`.envoyfilter_ops`. Patches limited by ``proxyVersion`` are reported by
envoyfilter-relative-operation-proxy-version (IL155) instead.
"""

from __future__ import annotations

from .envoyfilter_ops import RELATIVE, indexes, report

CODE = "IL151"
KINDS = ("EnvoyFilter",)


def check(resource, ctx):
    return report(resource, ctx, RELATIVE, lambda first, found: (
        f"{indexes(found)} use{'s' if len(found) == 1 else ''} a relative operation ({first.operation}) but this "
        f"EnvoyFilter has no priority: the result depends on which filters were applied before it, i.e. on "
        f"creation order. Set spec.priority, or use INSERT_FIRST or ADD"))
