"""match_cover's fast decisions agree with a plain reference: greenery automata over character classes.

The module decides "is there a string in these languages and not in those" with interval-partition
automata, a literal shortcut for languages without a regex, and quick witnesses (a sample string of a
regex, the cone of its fixed start). Each must give exactly the answer of the straightforward
construction, which this file keeps as the reference: the same syntax trees, compiled to greenery
``Fsm`` objects, intersected after ``unify_alphabets``.
"""

from __future__ import annotations

import itertools

import pytest
from greenery import Charclass, Fsm
from greenery.charclass import repartition
from greenery.fsm import unify_alphabets
from hypothesis import given, settings
from hypothesis import strategies as st

from istiolint.analysis import match_cover as mc

# -- the reference ----------------------------------------------------------------------------------


def _reference_fsm(key: tuple) -> Fsm | None:
    try:
        tree = mc._key_tree(key)
    except mc._Undecidable:
        return None
    if tree is None:
        return None
    nfa = mc._NFA()
    start, accept = nfa.build(tree)
    classes = {cc for edges in nfa.edges for cc, _ in edges}
    if classes:
        parts = repartition(classes)
        pieces = list(dict.fromkeys(p for ps in parts.values() for p in ps))
    else:
        parts, pieces = {}, []
    covered = Charclass()
    for p in pieces:
        covered = covered | p
    if not (~covered).empty():
        pieces.append(~covered)
    index = {p: i for i, p in enumerate(pieces)}
    moves = []
    for edges in nfa.edges:
        table: dict[int, list[int]] = {}
        for cc, target in edges:
            for p in parts[cc]:
                table.setdefault(index[p], []).append(target)
        moves.append(table)

    def closure(states):
        seen = set(states)
        stack = list(seen)
        while stack:
            for nxt in nfa.eps[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return frozenset(seen)

    order = [closure([start])]
    ids = {order[0]: 0}
    transitions = {}
    i = 0
    while i < len(order):
        row = {}
        for p, piece in enumerate(pieces):
            nxt = closure([t for s in order[i] for t in moves[s].get(p, ())])
            if nxt not in ids:
                ids[nxt] = len(order)
                order.append(nxt)
            row[piece] = ids[nxt]
        transitions[i] = row
        i += 1
    return Fsm(alphabet=pieces, states=range(len(order)), initial=0,
               finals={k for k, s in enumerate(order) if accept in s}, map=transitions)


def _too_large(keys: tuple) -> bool:
    return any(f is not None and len(f.states) > mc._MAX_DFA_STATES for f in map(_reference_fsm, keys))


def _agrees(ours, pos: tuple, neg: tuple) -> bool:
    """Our answer is the reference's; where an automaton is over the size limit (the original
    construction gave up: None), ours may also be the true answer, found without that automaton."""
    reference = _reference_exists(pos, neg)
    if _too_large(pos + neg):
        return ours is None or ours == reference
    return ours == reference


def _reference_exists(pos: tuple, neg: tuple):
    fsms = []
    for key in pos + neg:
        f = _reference_fsm(key)
        if f is None:
            return None
        fsms.append(f)
    if not pos:
        fsms.insert(0, _reference_fsm(("any",)))
    n_pos = max(len(pos), 1)
    fsms = unify_alphabets(fsms)
    start = tuple(f.initial for f in fsms)
    seen, stack = {start}, [start]
    while stack:
        state = stack.pop()
        if all(state[k] in fsms[k].finals for k in range(n_pos)) and not any(
                state[k] in fsms[k].finals for k in range(n_pos, len(fsms))):
            return True
        for symbol in fsms[0].alphabet:
            nxt = tuple(f.map[s][symbol] for f, s in zip(fsms, state))
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


# -- languages --------------------------------------------------------------------------------------

# A small alphabet with the characters the models treat specially ("/", "?", "#", a newline) and a
# letter pair for case folding.
CHARS = "ab/?#\nA"
texts = st.text(alphabet=CHARS, max_size=4)
atoms = st.sampled_from(["a", "b", "/", "\\?", "#", ".", "[ab]", "[^a]", "[a-b/]", "\\d", "(?i)a", "\\n", "[?#]"])


@st.composite
def regexes(draw, depth=2):
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        if depth and draw(st.booleans()) and draw(st.booleans()):
            inner = draw(regexes(depth=depth - 1))
            alternative = draw(regexes(depth=depth - 1)) if draw(st.booleans()) else None
            atom = f"({inner}|{alternative})" if alternative else f"({inner})"
        else:
            atom = draw(atoms)
        parts.append(atom + draw(st.sampled_from(["", "", "*", "+", "?", "{1,2}", "{2}"])))
    return "".join(parts)


def _keys():
    fold = st.booleans()
    return st.one_of(
        st.tuples(st.just("exact"), texts, fold),
        st.tuples(st.just("prefix"), texts.filter(bool), fold),
        st.tuples(st.just("uri-exact"), texts, fold),
        st.tuples(st.just("regex"), regexes()),
        st.tuples(st.just("uri-regex"), regexes()),
        st.sampled_from([("dom-uri",), ("dom-header",), ("any",)]),
    )


# -- the properties ---------------------------------------------------------------------------------


@settings(max_examples=300)
@given(st.lists(_keys(), max_size=3).map(tuple), st.lists(_keys(), max_size=2).map(tuple))
def test_exists_agrees_with_the_reference(pos, neg):
    assert _agrees(mc._exists(pos, neg), pos, neg)


@settings(max_examples=150)
@given(_keys(), st.lists(texts, max_size=6))
def test_automata_accept_what_the_reference_accepts(key, samples):
    ours, reference = mc._fsm(key), _reference_fsm(key)
    if reference is not None and len(reference.states) > mc._MAX_DFA_STATES:
        assert ours is None
        return
    assert (ours is None) == (reference is None)
    if ours is not None:
        for text in samples:
            assert ours.accepts(text) == reference.accepts(text), (key, text)


@settings(max_examples=150)
@given(st.tuples(st.just("uri-regex"), regexes()) | st.tuples(st.just("regex"), regexes()))
def test_regex_witnesses_are_members_and_prefixes_bound_the_language(key):
    bounds = mc._regex_bounds(key)
    fsm = _reference_fsm(key)
    assert (bounds is None) == (fsm is None)
    if bounds is None:
        return
    (inside, _), (((_, prefix),), _) = bounds
    if inside:
        assert fsm.accepts(inside[0][1])  # the sample is in the language
    else:
        assert fsm.empty()
    # Every accepted string of up to four characters starts with the fixed prefix.
    for n in range(5):
        for chars in itertools.product(CHARS, repeat=n):
            text = "".join(chars)
            if fsm.accepts(text):
                assert text.startswith(prefix), (key, text, prefix)


@pytest.mark.parametrize(("pos", "neg", "expected"), [
    # Literal cones and singletons, with the path domain's banned characters.
    ((("prefix", "/a", False), ("dom-uri",)), (("prefix", "/", False),), False),
    ((("prefix", "/a", False), ("dom-uri",)), (("prefix", "/ab", False),), True),
    ((("uri-exact", "/a", False), ("dom-uri",)), (("prefix", "/a?", False),), True),  # "/a" itself
    ((("uri-exact", "/a?x", False),), (), False),  # a "?" in an exact path never matches
    ((("dom-header",),), (("regex", "[^\n]*"),), False),  # header values hold no newline
    ((("dom-header",),), (("regex", "[^a]*"),), True),  # "a"
    ((("dom-uri",),), (("uri-regex", "/.*"),), False),
    ((("uri-regex", "/v[0-9]+"), ("dom-uri",)), (("uri-regex", "/v1[0-9]*"),), True),
    ((("uri-regex", "/v1[0-9]*"), ("dom-uri",)), (("uri-regex", "/v[0-9]+"),), False),
    ((("uri-regex", "/v1[0-9]*"), ("dom-uri",)), (("uri-regex", "/v[0-9]"),), True),  # "/v10"
    ((("uri-regex", "/v1[0-9]+"), ("dom-uri",)), (("uri-regex", "/v[0-9]+"),), False),
    ((("regex", "(a"),), (), None),  # invalid RE2: undecidable
    ((("prefix", "/a", False),), (("regex", "\\b"),), None),  # a word boundary: not representable
])
def test_exists_table(pos, neg, expected):
    assert mc._exists(pos, neg) == expected == _reference_exists(pos, neg)


@settings(max_examples=150)
@given(st.one_of(st.tuples(st.just("uri-regex"), regexes()), st.tuples(st.just("regex"), regexes()),
                 st.tuples(st.just("prefix"), texts.filter(bool), st.booleans()),
                 st.tuples(st.just("uri-exact"), texts, st.booleans()), st.tuples(st.just("exact"), texts, st.booleans())))
def test_the_start_of_a_language_starts_every_member(key):
    """http_match_covers says "no" at once when two entries' paths start differently: the start it
    reads must begin every string of the language."""
    start = mc._language_start(key)
    fsm = _reference_fsm(key)
    if start is None or fsm is None:
        return
    for n in range(5):
        for chars in itertools.product(CHARS, repeat=n):
            text = "".join(chars)
            if fsm.accepts(text):
                assert text.startswith(start), (key, text, start)
