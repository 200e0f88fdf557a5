"""envoyfilter-relative-operation-proxy-version (IL155): a relative patch limited by proxyVersion, in an
EnvoyFilter without priority. See :mod:`.envoyfilter_ops`."""

from __future__ import annotations

from .envoyfilter_ops import RELATIVE_VERSIONED, indexes, report

CODE = "IL155"
KINDS = ("EnvoyFilter",)


def check(resource, ctx):
    return report(resource, ctx, RELATIVE_VERSIONED, lambda first, found: (
        f"{indexes(found)} use{'s' if len(found) == 1 else ''} a relative operation ({first.operation}) limited "
        f"by match.proxy.proxyVersion, and this EnvoyFilter has no priority: during an upgrade the proxies it "
        f"applies to change, and with them the order the patches land in, so it may silently stop applying. "
        f"Set spec.priority, or use INSERT_FIRST or ADD"))
