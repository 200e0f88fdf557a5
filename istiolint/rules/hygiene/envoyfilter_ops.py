"""How EnvoyFilter patch operations go wrong (a helper module: no CODE). Shared by IL151-IL155.

Facts from the EnvoyFilter API and Istio's patch code:
- ``ADD`` and ``REMOVE`` are ignored for ``applyTo: ROUTE_CONFIGURATION`` and ``HTTP_ROUTE`` (only MERGE
  applies there);
- ``REPLACE`` works on ``HTTP_FILTER``, ``NETWORK_FILTER`` and ``VIRTUAL_HOST`` only;
- ``INSERT_BEFORE``, ``INSERT_AFTER``, ``REPLACE`` and ``REMOVE`` are *relative*: their effect depends on
  another filter (or object) being there when the patch runs. EnvoyFilters are applied in ``priority``
  order, then by creation time, so without a ``priority`` the outcome of a relative patch can change
  with the order in which filters happen to be created. ``INSERT_FIRST``, ``ADD`` and ``MERGE`` do not
  depend on a neighbour.
- A relative patch limited by ``match.proxy.proxyVersion`` is the riskiest: during an upgrade the
  proxies it applies to change, and so does the order of everything patched around it.
"""

from __future__ import annotations

from ...record import record
from ..bounds import capped
from .common import as_dict, as_list, int_value

ROUTE_LEVEL = frozenset(("ROUTE_CONFIGURATION", "HTTP_ROUTE"))
REPLACEABLE = frozenset(("HTTP_FILTER", "NETWORK_FILTER", "VIRTUAL_HOST"))
INSERTS = frozenset(("INSERT_BEFORE", "INSERT_AFTER"))

ADD_IGNORED, REMOVE_IGNORED, REPLACE_INVALID = "add-ignored", "remove-ignored", "replace-invalid"
RELATIVE, RELATIVE_VERSIONED = "relative", "relative-versioned"


@record(frozen=True)
class Patch:
    index: int  # position in spec.configPatches
    operation: str
    apply_to: str | None
    verdict: str


def patches(resource) -> list[Patch]:
    """The patches of an EnvoyFilter that misuse an operation, with what is wrong (see module doc)."""
    prioritized = int_value(resource.spec.get("priority")) not in (None, 0)
    out = []
    for i, entry in enumerate(as_list(resource.spec.get("configPatches"))):
        entry = as_dict(entry)
        operation = as_dict(entry.get("patch")).get("operation")
        apply_to = entry.get("applyTo")
        apply_to = apply_to if isinstance(apply_to, str) else None
        if not isinstance(operation, str):
            continue
        verdict = None
        if operation == "ADD" and apply_to in ROUTE_LEVEL:
            verdict = ADD_IGNORED
        elif operation == "REMOVE" and apply_to in ROUTE_LEVEL:
            verdict = REMOVE_IGNORED
        elif operation == "REPLACE" and apply_to not in REPLACEABLE:
            verdict = REPLACE_INVALID
        elif operation in INSERTS or operation in ("REPLACE", "REMOVE"):
            if not prioritized:
                versioned = as_dict(as_dict(entry.get("match")).get("proxy")).get("proxyVersion")
                verdict = RELATIVE_VERSIONED if isinstance(versioned, str) and versioned else RELATIVE
        if verdict:
            out.append(Patch(i, operation, apply_to, verdict))
    return out


def report(resource, ctx, verdict: str, message) -> list:
    """One finding per EnvoyFilter for ``verdict`` (Istio reports each kind once per resource), at the
    first such patch's operation, the others as related locations. ``message(first, all)`` builds the text."""
    found = [p for p in patches(resource) if p.verdict == verdict]
    if not found:
        return []
    path = ("spec", "configPatches")
    return [ctx.finding(
        resource, path + (found[0].index, "patch", "operation"), message(found[0], found),
        related=capped(ctx.related(resource, path + (p.index, "patch", "operation"), "also this patch")
                       for p in found[1:]))]


def indexes(found: list[Patch]) -> str:
    return ", ".join(f"configPatches[{p.index}]" for p in found)


def apply_tos(found: list[Patch]) -> str:
    """The ``applyTo`` values of the patches, for messages."""
    return ", ".join(sorted({p.apply_to or "an unset applyTo" for p in found}))
