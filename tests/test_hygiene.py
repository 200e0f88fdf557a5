"""Hygiene rules (issue 6): port naming, ServiceEntry addresses, DestinationRule TLS verification,
EnvoyFilter operations, deprecated fields, UID 1337, Istio annotations, namespace injection labels.

Fixture positions are checked by tests/test_rules.py; here: the semantics case by case, and Istio's own
analyzer test grid for the codes these rules claim (mesh config bodies wrapped in the ConfigMap a
cluster keeps them in, so the ServiceEntry and Lightstep cases can be judged).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from istiolint.catalog import load_catalog
from istiolint.protocols import declared_protocol
from istiolint.rules.hygiene.annotations import invalid

from .conftest import ROOT, SHARED, lint_paths, lint_text, wrap_mesh_config

HYGIENE = ("IL502", "IL503", "IL430", "IL601", "IL602", "IL151", "IL152", "IL153", "IL154", "IL155", "IL120",
           "IL121", "IL530", "IL540", "IL541", "IL542", "IL543", "IL550", "IL551")


def findings(text, tmp_path, code, **kwargs):
    report, _ = lint_text(text, tmp_path, select=[code], **kwargs)
    return [(f.resource.name if f.resource else None, f.path) for f in report.findings if f.code == code]


def doc(*parts: str) -> str:
    return "\n---\n".join(parts)


# --------------------------------------------------------------------------- protocols


@pytest.mark.parametrize("port,expected", [
    ({"name": "http", "port": 80}, "HTTP"),
    ({"name": "HTTP2-api", "port": 80}, "HTTP2"),
    ({"name": "grpc-web", "port": 80}, "GRPC-WEB"),
    ({"name": "grpc-web-ui", "port": 80}, "GRPC-WEB"),
    ({"name": "grpc-api", "port": 80}, "GRPC"),
    ({"name": "web", "port": 80}, None),
    ({"port": 80}, None),
    ({"name": "web", "port": 3306}, "TCP"),  # well-known server-first port
    ({"port": 27017}, "TCP"),
    ({"name": "dns", "port": 53, "protocol": "UDP"}, "UDP"),
    ({"name": "tcp-db", "port": 80, "appProtocol": "http"}, "HTTP"),  # appProtocol wins
    ({"name": "http", "port": 80, "appProtocol": "hbone"}, None),  # ... even when Istio does not know it
    ({"port": 80, "appProtocol": "kubernetes.io/h2c"}, "HTTP2"),
    ({"port": 80, "appProtocol": "kubernetes.io/wss"}, "HTTPS"),
    ({"name": 7, "port": 80}, None),
    ("http", None),
])
def test_declared_protocol(port, expected):
    found = declared_protocol(port)
    assert (found[0] if found else None) == expected


# --------------------------------------------------------------------------- services

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
  {labels}
spec:
  {type}
  ports:
  {ports}
"""


def service(ports, name="api", namespace="shop", labels="", type=""):
    return SERVICE.format(name=name, namespace=namespace, labels=labels, type=type, ports=ports)


@pytest.mark.parametrize("namespace,labels,expected", [
    ("shop", "", 1),
    ("kube-system", "", 0),
    ("kube-public", "", 0),
    ("kube-node-lease", "", 0),
    ("local-path-storage", "", 0),
    ("istio-system", "", 1),  # Istio skips its namespace only for its own (labelled) Services
    ("istio-system", "labels: {istio: pilot}", 0),
    ("shop", "labels: {release: istio}", 0),
    ("shop", "labels: {gateway.istio.io/managed: istio.io-gateway-controller}", 0),
    ("shop", "labels: {gateway.istio.io/managed: someone-else}", 1),
])
def test_port_naming_skips_what_istio_skips(namespace, labels, expected, tmp_path):
    text = service("- {port: 8080}", namespace=namespace, labels=labels)
    assert len(findings(text, tmp_path, "IL502")) == expected


