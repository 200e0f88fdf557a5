"""vs-gateway-not-found (IL202) suggestions: the nearest gateway, found per distinct name.

The rule compares a missing reference with each distinct gateway name once (not with every
namespace/name pair); the answer must be the one of a plain scan over every pair: the highest difflib
ratio (at least the cutoff, 0.01 more in the referenced namespace), the last in (namespace, name) order
among equals.
"""

from __future__ import annotations

import difflib

from hypothesis import given
from hypothesis import strategies as st

from istiolint.hosts import GatewayRef
from istiolint.rules.gateway.vs_gateway_not_found import SUGGEST_CUTOFF, _Candidates


def plain_scan(ref: GatewayRef, keys: list[tuple[str, str]]) -> tuple[str, str] | None:
    best, best_score = None, SUGGEST_CUTOFF
    for ns, name in sorted(keys):
        score = difflib.SequenceMatcher(None, ref.name, name).ratio() + (0.01 if ns == ref.namespace else 0)
        if score >= best_score:
            best, best_score = (ns, name), score
    return best


NAMES = st.text(alphabet="abg-tw1", min_size=1, max_size=9)
NAMESPACES = st.sampled_from(["a", "b", "c"])


@given(st.lists(st.tuples(NAMESPACES, NAMES), unique=True, max_size=12), NAMESPACES, NAMES)
def test_the_nearest_gateway_is_the_plain_scans(keys, namespace, name):
    ref = GatewayRef(namespace=namespace, name=name)
    candidates = _Candidates(sorted(keys))
    assert candidates.nearest(ref) == plain_scan(ref, keys)
    assert candidates.nearest(ref) == plain_scan(ref, keys)  # asked again: the kept answer


def test_ties_and_the_namespace_bonus():
    keys = [("a", "public-gateway"), ("b", "public-gateway"), ("c", "public-gatewax")]
    candidates = _Candidates(keys)
    # the same name elsewhere: the last namespace in order among equals
    assert candidates.nearest(GatewayRef(namespace="z", name="public-gateway")) == ("b", "public-gateway")
    # the exact name elsewhere (1.0) beats one letter off in the referenced namespace (0.93 + 0.01)
    assert candidates.nearest(GatewayRef(namespace="c", name="public-gateway")) == ("b", "public-gateway")
    assert candidates.nearest(GatewayRef(namespace="a", name="public-gatewa")) == ("a", "public-gateway")
    assert candidates.nearest(GatewayRef(namespace="a", name="internal")) is None
