"""Property-based tests: whatever the input, the pipeline answers with findings, never a traceback.

Two generators: arbitrary YAML-ish text (YAML tokens, indentation, quotes, colons, braces, unicode and
control characters, broken encodings), and structurally valid Istio resources built from the bundled
JSON schemas (optionally with parts replaced by values of the wrong type). For every input:
- no exception escapes ``analyze()``, and no rule fails (``internal-error``);
- the JSON report parses;
- every finding points inside the file: ``1 <= line <= lines + 1``, ``column >= 1``;
- the exit code is 0, 1 or 2.

The default profile runs a few dozen examples per test; ``--hypothesis-profile=long`` runs thousands.
"""

from __future__ import annotations

import base64
import io
import json
from functools import lru_cache
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from istiolint.app import Options, analyze
from istiolint.loader import decode
from istiolint.reporters import get_reporter

from .conftest import ROOT

SCHEMAS = ROOT / "schemas"


# -- the invariants ------------------------------------------------------------------------------------

def check_invariants(raw: bytes, **options) -> list:
    report, code, tracebacks = analyze(Options(paths=["-"], **options), io.BytesIO(raw))
    assert report is not None and code in (0, 1, 2)
    assert not [f for f in report.findings if f.name == "internal-error"], tracebacks
    assert not [f for f in report.findings if "bug in istiolint" in f.message]
    stream = io.StringIO()
    get_reporter("json")(report, stream, color=False, quiet=False)
    document = json.loads(stream.getvalue())
    assert len(document["findings"]) == len(report.findings)
    text = decode(raw)[0]
    text = text if text is not None else raw.decode("utf-8", "replace")
    lines = max(len(text.splitlines()), len(raw.split(b"\n")))
    for finding in report.findings:
        assert 1 <= finding.line <= lines + 1, (finding, lines)
        assert finding.column >= 1, finding
    # Exit code 1 exactly when some finding reaches the default --fail-on error.
    assert code == (1 if any(f.severity.label == "error" for f in report.findings) else 0)
    return report.findings


# -- YAML-ish text ------------------------------------------------------------------------------------------

TOKENS = [
    "apiVersion: ", "networking.istio.io/v1", "v1", "kind: ", "VirtualService", "Gateway", "DestinationRule",
    "ServiceEntry", "Service", "List", "items:", "metadata:", "name: ", "namespace: ", "spec:", "hosts:",
    "http:", "route:", "destination:", "host: ", "reviews", "subset: ", "port:", "number: ", "80", "gateways:",
    "selector:", "servers:", "match:", "uri:", "prefix: /", "- ", "-", "---", "...", "\n", "\r\n", "\r", "  ",
    "    ", "\t", ": ", ":", "::", "::1", "2001:db8::1", "[", "]", "{", "}", ", ", ",", "'", '"', "\\", "&a ", "*a",
    "&b ", "*b", "<<: ", "? ", "|", "|-", ">", "#", " # c", "!!str ", "!!python/object:os.system ", "!Ref ",
    "%YAML 1.1", "{{ .Values.x }}", "{{", "}}", "<<<<<<< HEAD", "=======", ">>>>>>> b", "yes", "no", "~", "null",
    "true", "0o17", "1e3", ".inf", "é", "😀", "\u2028", "\x85", "\ufeff", "\x00", "\x07", "\x1b", "\ufffe",
    "istiolint: disable=", "# istiolint: disable=yaml-syntax",
]

yamlish = st.lists(
    st.one_of(st.sampled_from(TOKENS), st.text(st.characters(exclude_categories=("Cs",)), max_size=6)),
    max_size=60,
).map("".join)


@given(yamlish)
def test_yamlish_text(text):
    check_invariants(text.encode("utf-8"))


@given(yamlish, st.sampled_from(["utf-8-sig", "utf-16", "utf-32", "latin-1"]))
def test_yamlish_text_in_other_encodings(text, encoding):
    check_invariants(text.encode(encoding, "replace"))