def test_external_name_is_reported_once_and_only_by_il503(tmp_path):
    text = service("- {port: 80}\n  - {name: tcp, port: 81}\n  - {name: https, port: 443}", type="type: ExternalName")
    assert findings(text, tmp_path, "IL502") == []
    assert findings(text, tmp_path, "IL503") == [("api", "spec.ports[0]")]


# --------------------------------------------------------------------------- ServiceEntry addresses

SE = """apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: db
  namespace: shop
spec:
  hosts: [db.example.com]
  resolution: DNS
  ports:
  - {number: 5432, name: tcp, protocol: TCP}
"""
MESH = """apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
data:
  mesh: |
    defaultConfig:
      proxyMetadata:
%s
"""


@pytest.mark.parametrize("metadata,expected", [
    (None, 1),
    ('        ISTIO_META_DNS_CAPTURE: "true"', 1),
    ('        ISTIO_META_DNS_AUTO_ALLOCATE: "true"', 1),  # allocation without capture does nothing
    ('        ISTIO_META_DNS_CAPTURE: "true"\n        ISTIO_META_DNS_AUTO_ALLOCATE: "true"', 0),
    ('        ISTIO_META_DNS_CAPTURE: "true"\n        PILOT_ENABLE_IP_AUTOALLOCATE: "true"', 0),
    ('        ISTIO_META_DNS_CAPTURE: "true"\n        ISTIO_META_DNS_AUTO_ALLOCATE: "false"', 1),
])
def test_serviceentry_addresses_and_mesh_config(metadata, expected, tmp_path):
    text = SE if metadata is None else doc(SE, MESH % metadata)
    # The finding names the TCP port that needs an address; with DNS auto-allocation there is none.
    assert findings(text, tmp_path, "IL430") == [("db", "spec.ports[0]")] * expected


def test_broken_mesh_config_is_ignored(tmp_path):
    text = doc(SE, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\n"
                   "data:\n  mesh: '[unclosed'\n")
    assert findings(text, tmp_path, "IL430") == [("db", "spec.ports[0]")]
    report, _ = lint_text(SE, tmp_path, select=["IL430"])
    assert [(f.line, f.column) for f in report.findings] == [(10, 5)]  # the port item itself


# --------------------------------------------------------------------------- EnvoyFilter

def envoy_filter(patches: str, priority: str = "") -> str:
    return ("apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ef, namespace: shop}\n"
            f"spec:\n{priority}  configPatches:\n{patches}")


INSERT = "  - applyTo: HTTP_FILTER\n    match: {context: SIDECAR_INBOUND%s}\n    patch: {operation: INSERT_BEFORE}\n"


@pytest.mark.parametrize("priority,proxy,expected", [
    ("", "", {"IL151"}),
    ("  priority: 0\n", "", {"IL151"}),  # zero is the default: no priority at all
    ("  priority: 1\n", "", set()),
    ("  priority: -1\n", "", set()),
    ("", ", proxy: {proxyVersion: '^1\\\\.2.*'}", {"IL155"}),
    ("", ", proxy: {proxyVersion: ''}", {"IL151"}),
    ("  priority: 3\n", ", proxy: {proxyVersion: '^1\\\\.2.*'}", set()),
])
def test_relative_operations(priority, proxy, expected, tmp_path):
    text = envoy_filter(INSERT % proxy, priority)
    report, _ = lint_text(text, tmp_path, select=["IL151", "IL155"])
    assert {f.code for f in report.findings} == expected


