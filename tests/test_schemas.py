"""Generated schemas (scripts/gen_schemas.py) and the schema validator (istiolint/schema.py)."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from istiolint._data import find_data_dir
from istiolint.schema import (
    NOT_APPLICABLE,
    OK,
    UNKNOWN_GROUP,
    UNKNOWN_KIND,
    UNKNOWN_VERSION,
    SchemaProblem,
    SchemaStore,
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
SHARED = ROOT.parent / "shared"
CRDS = SHARED / "istio-crds" / "crd-all.gen.yaml"
PEER_VALIDATION = SHARED / "peer" / "istio-validation"
CORPUS = SHARED / "corpus"

_spec = importlib.util.spec_from_file_location("gen_schemas", ROOT / "scripts" / "gen_schemas.py")
gen_schemas = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_schemas)

STORE = SchemaStore(SCHEMAS)


def problems(document: dict) -> list[tuple]:
    return [(p.path, p.anchor, p.message) for p in STORE.validate(document["apiVersion"], document["kind"], document)]


def virtual_service(**spec: Any) -> dict:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "reviews", "namespace": "default"},
        "spec": {"hosts": ["reviews"], **spec},
    }


def destination_rule(**spec: Any) -> dict:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "reviews"},
        "spec": {"host": "reviews", **spec},
    }


ROUTE = [{"destination": {"host": "reviews", "subset": "v1"}}]


# -- generation -------------------------------------------------------------------------------------


@pytest.mark.skipif(not CRDS.is_file(), reason="../shared/istio-crds is not available")
def test_committed_schemas_equal_a_fresh_generation(tmp_path: Path) -> None:
    assert gen_schemas.main(["--crds", str(CRDS), "--out", str(tmp_path)]) == 0
    fresh = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*.json")}
    committed = {p.relative_to(SCHEMAS).as_posix(): p.read_bytes() for p in SCHEMAS.rglob("*.json")}
    assert sorted(fresh) == sorted(committed)
    for name, data in fresh.items():
        assert committed[name] == data, f"schemas/{name} is stale: run scripts/gen_schemas.py"
    assert gen_schemas.main(["--crds", str(CRDS), "--out", str(SCHEMAS), "--check"]) == 0


def test_index_names_every_schema_and_the_source() -> None:
    index = json.loads((SCHEMAS / "index.json").read_text())
    files = {p.relative_to(SCHEMAS).as_posix() for p in SCHEMAS.glob("*/*/*.json")}
    listed = {rel for kinds in index["schemas"].values() for rel in kinds.values()}
    assert listed == files
    assert len(files) == 33  # 15 kinds, several served in 2 or 3 versions
    assert index["groups"]["networking.istio.io"]["kinds"]["VirtualService"]["versions"] == ["v1", "v1beta1", "v1alpha3"]
    assert index["groups"]["telemetry.istio.io"]["kinds"]["Telemetry"]["preferred"] == "v1"
    source = json.loads((SCHEMAS / "SOURCE.json").read_text())
    assert source["schema_count"] == 33
    assert source["source"]["snapshot_commit"] == "86c9f01fd735fb01d8192f5bcaf0d424afb7f14c"
    if CRDS.is_file():
        import hashlib

        assert source["crd_sha256"] == hashlib.sha256(CRDS.read_bytes()).hexdigest()


def test_generated_schema_is_strict_at_every_level_and_keeps_cel_rules() -> None:
    schema = json.loads((SCHEMAS / "networking.istio.io/v1/VirtualService.json").read_text())
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"apiVersion", "kind", "metadata", "spec", "status"}
    assert schema["properties"]["status"] == {}
    http = schema["properties"]["spec"]["properties"]["http"]["items"]
    assert http["additionalProperties"] is False
    assert http["properties"]["mirrorPercent"]["type"] == ["integer", "null"]
    assert http["properties"]["timeout"]["x-kubernetes-validations"] == [
        {"message": "must be a valid duration greater than 1ms", "rule": "duration(self) >= duration('1ms')"}
    ]
    text = json.dumps(schema)
    assert '"description"' not in text


def test_convert_int_or_string_nullable_and_strictness() -> None:
    node = {
        "description": "prose",
        "type": "object",
        "properties": {
            "port": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True},
            "mode": {"type": "string", "enum": ["A", "B"], "nullable": True},
            "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "ref": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "x-kubernetes-validations": [{"rule": "self.name != ''", "message": "m", "reason": "FieldValueInvalid"}],
            },
        },
    }
    out = gen_schemas.convert(node)
    assert "description" not in out
    assert out["additionalProperties"] is False
    assert out["properties"]["port"] == {"type": ["integer", "string"]}
    assert out["properties"]["mode"] == {"type": ["string", "null"], "enum": ["A", "B", None]}
    assert out["properties"]["config"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    assert out["properties"]["labels"] == {"type": "object", "additionalProperties": {"type": "string"}}
    assert out["properties"]["ref"]["additionalProperties"] is False
    assert out["properties"]["ref"]["x-kubernetes-validations"] == [
        {"rule": "self.name != ''", "message": "m", "reason": "FieldValueInvalid"}
    ]
    with pytest.raises(gen_schemas.UnknownKeyword):
        gen_schemas.convert({"type": "string", "x-new-thing": 1})


def test_int_or_string_field_end_to_end(tmp_path: Path) -> None:
    # No Istio spec field is int-or-string (only status), so build a tiny schema directory.
    crd_root = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "port": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}
                },
            }
        },
    }
    (tmp_path / "example.istio.io/v1").mkdir(parents=True)
    schema = gen_schemas.resource_schema(crd_root, "example.istio.io", "v1", "Thing")
    (tmp_path / "example.istio.io/v1/Thing.json").write_text(json.dumps(schema))
    (tmp_path / "index.json").write_text(
        json.dumps(
            {
                "schemas": {"example.istio.io/v1": {"Thing": "example.istio.io/v1/Thing.json"}},
                "groups": {
                    "example.istio.io": {
                        "versions": ["v1"],
                        "kinds": {"Thing": {"versions": ["v1"], "preferred": "v1", "storage": "v1"}},
                    }
                },
            }
        )
    )
    store = SchemaStore(tmp_path)
    for port in (8080, "http"):
        assert store.validate("example.istio.io/v1", "Thing", {"spec": {"port": port}}) == []
    assert store.validate("example.istio.io/v1", "Thing", {"spec": {"port": True}}) == [
        SchemaProblem(("spec", "port"), "value", "spec.port must be an integer or a string, got boolean true; quote it to make it a string")
    ]


def test_find_data_dir_falls_back_to_the_source_tree() -> None:
    assert find_data_dir("schemas") == SCHEMAS
    assert SchemaStore().directory == str(SCHEMAS)


# -- lookup -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_version", "kind", "status", "suggestion"),
    [
        ("networking.istio.io/v1", "VirtualService", OK, None),
        ("networking.istio.io/v1alpha3", "EnvoyFilter", OK, None),
        ("telemetry.istio.io/v1", "Telemetry", OK, None),
        ("networking.istio.io/v2", "VirtualService", UNKNOWN_VERSION, "did you mean networking.istio.io/v1?"),
        ("networking.istio.io/v1", "EnvoyFilter", UNKNOWN_VERSION, "did you mean networking.istio.io/v1alpha3?"),
        ("networking.istio.io/v1", "Virtualservice", UNKNOWN_KIND, 'did you mean "VirtualService"?'),
        ("networking.istio.io/v1", "Gatway", UNKNOWN_KIND, 'did you mean "Gateway"?'),
        ("security.istio.io/v1", "VirtualService", UNKNOWN_KIND, "did you mean networking.istio.io/v1?"),
        (
            "networking.istio.io/v1",
            "Envoyfilter",
            UNKNOWN_KIND,
            'did you mean "EnvoyFilter" (apiVersion networking.istio.io/v1alpha3)?',
        ),
        ("networking.istio.oi/v1", "Gateway", UNKNOWN_GROUP, "did you mean networking.istio.io/v1?"),
        ("rbac.istio.io/v1alpha1", "ServiceRole", UNKNOWN_GROUP, None),
        ("v1", "Service", NOT_APPLICABLE, None),
        ("networking.k8s.io/v1", "Ingress", NOT_APPLICABLE, None),
        ("gateway.networking.k8s.io/v1", "Gateway", NOT_APPLICABLE, None),
        ("install.istio.io/v1alpha1", "IstioOperator", NOT_APPLICABLE, None),
        (None, "VirtualService", NOT_APPLICABLE, None),
    ],
)
def test_lookup(api_version: Any, kind: str, status: str, suggestion: str | None) -> None:
    result = STORE.lookup(api_version, kind)
    assert (result.status, result.suggestion) == (status, suggestion)
    assert result.ok == (status == OK)
    assert (result.schema is not None) == (status == OK)


def test_unknown_kind_is_not_validated() -> None:
    assert STORE.validate("networking.istio.io/v1", "Virtualservice", {"spec": 1}) == []


# -- messages ---------------------------------------------------------------------------------------


def test_valid_resource_has_no_problems() -> None:
    doc = virtual_service(
        gateways=["mesh"],
        http=[{"match": [{"uri": {"prefix": "/"}, "headers": {"end-user": {"exact": "jason"}}}], "route": ROUTE, "timeout": "5s"}],
    )
    assert problems(doc) == []


def test_unknown_field_is_anchored_at_the_key_with_a_suggestion() -> None:
    doc = virtual_service(http=[{"route": [{"destinaton": {"host": "reviews"}}]}])
    assert problems(doc) == [
        (
            ("spec", "http", 0, "route", 0, "destinaton"),
            "key",
            'unknown field "destinaton" in spec.http[0].route[0]; did you mean "destination"?',
        )
    ]


def test_unknown_top_level_field() -> None:
    doc = virtual_service()
    doc["specs"] = doc.pop("spec")
    assert problems(doc) == [(("specs",), "key", 'unknown top-level field "specs"; did you mean "spec"?')]


def test_unknown_field_inside_a_map_value_and_without_suggestion() -> None:
    doc = virtual_service(
        http=[{"match": [{"headers": {"x-user": {"exct": "a"}}, "uri": {"prefix": "/", "zzz": 1}}], "route": ROUTE}]
    )
    assert problems(doc) == [
        (
            ("spec", "http", 0, "match", 0, "headers", "x-user", "exct"),
            "key",
            'unknown field "exct" in spec.http[0].match[0].headers.x-user; did you mean "exact"?',
        ),
        (("spec", "http", 0, "match", 0, "uri", "zzz"), "key", 'unknown field "zzz" in spec.http[0].match[0].uri'),
    ]


def test_yaml_11_boolean_in_a_string_field_is_a_type_error() -> None:
    # `exact: yes` arrives as True from a YAML 1.1 loader, as it does for kubectl.
    doc = virtual_service(http=[{"match": [{"uri": {"exact": True}}], "route": ROUTE}])
    assert problems(doc) == [
        (
            ("spec", "http", 0, "match", 0, "uri", "exact"),
            "value",
            "spec.http[0].match[0].uri.exact must be a string, got boolean true; quote it to make it a string",
        )
    ]


def test_wrong_container_type_yields_only_the_type_error() -> None:
    # uri's "at most one of" oneOf would also fail on a string: that cascade is suppressed.
    doc = virtual_service(http=[{"match": [{"uri": "/reviews"}], "route": "reviews"}])
    assert problems(doc) == [
        (("spec", "http", 0, "match", 0, "uri"), "value", 'spec.http[0].match[0].uri must be a mapping, got string "/reviews"'),
        (("spec", "http", 0, "route"), "value", 'spec.http[0].route must be a list, got string "reviews"'),
    ]


def test_missing_required_field_is_anchored_at_the_mapping() -> None:
    doc = destination_rule()
    del doc["spec"]["host"]
    assert problems(doc) == [(("spec",), "value", 'spec is missing required field "host"')]
    service_entry = {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "metadata": {"name": "x"}}
    assert problems(service_entry) == [((), "value", 'the resource is missing required field "spec"')]


def test_misspelt_required_field_is_one_problem() -> None:
    doc = destination_rule()
    doc["spec"]["hots"] = doc["spec"].pop("host")
    assert problems(doc) == [(("spec", "hots"), "key", 'unknown field "hots" in spec; did you mean "host"?')]


def test_enum_lists_the_allowed_values_and_suggests() -> None:
    doc = destination_rule(trafficPolicy={"tls": {"mode": "simple"}})
    assert problems(doc) == [
        (
            ("spec", "trafficPolicy", "tls", "mode"),
            "value",
            'spec.trafficPolicy.tls.mode must be one of "DISABLE", "SIMPLE", "MUTUAL" or "ISTIO_MUTUAL", '
            'got "simple"; did you mean "SIMPLE"?',
        )
    ]


def test_at_most_one_of_names_the_conflicting_fields() -> None:
    doc = virtual_service(http=[{"match": [{"uri": {"exact": "/a", "prefix": "/b"}}], "route": ROUTE}])
    assert problems(doc) == [
        (
            ("spec", "http", 0, "match", 0, "uri"),
            "value",
            'spec.http[0].match[0].uri sets "exact" and "prefix", but only one of "exact", "prefix" or "regex" may be set',
        )
    ]


def test_at_most_one_of_in_an_all_of() -> None:
    doc = destination_rule(
        trafficPolicy={"loadBalancer": {"consistentHash": {"useSourceIp": True, "ringHash": {}, "maglev": {}}}}
    )
    assert problems(doc) == [
        (
            ("spec", "trafficPolicy", "loadBalancer", "consistentHash"),
            "value",
            'spec.trafficPolicy.loadBalancer.consistentHash sets "ringHash" and "maglev", '
            'but only one of "ringHash" or "maglev" may be set',
        )
    ]


def test_limits_are_stated() -> None:
    doc = destination_rule(
        trafficPolicy={"loadBalancer": {"warmup": {"duration": "10s", "minimumPercent": 150, "aggression": -1}}}
    )
    doc["spec"]["workloadSelector"] = {"matchLabels": {"app": "x" * 64}}
    assert problems(doc) == [
        (
            ("spec", "trafficPolicy", "loadBalancer", "warmup", "aggression"),
            "value",
            "spec.trafficPolicy.loadBalancer.warmup.aggression must be at least 0, got -1",
        ),
        (
            ("spec", "trafficPolicy", "loadBalancer", "warmup", "minimumPercent"),
            "value",
            "spec.trafficPolicy.loadBalancer.warmup.minimumPercent must be at most 100, got 150",
        ),
        (
            ("spec", "workloadSelector", "matchLabels", "app"),
            "value",
            "spec.workloadSelector.matchLabels.app must be at most 63 characters long, got 64",
        ),
    ]


def test_pattern_and_empty_string_give_one_problem_each() -> None:
    doc = {
        "apiVersion": "security.istio.io/v1",
        "kind": "RequestAuthentication",
        "metadata": {"name": "jwt"},
        "spec": {
            "jwtRules": [
                {"issuer": "a", "outputClaimToHeaders": [{"header": "", "claim": "sub"}, {"header": ":authority", "claim": "sub"}]}
            ]
        },
    }
    assert problems(doc) == [
        (
            ("spec", "jwtRules", 0, "outputClaimToHeaders", 0, "header"),
            "value",
            "spec.jwtRules[0].outputClaimToHeaders[0].header must not be empty",
        ),
        (
            ("spec", "jwtRules", 0, "outputClaimToHeaders", 1, "header"),
            "value",
            'spec.jwtRules[0].outputClaimToHeaders[1].header must match the regular expression ^[-_A-Za-z0-9]+$, got ":authority"',
        ),
    ]


def test_duplicate_keys_of_a_map_list() -> None:
    doc = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "ServiceEntry",
        "metadata": {"name": "ext"},
        "spec": {"hosts": ["example.com"], "ports": [{"name": "a", "number": 1}, {"name": "a", "number": 2}]},
    }
    assert problems(doc) == [
        (
            ("spec", "ports", 1),
            "value",
            'spec.ports[1] has the same name "a" as spec.ports[0]; each item of spec.ports needs a unique name',
        )
    ]


def test_base64_format() -> None:
    doc = virtual_service(http=[{"directResponse": {"status": 200, "body": {"bytes": "no base64!"}}}])
    assert problems(doc) == [
        (
            ("spec", "http", 0, "directResponse", "body", "bytes"),
            "value",
            'spec.http[0].directResponse.body.bytes must be base64-encoded data, got "no base64!"',
        )
    ]
    doc["spec"]["http"][0]["directResponse"]["body"]["bytes"] = "aGVsbG8="
    assert problems(doc) == []


def test_nulls_like_the_api_server() -> None:
    # A null value of a non-nullable field is dropped before validation (so `gateways:` is fine), a
    # nullable one is kept, and a null list item is an error.
    doc = virtual_service(gateways=None, http=[{"route": ROUTE, "mirrorPercent": None, "retries": None}])
    assert problems(doc) == []
    doc["spec"]["hosts"] = [None]
    assert problems(doc) == [(("spec", "hosts", 0), "value", "spec.hosts[0] must be a string, got null")]
    doc = destination_rule()
    doc["spec"]["host"] = None  # dropped, so the required field is missing
    assert problems(doc) == [(("spec",), "value", 'spec is missing required field "host"')]


def test_values_json_has_no_type_for() -> None:
    import datetime

    # A YAML 1.2 reader makes dates and integer keys; YAML→JSON makes them strings, as here.
    doc = virtual_service(http=[{"match": [{"uri": {"exact": datetime.date(2024, 1, 2)}}], "route": ROUTE}])
    assert problems(doc) == []
    doc = destination_rule(subsets=[{"name": "v1", "labels": {1: "a"}}])
    assert problems(doc) == []


def test_duplicates_are_reported_once() -> None:
    doc = destination_rule(trafficPolicy={"tls": {"mode": "simple"}})
    doc["spec"]["trafficPolicy"]["portLevelSettings"] = [{"port": {"number": 80}, "tls": {"mode": "simple"}}]
    found = problems(doc)
    assert len(found) == len(set(found)) == 2


# -- Istio's own validation cases ------------------------------------------------------------------

_YAML = YAML(typ="safe", pure=False)
_SEPARATOR = re.compile(r"(?m)^---[ \t]*(?:#.*)?$")


def yaml_documents(path: Path) -> list[tuple[str, Any]]:
    """Each document of a file, parsed on its own so one that ruamel (YAML 1.2) cannot read, such as
    ``[1.2.3.4, 001:db8::]`` (a string to kubectl), does not hide the others."""
    out = []
    for index, chunk in enumerate(_SEPARATOR.split(path.read_text(encoding="utf-8"))):
        try:
            out.append((f"{path.name}#{index}", _YAML.load(chunk)))
        except Exception as error:  # noqa: BLE001 - any parse failure: report and skip this document
            out.append((f"{path.name}#{index}", error))
    return out


def _cases(pattern: str) -> list[Any]:
    if not PEER_VALIDATION.is_dir():
        return []
    return [
        pytest.param(document, id=name)
        for path in sorted(PEER_VALIDATION.glob(pattern))
        for name, document in yaml_documents(path)
        if document is not None
    ]


def _istio_document(document: Any) -> dict:
    if isinstance(document, Exception):
        pytest.skip(f"ruamel.yaml cannot read this document: {str(document).splitlines()[0]}")
    document = dict(document)
    document.pop("_err", None)
    if not STORE.lookup(document.get("apiVersion"), document.get("kind")).ok:
        pytest.skip("not an Istio kind")
    return document


@pytest.mark.skipif(not PEER_VALIDATION.is_dir(), reason="../shared/peer/istio-validation is not available")
@pytest.mark.parametrize("document", _cases("*-valid.yaml"))
def test_istio_valid_cases_have_no_problems(document: Any) -> None:
    assert problems(_istio_document(document)) == []


def _cel_messages() -> set[str]:
    messages: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for rule in node.get("x-kubernetes-validations", []):
                messages.add(rule.get("message", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in SCHEMAS.glob("*/*/*.json"):
        walk(json.loads(path.read_text()))
    return messages


# Invalid cases whose expected error is not a CEL message text but still comes from a CEL rule.
_CEL_WITHOUT_MESSAGE = {
    "type conversion error from",  # int(key) on a non-numeric portLevelMtls key
    "spec.ports: Invalid value",  # WorkloadEntry port name "@": the "port name must be valid" rule
}


@pytest.mark.skipif(not PEER_VALIDATION.is_dir(), reason="../shared/peer/istio-validation is not available")
@pytest.mark.parametrize("document", _cases("*-invalid.yaml"))
def test_istio_invalid_cases_fail_unless_only_cel_can_tell(document: Any) -> None:
    expected = document.get("_err", "") if isinstance(document, dict) else ""
    found = problems(_istio_document(document))
    if found:
        return
    cel = _cel_messages()
    assert expected in _CEL_WITHOUT_MESSAGE or any(expected in m or m in expected for m in cel if m), (
        f"no schema problem, and {expected!r} is not a CEL rule's message"
    )


# -- real-world corpus ------------------------------------------------------------------------------


def _corpus_files() -> list[Any]:
    if not CORPUS.is_dir():
        return []
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [pytest.param(p, id=p.relative_to(CORPUS).as_posix()) for p in files]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not available")
@pytest.mark.parametrize("path", _corpus_files())
def test_corpus_istio_resources_validate_clean(path: Path) -> None:
    checked = 0
    for name, document in yaml_documents(path):
        if isinstance(document, Exception) or not isinstance(document, dict):
            continue
        items = document.get("items") if document.get("kind") == "List" else [document]
        for resource in items or []:
            if isinstance(resource, dict) and STORE.lookup(resource.get("apiVersion"), resource.get("kind")).ok:
                checked += 1
                assert problems(resource) == [], name
                # and strictness bites: a misspelt top-level field is found
                typo = copy.deepcopy(resource)
                typo["specs"] = {}
                assert [p[0] for p in problems(typo)] == [("specs",)]
    if not checked:
        pytest.skip("no Istio resources in this file")