@given(st.binary(max_size=300))
def test_arbitrary_bytes(raw):
    check_invariants(raw)


@given(yamlish, st.integers(0, 400), st.binary(min_size=1, max_size=4))
def test_text_with_bytes_spliced_in(text, at, junk):
    raw = text.encode("utf-8")
    check_invariants(raw[:at] + junk + raw[at:])


# -- resources from the schemas -------------------------------------------------------------------------

# A small shared vocabulary, so that resources refer to each other (hosts, gateways, subsets, labels)
# and the cross-resource rules have something to chew on.
WORDS = ["reviews", "ratings", "productpage", "v1", "v2", "mesh", "gw", "bookinfo/gw", "istio-system/gw",
         "reviews.bookinfo.svc.cluster.local", "*.example.com", "*", "example.com", "http", "https", "tcp",
         "grpc", "app", "version", "bookinfo", "default", "istio-system", ".", "~", "", "a:b", "1.2.3.4",
         "2001:db8::1", "/", "/api", "GET", "yes", "{{ .Values.host }}", "é"]
word = st.one_of(st.sampled_from(WORDS), st.text(max_size=8))
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=False), word)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(word, inner, max_size=3)), max_leaves=8)


@lru_cache(maxsize=None)
def _load_schema(relative: str) -> dict:
    return json.loads((SCHEMAS / relative).read_text(encoding="utf-8"))


def _kinds() -> list[tuple[str, str, str]]:
    index = json.loads((SCHEMAS / "index.json").read_text(encoding="utf-8"))
    return sorted((api, kind, rel) for api, kinds in index["schemas"].items() for kind, rel in kinds.items())


_STRATEGIES: dict[int, st.SearchStrategy] = {}


def from_schema(schema: dict, depth: int = 0) -> st.SearchStrategy:
    """Values of the shape ``schema`` describes: the right types, enums, bounds and required fields
    (patterns and cross-field rules are not honoured: rules must cope with what they get)."""
    key = id(schema) * 100 + depth
    if key not in _STRATEGIES:
        _STRATEGIES[key] = _from_schema(schema, depth)
    return _STRATEGIES[key]


def _from_schema(schema: dict, depth: int) -> st.SearchStrategy:
    if not isinstance(schema, dict) or not schema:
        return json_value
    if "enum" in schema:
        return st.sampled_from([v for v in schema["enum"] if v is not None] or [None])
    types = schema.get("type")
    types = [t for t in (types if isinstance(types, list) else [types]) if t != "null"]
    kind = types[0] if types else ("object" if "properties" in schema else None)
    if kind == "object":
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        if not properties:
            if isinstance(extra, dict) and depth < 6:
                return st.dictionaries(word, from_schema(extra, depth + 1), max_size=3)
            return st.dictionaries(word, json_value, max_size=2) if depth < 6 else st.just({})
        required = [k for k in schema.get("required", []) if k in properties]
        optional = sorted(k for k in properties if k not in required)
        if depth >= 6:
            optional = []

        def build(chosen: list[str]) -> st.SearchStrategy:
            return st.fixed_dictionaries({k: from_schema(properties[k], depth + 1) for k in required + chosen})

        if not optional:
            return build([])
        return st.lists(st.sampled_from(optional), max_size=4, unique=True).flatmap(build)
    if kind == "array":
        if depth >= 6:
            return st.just([])
        return st.lists(from_schema(schema.get("items", {}), depth + 1), max_size=3)
    if kind == "string":
        if schema.get("format") == "byte":
            return st.binary(max_size=8).map(lambda b: base64.b64encode(b).decode())
        return word
    if kind == "integer":
        low, high = schema.get("minimum", -1), schema.get("maximum", 70_000)
        return st.integers(int(low), int(min(high, 2**40)))
    if kind == "number":
        return st.one_of(st.integers(0, 1000), st.floats(0, 100, allow_nan=False))
    if kind == "boolean":
        return st.booleans()
    return json_value