@pytest.mark.parametrize("apply_to,operation,expected", [
    ("ROUTE_CONFIGURATION", "ADD", "IL153"),
    ("HTTP_ROUTE", "ADD", "IL153"),
    ("VIRTUAL_HOST", "ADD", None),
    ("ROUTE_CONFIGURATION", "REMOVE", "IL154"),
    ("HTTP_ROUTE", "REMOVE", "IL154"),
    ("CLUSTER", "REPLACE", "IL152"),
    ("LISTENER", "REPLACE", "IL152"),
    ("VIRTUAL_HOST", "REPLACE", "IL151"),  # valid, but relative
    ("NETWORK_FILTER", "REMOVE", "IL151"),
    ("HTTP_FILTER", "INSERT_FIRST", None),
    ("ROUTE_CONFIGURATION", "MERGE", None),
])
def test_operation_per_target(apply_to, operation, expected, tmp_path):
    text = envoy_filter(f"  - applyTo: {apply_to}\n    patch: {{operation: {operation}}}\n")
    report, _ = lint_text(text, tmp_path, select=["IL151", "IL152", "IL153", "IL154", "IL155"])
    assert [f.code for f in report.findings] == ([expected] if expected else [])


def test_one_finding_per_envoy_filter_with_the_others_related(tmp_path):
    text = envoy_filter((INSERT % "") * 3)
    report, _ = lint_text(text, tmp_path, select=["IL151"])
    (finding,) = report.findings
    assert finding.path == "spec.configPatches[0].patch.operation"
    assert [r.path for r in finding.related] == ["spec.configPatches[1].patch.operation",
                                                 "spec.configPatches[2].patch.operation"]


# --------------------------------------------------------------------------- DestinationRule TLS

DR = """apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dr, namespace: shop}
spec:
  host: api.example.com
%s  trafficPolicy:
    tls: %s
"""


@pytest.mark.parametrize("selector,tls,expected", [
    ("", "{mode: SIMPLE}", 1),
    ("", "{mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem}", 1),
    ("", "{mode: SIMPLE, caCertificates: /ca.pem}", 0),
    ("", "{mode: SIMPLE, caCertificates: ''}", 1),
    ("", "{mode: ISTIO_MUTUAL}", 0),
    ("", "{mode: DISABLE}", 0),
    ("", "{mode: simple}", 0),  # not a mode Istio accepts: schema validation's business
    ("", "{mode: SIMPLE, credentialName: c}", 1),
    ("  workloadSelector: {matchLabels: {app: gw}}\n", "{mode: SIMPLE, credentialName: c}", 0),
    ("  workloadSelector: {matchLabels: {app: gw}}\n", "{mode: SIMPLE}", 1),
    ("", "{mode: SIMPLE, insecureSkipVerify: true}", 0),
    ("", "{mode: SIMPLE, insecureSkipVerify: false}", 1),
])
def test_tls_verification(selector, tls, expected, tmp_path):
    assert len(findings(DR % (selector, tls), tmp_path, "IL601")) == expected


# --------------------------------------------------------------------------- UID 1337

POD = """apiVersion: v1
kind: Pod
metadata:
  name: app
  namespace: shop
  labels: {labels}
spec:
  securityContext: {pod}
  containers:
  - name: {name}
    image: example/app
    securityContext: {container}
"""


@pytest.mark.parametrize("labels,pod,name,container,expected", [
    ("{app: a}", "{runAsUser: 1337}", "app", "{}", ["spec.securityContext.runAsUser"]),
    ("{app: a}", "{}", "app", "{runAsUser: 1337}", ["spec.containers[0].securityContext.runAsUser"]),
    ("{app: a}", "{}", "istio-proxy", "{runAsUser: 1337}", []),
    ("{app: a}", "{}", "istio-operator", "{runAsUser: 1337}", []),
    ("{app: a}", "{runAsUser: 1000}", "app", "{runAsUser: 1001}", []),
    ("{istio: ingressgateway}", "{runAsUser: 1337}", "app", "{}", []),
    ("{release: istio}", "{runAsUser: 1337}", "app", "{}", []),
])
def test_uid_1337(labels, pod, name, container, expected, tmp_path):
    text = POD.format(labels=labels, pod=pod, name=name, container=container)
    assert [p for _, p in findings(text, tmp_path, "IL530")] == expected


