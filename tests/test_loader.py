"""The loader: Kubernetes scalar resolution, positions in every document, CRLF, BOM, List, JSON."""

from __future__ import annotations

import pytest

from istiolint.loader import MAX_ALIAS_NODES, MAX_DEPTH, decode, load_text, resolve_plain


@pytest.mark.parametrize("text, expected", [
    ("yes", True), ("Yes", True), ("YES", True), ("y", True), ("on", True), ("On", True), ("true", True),
    ("no", False), ("N", False), ("off", False), ("OFF", False), ("False", False),
    ("yEs", "yEs"), ("tRue", "tRue"),  # mixed case stays a string in go-yaml v2
    ("~", None), ("null", None), ("", None), ("Null", None),
    ("0o17", 15), ("017", 15), ("0x1F", 31), ("0b101", 5), ("1_000", 1000), ("-12", -12), ("+3", 3),
    ("1.5", 1.5), (".5", 0.5), ("1e3", 1000.0), (".inf", float("inf")),
    ("1:20", "1:20"), ("2001-12-14", "2001-12-14"), ("2001-12-14T21:59:43Z", "2001-12-14T21:59:43Z"),
    ("v1", "v1"), ("5s", "5s"), ("/productpage", "/productpage"), ("09", 9.0),
])
def test_plain_scalars_resolve_like_kubernetes(text, expected):
    assert resolve_plain(text) == expected
    assert type(resolve_plain(text)) is type(expected)


def test_quoted_scalars_stay_strings():
    doc = load_text('a: "yes"\nb: \'017\'\nc: |\n  on\n').documents[0]
    assert doc.data == {"a": "yes", "b": "017", "c": "on\n"}
    assert doc.yaml11_bools == {}


def test_yaml11_words_are_remembered_with_their_path():
    doc = load_text("spec:\n  http:\n  - match:\n    - uri:\n        exact: yes\n").documents[0]
    assert doc.data["spec"]["http"][0]["match"][0]["uri"]["exact"] is True
    assert doc.yaml11_bools == {("spec", "http", 0, "match", 0, "uri", "exact"): "yes"}


def test_keys_become_json_strings():
    doc = load_text("on: 1\n80: http\nnull: x\n").documents[0]
    assert doc.data == {"true": 1, "80": "http", "null": "x"}


STREAM = """\
# leading comment
apiVersion: v1
kind: Service
metadata:
  name: a
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: b
spec:
  hosts:
  - b
  http:
  - match:
    - uri:
        prefix: /x
---
---
...
"""


def test_positions_in_every_document():
    source = load_text(STREAM)
    assert [d.index for d in source.documents] == [0, 1, 2, 3]
    first, second, empty, _ = source.documents
    assert first.line == 2 and first.data["metadata"]["name"] == "a"
    assert empty.data is None
    assert second.position(("spec", "hosts", 0)) == (13, 5)
    assert second.position(("spec", "http", 0, "match", 0, "uri", "prefix")) == (17, 17)
    assert second.position(("spec", "http", 0, "match", 0, "uri", "prefix"), key=True) == (17, 9)
    assert second.position(("spec", "http", 0)) == (15, 5)
    # A missing step resolves to the nearest ancestor that exists.
    assert second.position(("spec", "tcp", 0)) == second.position(("spec",))
    assert second.position(("metadata", "name"), key=True) == (10, 3)


def test_crlf_and_bom_keep_positions():
    raw = ("\ufeff" + STREAM).replace("\n", "\r\n").encode("utf-8")
    text, problem = decode(raw)
    assert problem is None
    source = load_text(text)
    assert source.documents[1].position(("spec", "hosts", 0)) == (13, 5)
    assert source.documents[1].data["spec"]["hosts"] == ["b"]


def test_json_loads_through_the_same_path():
    text = '{\n  "apiVersion": "v1",\n  "kind": "Service",\n  "metadata": {"name": "x"},\n  "spec": {"ports": [{"port": 80}]}\n}\n'
    doc = load_text(text).documents[0]
    assert doc.data["spec"]["ports"][0]["port"] == 80
    assert doc.position(("spec", "ports", 0, "port")) == (5, 31)
    assert doc.position(("metadata",), key=True) == (4, 3)


def test_list_items_keep_positions(tmp_path):
    from istiolint.model import resources_of

    text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: one\n" \
           "- apiVersion: v1\n  kind: Service\n  metadata:\n    name: two\n"
    source = load_text(text)
    found = [r for r, _, _ in resources_of(source, "default")]
    assert [r.name for r in found] == ["one", "two"]
    assert found[1].position(("metadata", "name")) == (11, 11)
    assert found[1].base == ("items", 1)


def test_duplicate_keys_are_problems_and_the_last_value_wins():
    source = load_text("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert source.documents[0].data == {"a": 1, "b": {"c": 2}}
    [problem] = source.problems
    assert (problem.kind, problem.line, problem.column, problem.path) == ("duplicate-key", 4, 3, ("b", "c"))


def test_anchors_aliases_and_merge_keys():
    source = load_text("base: &b {x: 1, z: 2}\nuse:\n  <<: *b\n  z: 3\nother: *b\n")
    data = source.documents[0].data
    assert data["use"] == {"x": 1, "z": 3}
    assert data["other"] == {"x": 1, "z": 2}
    assert source.problems == []


def test_merge_keys_with_inline_sources_and_source_lists():
    text = ("base: &b {x: 1, w: 2}\n"
            "inline:\n  <<: {x: 5, z: 3}\n  w: 9\n"
            "listed:\n  <<: [*b, {x: 7, q: 1}]\n  q: 4\n")
    source = load_text(text)
    data = source.documents[0].data
    assert data["inline"] == {"w": 9, "x": 5, "z": 3}
    # Earlier sources win over later ones, the mapping's own keys over all of them.
    assert data["listed"] == {"q": 4, "x": 1, "w": 2}
    document = source.documents[0]
    assert document.position(("inline", "x")) == (3, 11)  # where the merged value was written
    assert document.position(("listed", "w")) == (1, 20)
    assert source.problems == []


def test_syntax_error_keeps_earlier_documents():
    source = load_text("a: 1\n---\nb: [1, 2\n")
    assert [d.data for d in source.documents] == [{"a": 1}]
    [problem] = source.problems
    assert problem.kind == "syntax" and problem.line == 4


def test_python_tags_construct_nothing():
    source = load_text("a: !!python/object/apply:os.system ['echo hi']\nb: !!str 12\n")
    assert source.documents[0].data == {"a": ["echo hi"], "b": "12"}
    assert [p.kind for p in source.problems] == ["tag"]


def test_alias_bomb_is_reported_not_expanded():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]")
    source = load_text("\n".join(lines) + "\n")
    assert any(p.kind == "limit" and str(MAX_ALIAS_NODES)[:3] in p.message.replace(",", "") for p in source.problems)
    assert source.documents[0].dropped and source.documents[0].data is None


def test_deep_nesting_is_reported_without_recursion_error():
    text = "a: " + "[" * (MAX_DEPTH + 50) + "]" * (MAX_DEPTH + 50) + "\n"
    source = load_text(text)
    assert [p.kind for p in source.problems] == ["limit"]


def test_decode_reports_invalid_utf8_position():
    text, problem = decode(b"a: 1\nb: \xff\xfe\n")
    assert text is None and (problem.line, problem.column) == (2, 4)
    assert "byte offset 8" in problem.message


def test_decode_detects_binary():
    text, problem = decode(b"\x7fELF\x00\x00\x01")
    assert text is None and problem.kind == "binary"