metadata = st.fixed_dictionaries(
    {"name": st.sampled_from(["reviews", "ratings", "gw", "default", "a"])},
    optional={"namespace": st.sampled_from(["bookinfo", "default", "istio-system"]),
              "labels": st.dictionaries(st.sampled_from(["app", "version"]), st.sampled_from(["reviews", "v1"]),
                                        max_size=2),
              "annotations": st.dictionaries(st.sampled_from(["networking.istio.io/exportTo", "x"]), word,
                                             max_size=1)},
)


@st.composite
def istio_resource(draw) -> dict:
    api_version, kind, relative = draw(st.sampled_from(_kinds()))
    schema = _load_schema(relative)
    spec = draw(from_schema(schema["properties"]["spec"]))
    return {"apiVersion": api_version, "kind": kind, "metadata": draw(metadata), "spec": spec}


ports = st.lists(st.fixed_dictionaries(
    {"port": st.sampled_from([80, 443, 9080, 15443])},
    optional={"name": st.sampled_from(["http", "https", "tcp", "grpc-web", "tls"]),
              "targetPort": st.one_of(st.integers(1, 65535), word), "protocol": st.sampled_from(["TCP", "UDP"])},
), max_size=3)
labels = st.dictionaries(st.sampled_from(["app", "version"]), st.sampled_from(["reviews", "v1", "v2"]), max_size=2)
kubernetes_resource = st.one_of(
    st.builds(lambda m, p, s: {"apiVersion": "v1", "kind": "Service", "metadata": m, "spec": {"ports": p, "selector": s}},
              metadata, ports, labels),
    st.builds(lambda m, l: {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": m,
                            "spec": {"selector": {"matchLabels": l}, "template": {"metadata": {"labels": l}}}},
              metadata, labels),
    st.builds(lambda m: {"apiVersion": "v1", "kind": "Namespace", "metadata": m}, metadata),
    st.builds(lambda m: {"apiVersion": "v1", "kind": "Secret", "metadata": m, "type": "kubernetes.io/tls"}, metadata),
)
resources = st.lists(st.one_of(istio_resource(), istio_resource(), kubernetes_resource), min_size=1, max_size=4)


def dump(documents: list, style: str) -> bytes:
    if style == "json":
        return "\n---\n".join(json.dumps(d, indent=2, ensure_ascii=False) for d in documents).encode()
    if style == "list":
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": documents}).encode()
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 1)  # quotes yes/no/on/off, which Kubernetes reads as booleans
    yaml.default_flow_style = style == "flow"
    stream = io.StringIO()
    yaml.dump_all(documents, stream)
    return stream.getvalue().encode()


@given(resources, st.sampled_from(["block", "flow", "json", "list"]))
def test_resources_from_the_schemas(documents, style):
    check_invariants(dump(documents, style))


@st.composite
def mutated(draw, documents: list) -> list:
    """``documents`` with a few nodes replaced by values of another type (or removed)."""
    documents = json.loads(json.dumps(documents))
    for _ in range(draw(st.integers(1, 3))):
        paths = []
        stack = [((i,), d) for i, d in enumerate(documents)]
        while stack:
            path, node = stack.pop()
            paths.append(path)
            children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
            stack.extend((path + (k,), v) for k, v in children)
        path = draw(st.sampled_from(sorted(paths, key=repr)))
        parent = documents
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict) and len(path) > 1:
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_value)
    return documents


@given(resources.flatmap(mutated), st.sampled_from(["block", "json"]))
def test_resources_with_wrong_types(documents, style):
    check_invariants(dump(documents, style))


@given(resources, st.sampled_from(["strict", "context"]))
def test_resources_with_other_options(documents, mode):
    raw = dump(documents, "block")
    if mode == "strict":
        check_invariants(raw, strict_references=True, namespace="bookinfo")
    else:
        hostile = Path(__file__).resolve().parent / "hostile"
        check_invariants(raw, context=[str(hostile / n) for n in ("ipv6-flow.yaml", "crlf-bom.yaml", "alias-bomb.yaml",
                                                                  "list-items-scalars.yaml", "binary-png.yaml")])