# --------------------------------------------------------------------------- annotations


@pytest.mark.parametrize("check,value,ok", [
    ("ports", "80,443", True),
    ("ports", " 80 , 443 ", True),
    ("ports", "", True),
    ("ports", "80,,443", False),
    ("ports", "80;443", False),
    ("ports", "65536", False),
    ("ports", "*", False),
    ("ports_or_star", "*", True),
    ("ports_or_star", "15020,8080", True),
    ("cidrs", "10.0.0.0/8,fd00::/8", True),
    ("cidrs", "10.0.0.1/8", True),  # host bits set: Go's netip accepts it
    ("cidrs", "", True),
    ("cidrs", "10.0.0.0", False),
    ("cidrs", "10.0.0.0/8, 172.16.0.0/12", False),
    ("cidrs", "10.0.0.0/33", False),
    ("cidrs", "10.0.0.0/255.0.0.0", False),
    ("cidrs", "*", False),
    ("cidrs_or_star", "*", True),
    ("uint32", "10", True),
    ("uint32", "-1", False),
    ("uint32", "+1", False),
    ("uint32", "4294967296", False),
    ("port", "15020", True),
    ("port", " 15020 ", True),
    ("port", "70000", False),
    ("bool", "True", True),
    ("bool", "1", True),
    ("bool", "yes", False),
    ("interception_mode", "NONE", True),
    ("interception_mode", "redirect", False),
    ("proxy_config", "{}", True),
    ("proxy_config", "holdApplicationUntilProxyStarts: true", True),
    ("proxy_config", "", True),
    ("proxy_config", "[1]", False),
    ("proxy_config", "{unclosed", False),
    ("uint32", 10, False),  # YAML gave a number: not a string, the API server rejects it
])
def test_annotation_value_checks(check, value, ok):
    assert (invalid(check, value) is None) == ok


def test_inject_annotation_is_not_deprecated_next_to_the_label(tmp_path):
    text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n"
            "  labels: {sidecar.istio.io/inject: 'true'}\n  annotations: {sidecar.istio.io/inject: 'true'}\n"
            "spec:\n  containers: [{name: c, image: i}]\n")
    assert findings(text, tmp_path, "IL543") == []


def test_unknown_annotation_suggests_the_closest(tmp_path):
    text = service("- {name: http, port: 80}").replace(
        "  \nspec", "  annotations: {networking.istio.io/exportto: '.'}\nspec")
    report, _ = lint_text(text, tmp_path, select=["IL541"])
    (finding,) = report.findings
    assert "Did you mean networking.istio.io/exportTo?" in finding.message


def test_annotation_data_is_generated_from_the_shipped_source():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_annotations.py"), "--check",
                             str(ROOT / "scripts" / "istio_annotations.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- namespaces

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {%s}\n"
DEPLOYMENT = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cart, namespace: shop}\nspec:\n"
              "  selector: {matchLabels: {app: cart}}\n  template:\n    metadata:\n      labels: {%s}\n"
              "    spec:\n      containers: [{name: cart, image: cart}]\n")
ISTIO_CONFIG = ("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: cart, namespace: shop}\n"
                "spec: {host: cart}\n")
INJECTOR = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector, namespace: istio-system}\n"
            "data:\n  values: '{\"sidecarInjectorWebhook\": {\"enableNamespacesByDefault\": %s}}'\n")


