"""Route shadowing reads each HTTP match entry once (``match_cover.http_side``) and turns most pairs down
with string comparisons before any language is built (``http_side_covers``). Those shortcuts must give
exactly the answers of the full decision: "proven" (True) for the same pairs, and ``ordered.compute``
the same covering entries as asking ``http_match_covers`` about every earlier entry.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from istiolint.analysis import match_cover as mc
from istiolint.analysis.match_cover import (
    http_match_covers,
    http_side,
    http_side_covers,
    http_sides,
    http_sides_cover,
)
from istiolint.rules.routing import ordered

try:
    import re2
except ImportError:  # pragma: no cover - google-re2 is a dependency
    re2 = None

# -- entries ----------------------------------------------------------------------------------------

# Paths close to one another (so that starts agree often), with the characters the path model treats
# specially ("?", "#") and an upper-case letter for ignoreUriCase.
PATHS = ["/", "/a", "/a/", "/a/b", "/ab", "/A", "/a?x", "a", "/a#", "/b", ""]
PATH_REGEXES = ["/a.*", "/a/[0-9]+", "/a(/.*)?", ".*", "/.*", "/a|/b", "^/a$", "(?i)/a", "/a\\?x", "/[ab]",
                "/a/b", "\\/a", "/a+", "/a{2}", "/a[", "(", "/\\d", "a.*", "/a/?"]
VALUES = st.sampled_from([{}, {"exact": "v1"}, {"exact": ""}, {"prefix": "v"}, {"regex": "v[1-2]"},
                          {"regex": "*"}, {"regex": ".*"}, {"exact": 3}])


@st.composite
def uris(draw):
    kind = draw(st.sampled_from(["exact", "prefix", "regex", "none", "empty"]))
    if kind == "none":
        return None
    if kind == "empty":
        return {}
    if kind == "regex":
        return {"regex": draw(st.sampled_from(PATH_REGEXES))}
    return {kind: draw(st.sampled_from(PATHS))}


@st.composite
def entries(draw):
    entry: dict = {}
    uri = draw(uris())
    if uri is not None:
        entry["uri"] = uri
    if draw(st.integers(0, 3)) == 0:
        entry["ignoreUriCase"] = True
    for field, names in (("headers", ["x-a", "X-B", ":authority", "@request.auth.claims.sub"]),
                         ("withoutHeaders", ["x-a", "x-b"]), ("queryParams", ["q", "Q"])):
        if draw(st.integers(0, 2)) == 0:
            entry[field] = draw(st.dictionaries(st.sampled_from(names), VALUES, min_size=1, max_size=2))
    if draw(st.integers(0, 4)) == 0:
        entry["method"] = draw(st.sampled_from([{"exact": "GET"}, {"prefix": "P"}, {"regex": "GET|PUT"}]))
    if draw(st.integers(0, 5)) == 0:
        entry["port"] = draw(st.sampled_from([80, 8080]))
    if draw(st.integers(0, 5)) == 0:
        entry["gateways"] = draw(st.sampled_from([["mesh"], ["gw"], ["gw", "mesh"]]))
    if draw(st.integers(0, 8)) == 0:
        entry["sourceLabels"] = {"app": "a"}
    if draw(st.integers(0, 12)) == 0:
        entry["unknown"] = 1  # unreadable: every answer about it is None
    return entry


# -- the properties ---------------------------------------------------------------------------------


@settings(max_examples=600)
@given(entries(), entries(), st.sampled_from([[], ["gw"], ["gw", "mesh"], [3], "gw"]))
def test_quick_checks_prove_exactly_the_full_decisions_pairs(e, m, gateways):
    full = http_match_covers(e, m, gateways, gateways)
    e_side, m_side = http_side(e, gateways), http_side(m, gateways)
    assert http_sides_cover(e_side, m_side) is full
    assert http_side_covers(e_side, m_side) is (full is True)
    e_side, m_side = http_sides([e, m], gateways)  # the scope read once for both
    assert http_sides_cover(e_side, m_side) is full


@pytest.mark.parametrize("e, m, proven", [
    ({"uri": {"exact": "/a"}}, {"uri": {"prefix": "/a?x"}}, True),  # the query string is not compared
    ({"uri": {"exact": "/a"}}, {"uri": {"exact": "/a"}}, True),
    ({"uri": {"exact": "/a"}}, {"uri": {"exact": "/a/b"}}, False),
    ({"uri": {"exact": "/a"}}, {"uri": {"regex": "/a/[0-9]+"}}, False),
    ({"uri": {"exact": "/a"}}, {"uri": {"regex": "/a(\\?x)?"}}, True),  # the regex never sees a "?"
    ({"uri": {"prefix": "/a"}}, {}, False),
    ({"uri": {"prefix": "/"}}, {}, True),
    ({"uri": {"regex": "/.*"}}, {}, True),
    ({"uri": {"regex": "/a/.*"}}, {}, False),
    ({"uri": {"regex": "/a/.*"}}, {"uri": {"exact": "/a/b"}}, True),
    ({"uri": {"regex": "/a/.*"}}, {"uri": {"exact": "/b/a"}}, False),
    ({"uri": {"regex": "/a|/b"}}, {"uri": {"exact": "/b"}}, True),
    ({"uri": {"prefix": "/A"}, "ignoreUriCase": True}, {"uri": {"exact": "/a/b"}}, True),
    ({"uri": {"prefix": "/a"}}, {"uri": {"exact": "/A/b"}, "ignoreUriCase": True}, False),
    ({"uri": {"prefix": "/a"}, "headers": {"x-a": {}}}, {"uri": {"exact": "/a"}}, False),
    ({"uri": {"prefix": "/a"}, "headers": {"x-a": {}}}, {"uri": {"exact": "/a"}, "headers": {"X-A": {"exact": "1"}}}, True),
    ({"headers": {"x-a": {}}}, {"withoutHeaders": {"x-a": {"exact": ""}}}, True),  # "" there: x-a is present
    ({"queryParams": {"q": {}}}, {"uri": {"exact": "/a"}}, False),
])
def test_quick_checks_on_chosen_pairs(e, m, proven):
    assert (http_match_covers(e, m, [], []) is True) is proven
    assert http_side_covers(http_side(e, []), http_side(m, [])) is proven


@settings(max_examples=150)
@given(st.lists(entries(), min_size=1, max_size=8), st.sampled_from([[], ["gw"]]))
def test_ordered_analysis_is_the_pairwise_comparison(matches, gateways):
    # One rule per entry, and a last rule holding two entries, plus a catch-all without match.
    routes = [{"match": [entry], "route": []} for entry in matches[:-1]]
    routes.append({"match": [matches[-1], {"uri": {"prefix": "/a"}}], "route": []})
    routes.append({"route": []})
    spec = {"http": routes, "gateways": gateways}
    resource = SimpleNamespace(namespace="ns", get=lambda path: spec.get(path[1]))
    result = ordered.compute(resource, ordered.HTTP)
    flat = [e for rule in result.rules for e in rule.entries]
    expected = {}
    for k, m in enumerate(flat):
        for e in flat[:k]:
            if http_match_covers(e.data, m.data, ordered.vs_gateways(resource), ordered.vs_gateways(resource)) is True:
                expected[(m.rule, m.index)] = e
                break
    assert result.cover == expected


def test_a_side_is_read_once_and_unreadable_entries_have_none():
    assert http_side({"uri": {"exact": "/a"}, "bogus": 1}, []) is None
    assert http_side({"uri": {"exact": 1}}, []) is None
    side = http_side({"uri": {"prefix": "/a"}, "headers": {"X-A": {}}, "queryParams": {"q": {"exact": "1"}}}, [])
    assert (side.witness, side.path_test) == ("/a", ("prefix", "/a"))
    assert side.required == {("h", "x-a"), ("q", "q")}
    assert http_side({}, []).witness == "/"
    assert http_side({"uri": {"exact": "/A"}, "ignoreUriCase": True}, []).path_test is None
    # A header the earlier entry requires and the later one does not name: decided before any language.
    assert http_side_covers(side, http_side({"uri": {"exact": "/a/b"}}, [])) is False
    assert http_side_covers(side, http_side({"uri": {"exact": "/a/b"}, "headers": {"x-a": {"exact": "1"}},
                                             "queryParams": {"q": {"exact": "1"}}}, [])) is True


@pytest.mark.parametrize("pattern, start", [
    ("/api/v1/[0-9]+", "/api/v1/"),
    ("^/api/x$", "/api/x"),
    ("/api/xs?", "/api/x"),
    ("/api/x{2}", "/api/"),
    ("/api\\-x\\.y/.*", "/api-x.y/"),
    ("/a|/b", ""),
    ("(?i)/a", ""),
    ("/a\\d", "/a"),
    ("/a\\Qb\\E", "/a"),
    ("/a+", "/"),
    ("/é/x", "/é/x"),
    ("", ""),
])
def test_pattern_start_table(pattern, start):
    assert mc._pattern_start(pattern) == start


PATTERN_ATOMS = ["a", "b", "/", "\\/", "\\?", "?", ".", "[ab]", "\\d", "(?i)a", "(a|b)", "^", "$", "{", "{2}",
                 "*", "+", "\\", "\\Qa\\E", "(a)"]


@pytest.mark.skipif(re2 is None, reason="google-re2 is not installed")
@settings(max_examples=400)
@given(st.lists(st.sampled_from(PATTERN_ATOMS), min_size=1, max_size=5))
def test_pattern_start_begins_every_match(parts):
    pattern = "".join(parts)
    options = re2.Options()
    options.log_errors = False
    try:
        compiled = re2.compile(pattern, options)
    except re2.error:
        return  # invalid: route shadowing never proves anything about it
    start = mc._pattern_start(pattern)
    for n in range(5):
        for chars in itertools.product("ab/?A1", repeat=n):
            text = "".join(chars)
            if compiled.fullmatch(text):
                assert text.startswith(start), (pattern, text, start)


def _index():
    memo: dict = {}
    return SimpleNamespace(memo=lambda key, build: memo[key] if key in memo else memo.setdefault(key, build(None)))


@pytest.mark.parametrize("routes, dead", [
    ([{"match": [{"uri": {"prefix": "/a"}}]}, {"match": [{"uri": {"exact": "/a/b"}}, {"uri": {"exact": "/b"}}]}],
     {(1, 0)}),
    ([{"match": [{"uri": {"exact": "/a"}}]}, {"match": [{"uri": {"exact": "/b"}}], "name": "b"}, {"route": []}], set()),
    ("not a list", set()),
])
def test_memoised_analysis_reads_rules_again_when_nothing_is_dead(routes, dead):
    """Only route lists with a dead entry are kept whole; asked again, the others read their rules anew,
    the same as the first time."""
    spec = {"http": routes}
    resource = SimpleNamespace(namespace="ns", get=lambda path: spec.get(path[1]))
    index = _index()
    first = ordered.analysis(resource, ordered.HTTP, index)
    again = ordered.analysis(resource, ordered.HTTP, index)
    assert set(first.cover) == set(again.cover) == dead
    assert (again is first) is bool(dead)
    assert ordered.with_dead_entries(resource, ordered.HTTP, index) is (first if dead else None)
    fresh = _index()  # asked first for the dead entries only
    assert (ordered.with_dead_entries(resource, ordered.HTTP, fresh) is None) is not dead
    shape = [[(r.index, r.raw, [(e.index, e.data) for e in r.entries or ()]) for r in a.rules] for a in (first, again)]
    assert shape[0] == shape[1]
    assert again.shadowed_rules() == first.shadowed_rules()
    assert [(e.path, c.path) for e, c in again.redundant_entries()] == [(e.path, c.path) for e, c in
                                                                       first.redundant_entries()]


class _Mapping(dict):
    """A dict the usual-shape shortcut of `_string_match` does not take: the general reading."""


@pytest.mark.parametrize("sm", [{"exact": "/a"}, {"exact": ""}, {"prefix": "/a"}, {"prefix": ""}, {"regex": "/a.*"},
                                {"regex": "*"}, {"regex": ""}, {"exact": 3}, {"exact": None}, {"bogus": "x"},
                                {"exact": "a", "prefix": "b"}, {}])
@pytest.mark.parametrize("uri, fold", [(True, False), (True, True), (False, False)])
def test_string_match_shortcut_reads_as_the_general_reading(sm, uri, fold):
    def read(value):
        try:
            return mc._string_match(value, uri=uri, fold=fold)
        except mc._Undecidable:
            return "undecidable"

    assert read(sm) == read(_Mapping(sm))
