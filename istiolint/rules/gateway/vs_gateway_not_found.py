"""IL202 vs-gateway-not-found: a VirtualService names a gateway that is not in the input.

Closed world: only reported when the input holds at least one Gateway (Istio or Gateway API) in the
referenced namespace — then it could have held this one too — or with ``--strict-references``.
"""

from __future__ import annotations

import difflib

from .binding import gateway_index, match_gateway_refs
from ...hosts import resolve_gateway_ref

CODE = "IL202"
KINDS = ("VirtualService",)
SUGGEST_CUTOFF = 0.75  # difflib ratio of the names: catches typos, not merely similar names


def _references(resource):
    gateways = resource.get(("spec", "gateways"))
    for i, raw in enumerate(gateways if isinstance(gateways, list) else ()):
        yield ("spec", "gateways", i), raw, False
    for path, raw in match_gateway_refs(resource):
        yield path, raw, True


def _suggest(ref, raw, vs_namespace, keys):
    """The nearest existing gateway by name (same name in another namespace first, then the closest
    spelling, the referenced namespace winning ties), in the form the reference would be written."""
    best, best_score = None, SUGGEST_CUTOFF
    for ns, name in keys:
        score = difflib.SequenceMatcher(None, ref.name, name).ratio() + (0.01 if ns == ref.namespace else 0)
        if score >= best_score:
            best, best_score = (ns, name), score
    if best is None:
        return None
    ns, name = best
    if ns == vs_namespace and "/" not in raw and "." not in raw:
        return name
    return f"{ns}/{name}"


def check(resource, ctx):
    index = gateway_index(ctx.index)
    keys = None
    for path, raw, match_level in _references(resource):
        ref = resolve_gateway_ref(raw, resource.namespace)
        if ref is None or ref.mesh or index.find(ref) is not None:
            continue
        if ref.namespace not in index.namespaces and not ctx.settings.strict_references:
            continue  # the gateway may be defined in a file that is not part of this run
        if keys is None:
            keys = index.keys()
        resolved = f" (that is {ref.key})" if ref.key != raw else ""
        effect = ("this entry of the match's `gateways` can never match" if match_level
                  else "Istio accepts the reference silently and the VirtualService applies at no gateway by "
                       "that name")
        message = (f"gateway {raw!r}{resolved} does not exist: the input has no Gateway {ref.name!r} in "
                   f"namespace {ref.namespace}; {effect}")
        suggestion = _suggest(ref, raw, resource.namespace, keys)
        if suggestion is not None and suggestion != raw:
            message += f"; did you mean {suggestion!r}?"
        yield ctx.finding(resource, path, message)