@pytest.mark.parametrize("parts,strict,expected", [
    ((NAMESPACE % "", DEPLOYMENT % "app: cart", ISTIO_CONFIG), False, 1),
    ((NAMESPACE % "", DEPLOYMENT % "app: cart"), False, 0),  # nothing says it is meant for the mesh
    ((NAMESPACE % "", ISTIO_CONFIG), False, 0),  # no workload
    ((NAMESPACE % "", DEPLOYMENT % "sidecar.istio.io/inject: 'false'", ISTIO_CONFIG), False, 0),
    ((NAMESPACE % "", DEPLOYMENT % "istio.io/rev: canary", ISTIO_CONFIG), False, 0),
    ((NAMESPACE % "",), False, 0),
    ((NAMESPACE % "",), True, 1),  # the input is the whole cluster: as Istio
    ((NAMESPACE % "istio-injection: disabled",), True, 0),
    ((NAMESPACE % "istio-injection: enabled",), True, 0),
    ((NAMESPACE % "istio.io/rev: canary",), True, 0),
    ((NAMESPACE % "istio.io/dataplane-mode: ambient",), True, 0),
    ((NAMESPACE % "", INJECTOR % "true"), True, 0),
    ((NAMESPACE % "", INJECTOR % "false"), True, 1),
    ((NAMESPACE.replace("shop", "kube-system") % "",), True, 0),
    ((NAMESPACE.replace("shop", "istio-system") % "",), True, 0),
])
def test_namespace_not_injected(parts, strict, expected, tmp_path):
    assert len(findings(doc(*parts), tmp_path, "IL550", strict_references=strict)) == expected


# --------------------------------------------------------------------------- Istio's analyzer test grid

PEER_DIR = SHARED / "peer" / "istio-analyzers"
EXPECTED_FILE = ROOT / "tests" / "peer" / "istio_analyzers_expected.json"


def _grid(strict: bool, tmp_path) -> tuple[Counter, Counter, list]:
    data = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    istio_codes = {e.code: set(e.istio_codes) for e in load_catalog().entries if e.code in HYGIENE}
    claimed = set().union(*istio_codes.values())
    reported_by: dict[str, set] = {}
    for case in data["cases"]:
        reported_by.setdefault(case["analyzer"], set()).update(m["code"] for m in case["expected"])
    expected_total, found_total, false_positives = Counter(), Counter(), []
    for n, case in enumerate(data["cases"]):
        paths = [PEER_DIR / f for f in case["files"]]
        if case.get("mesh_config"):
            mesh = tmp_path / f"mesh-{n}.yaml"
            mesh.write_text(wrap_mesh_config((PEER_DIR / case["mesh_config"]).read_text(encoding="utf-8")))
            paths.append(mesh)
        report, _ = lint_paths(paths, select=list(HYGIENE), strict_references=strict)
        ours = Counter()
        for f in report.findings:
            for code in istio_codes.get(f.code, ()):
                ours[(code, f.resource.kind, f.resource.namespace or "default", f.resource.name)] += 1
        expected = Counter((m["code"], m["kind"], m["namespace"] or "default", m["name"])
                           for m in case["expected"] if m["code"] in claimed)
        for key, count in expected.items():
            expected_total[key[0]] += count
            found_total[key[0]] += min(count, ours[key])
        false_positives += [(case["name"], key) for key, count in ours.items()
                            if count > expected[key] and key[0] in reported_by[case["analyzer"]]]
    return expected_total, found_total, false_positives


@pytest.fixture
def peer_grid():
    if not PEER_DIR.is_dir() or not EXPECTED_FILE.is_file():
        pytest.skip("Istio's analyzer test data is not present")


def test_istio_grid_strict_finds_everything_without_false_positives(peer_grid, tmp_path):
    expected, found, false_positives = _grid(True, tmp_path)
    assert false_positives == []
    assert {c: found[c] for c in expected} == dict(expected)
    assert len(expected) >= 18  # every claimed code has cases


def test_istio_grid_open_world(peer_grid, tmp_path):
    """By default IST0102 is reported only for namespaces the input shows are meant for the mesh (the
    grid's namespace has neither workloads nor Istio config); everything else as in strict mode."""
    expected, found, false_positives = _grid(False, tmp_path)
    assert false_positives == []
    assert {c: found[c] for c in expected if c != "IST0102"} == {c: n for c, n in expected.items() if c != "IST0102"}
    assert found["IST0102"] == 0
