"""Gateway server protocol/port/TLS checks (IL204), listener conflicts (IL205), ports missing from the
gateway Service (IL206) and route kinds that disagree with Service port protocols (IL501).

Each case is a small manifest and the exact (path, severity) findings of one rule; positions are pinned
by the fixtures (fixtures/IL20x, fixtures/IL501).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .conftest import lint_paths, lint_text


def gateway(servers: str, name: str = "gw", namespace: str = "web", selector: str = "istio: ingressgateway") -> str:
    sel = f"  selector:\n    {selector}\n" if selector else ""
    return (f"apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: {name}\n"
            f"  namespace: {namespace}\nspec:\n{sel}  servers:\n" + textwrap.indent(textwrap.dedent(servers), "  "))


def service(ports: str, name: str = "svc", namespace: str = "web", selector: str = "istio: ingressgateway") -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n"
            f"  selector:\n    {selector}\n  ports:\n" + textwrap.indent(textwrap.dedent(ports), "  "))


def docs(*parts: str) -> str:
    return "---\n".join(parts)


HTTP80 = "- port: {number: 80, name: http, protocol: HTTP}\n  hosts: ['*']\n"

IL204_CASES = [
    ("valid http", gateway(HTTP80), []),
    ("lower-case protocol", gateway("- port: {number: 80, name: http, protocol: http}\n  hosts: ['*']\n"), []),
    ("unknown protocol", gateway("- port: {number: 80, name: http, protocol: QUIC}\n  hosts: ['*']\n"),
     [("spec.servers[0].port.protocol", "error")]),
    ("port zero", gateway("- port: {number: 0, name: http, protocol: HTTP}\n  hosts: ['*']\n"),
     [("spec.servers[0].port.number", "error")]),
    ("port zero on a unix socket", gateway(
        "- port: {number: 0, name: http, protocol: HTTP}\n  bind: unix:///run/gw.sock\n  hosts: ['*']\n"), []),
    ("unix socket needs port zero", gateway(
        "- port: {number: 80, name: http, protocol: HTTP}\n  bind: unix:///run/gw.sock\n  hosts: ['*']\n"),
     [("spec.servers[0].port.number", "error")]),
    ("port above 65535", gateway("- port: {number: 65536, name: http, protocol: HTTP}\n  hosts: ['*']\n"),
     [("spec.servers[0].port.number", "error")]),
    ("bind must be an IP", gateway("- port: {number: 80, name: http, protocol: HTTP}\n  bind: localhost\n  hosts: ['*']\n"),
     [("spec.servers[0].bind", "error")]),
    ("targetPort", gateway("- port: {number: 80, targetPort: 8080, name: http, protocol: HTTP}\n  hosts: ['*']\n"),
     [("spec.servers[0].port.targetPort", "error")]),
    ("duplicate port name", gateway(HTTP80 + "- port: {number: 81, name: http, protocol: HTTP}\n  hosts: ['*']\n"),
     [("spec.servers[1].port.name", "error")]),
    ("no hosts", gateway("- port: {number: 80, name: http, protocol: HTTP}\n  hosts: []\n"),
     [("spec.servers[0].hosts", "error")]),
    ("short host", gateway("- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [reviews]\n"),
     [("spec.servers[0].hosts[0]", "error")]),
    ("partial wildcard", gateway("- port: {number: 80, name: http, protocol: HTTP}\n  hosts: ['*.a.*.com']\n"),
     [("spec.servers[0].hosts[0]", "error")]),
    ("ip host and namespaced hosts", gateway(
        "- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [10.0.0.1, 'ns-1/a.example.com', './*.b.com', '*/*']\n"), []),
    ("bad namespace part", gateway("- port: {number: 80, name: http, protocol: HTTP}\n  hosts: ['~/a.example.com']\n"),
     [("spec.servers[0].hosts[0]", "error")]),
    ("all-numeric top-level domain", gateway("- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [a.b.123]\n"),
     [("spec.servers[0].hosts[0]", "error")]),
    ("https without tls", gateway("- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n"),
     [("spec.servers[0]", "error")]),
    ("https credential without mode", gateway(
        "- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n  tls: {credentialName: c}\n"),
     [("spec.servers[0].tls.credentialName", "warning")]),
    ("http redirect", gateway(
        "- port: {number: 80, name: http, protocol: HTTP}\n  hosts: ['*']\n  tls: {httpsRedirect: true}\n"), []),
    ("http with credential", gateway(
        "- port: {number: 80, name: http, protocol: HTTP}\n  hosts: ['*']\n  tls: {httpsRedirect: true, credentialName: c}\n"),
     [("spec.servers[0].tls.credentialName", "warning")]),
    ("http terminating tls", gateway(
        "- port: {number: 8080, name: http, protocol: HTTP}\n  hosts: ['*']\n  tls: {mode: SIMPLE, credentialName: c}\n"),
     [("spec.servers[0].tls.mode", "error")]),
    ("tcp with tls", gateway(
        "- port: {number: 3306, name: tcp, protocol: TCP}\n  hosts: ['*']\n  tls: {mode: PASSTHROUGH}\n"),
     [("spec.servers[0].tls", "error")]),
    ("redirect on https", gateway(
        "- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n"
        "  tls: {mode: SIMPLE, credentialName: c, httpsRedirect: true}\n"),
     [("spec.servers[0].tls.httpsRedirect", "warning")]),
    ("simple needs a certificate", gateway(
        "- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n  tls: {mode: SIMPLE}\n"),
     [("spec.servers[0].tls.mode", "error")]),
    ("mutual with files needs a CA", gateway(
        "- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n"
        "  tls: {mode: MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem}\n"),
     [("spec.servers[0].tls.mode", "error")]),
    ("mutual with a credential", gateway(
        "- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n  tls: {mode: MUTUAL, credentialName: c}\n"),
     []),
    ("istio mutual forbids certificates", gateway(
        "- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n"
        "  tls: {mode: ISTIO_MUTUAL, privateKey: /k.pem}\n"),
     [("spec.servers[0].tls.privateKey", "error")]),
    ("two certificate sources", gateway(
        "- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n"
        "  tls: {mode: SIMPLE, credentialName: c, tlsCertificates: [{serverCertificate: /c, privateKey: /k}]}\n"),
     [("spec.servers[0].tls", "error")]),
    ("tlsCertificates entry incomplete", gateway(
        "- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n"
        "  tls: {mode: SIMPLE, tlsCertificates: [{serverCertificate: /c}]}\n"),
     [("spec.servers[0].tls.tlsCertificates[0]", "error")]),
    ("passthrough ignores a certificate", gateway(
        "- port: {number: 443, name: tls, protocol: TLS}\n  hosts: [a.example.com]\n"
        "  tls: {mode: PASSTHROUGH, credentialName: c}\n"),
     [("spec.servers[0].tls.credentialName", "warning")]),
    ("crl with simple", gateway(
        "- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n"
        "  tls: {mode: SIMPLE, serverCertificate: /c, privateKey: /k, caCrl: /crl}\n"),
     [("spec.servers[0].tls.caCrl", "error")]),
    ("http on 443", gateway("- port: {number: 443, name: http, protocol: HTTP}\n  hosts: ['*']\n"),
     [("spec.servers[0].port.protocol", "warning")]),
    ("https on 80", gateway(
        "- port: {number: 80, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n  tls: {mode: SIMPLE, credentialName: c}\n"),
     [("spec.servers[0].port.protocol", "warning")]),
    ("istio mutual on 80 (egress TLS origination)", gateway(
        "- port: {number: 80, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n  tls: {mode: ISTIO_MUTUAL}\n"),
     []),
    ("old TLS without ciphers", gateway(
        "- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.example.com]\n"
        "  tls: {mode: SIMPLE, credentialName: c, minProtocolVersion: TLSV1_1}\n"),
     [("spec.servers[0].tls.minProtocolVersion", "warning")]),
    ("no servers", "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw\nspec:\n  servers: []\n",
     [("spec.servers", "error")]),
    ("gateway api gateway is not ours",
     "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: gw\nspec:\n  gatewayClassName: istio\n"
     "  listeners:\n  - {name: http, port: 80, protocol: HTTP}\n", []),
]

IL205_CASES = [
    ("http and grpc share", gateway(HTTP80 + "- port: {number: 80, name: grpc, protocol: GRPC}\n  hosts: [a.example.com]\n"), []),
    ("http then tcp", gateway(HTTP80 + "- port: {number: 80, name: tcp, protocol: TCP}\n  hosts: ['*']\n"),
     [("spec.servers[1]", "error")]),
    ("tcp then tcp", gateway("- port: {number: 9000, name: a, protocol: TCP}\n  hosts: ['*']\n"
                             "- port: {number: 9000, name: b, protocol: MONGO}\n  hosts: ['*']\n"),
     [("spec.servers[1]", "error")]),
    ("tcp on other binds", gateway("- port: {number: 9000, name: a, protocol: TCP}\n  bind: 10.0.0.1\n  hosts: ['*']\n"
                                   "- port: {number: 9000, name: b, protocol: TCP}\n  bind: 10.0.0.2\n  hosts: ['*']\n"), []),
    ("tls then http", gateway("- port: {number: 443, name: tls, protocol: TLS}\n  hosts: [a.example.com]\n  tls: {mode: PASSTHROUGH}\n"
                              "- port: {number: 443, name: http, protocol: HTTP}\n  hosts: [b.example.com]\n"),
     [("spec.servers[1]", "error")]),
    ("tls hosts distinct", gateway(
        "- port: {number: 443, name: a, protocol: HTTPS}\n  hosts: [a.example.com]\n  tls: {mode: SIMPLE, credentialName: a}\n"
        "- port: {number: 443, name: b, protocol: TLS}\n  hosts: ['*.example.com']\n  tls: {mode: PASSTHROUGH}\n"), []),
    ("tls host repeated", gateway(
        "- port: {number: 443, name: a, protocol: HTTPS}\n  hosts: [a.example.com]\n  tls: {mode: SIMPLE, credentialName: a}\n"
        "- port: {number: 443, name: b, protocol: TLS}\n  hosts: [x.example.com, 'ns/a.example.com']\n  tls: {mode: PASSTHROUGH}\n"),
     [("spec.servers[1].hosts[1]", "error")]),
    ("http host repeated in one gateway", gateway(HTTP80 + "- port: {number: 80, name: http-2, protocol: HTTP}\n  hosts: ['*']\n"),
     [("spec.servers[1].hosts[0]", "warning")]),
    ("overlapping hosts across gateways", docs(
        gateway("- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [a.example.com]\n", name="one"),
        gateway("- port: {number: 80, name: http, protocol: HTTP}\n  hosts: ['*.example.com']\n", name="two")),
     [("spec.servers[0].hosts[0]", "error")]),
    ("disjoint hosts across gateways", docs(
        gateway("- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [a.example.com]\n", name="one"),
        gateway("- port: {number: 80, name: http, protocol: HTTP}\n  hosts: ['*.example.org']\n", name="two")), []),
    ("different selectors share nothing", docs(
        gateway(HTTP80, name="one"), gateway(HTTP80, name="two", selector="istio: other")), []),
    ("subset selector shares", docs(
        gateway(HTTP80, name="one"), gateway(HTTP80, name="two", selector="{istio: ingressgateway, tier: edge}")),
     [("spec.servers[0].hosts[0]", "error")]),
    ("a common workload shares", docs(
        gateway(HTTP80, name="one", selector="app: gw"), gateway(HTTP80, name="two", selector="tier: edge"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: gw-pod\n  namespace: istio-system\n"
        "  labels: {app: gw, tier: edge}\nspec:\n  containers: [{name: proxy, image: x}]\n"),
     [("spec.servers[0].hosts[0]", "error")]),
    ("no selector: not compared", docs(gateway(HTTP80, name="one"), gateway(HTTP80, name="two", selector="")), []),
    ("one gateway applied twice", docs(gateway(HTTP80, name="one"), gateway(HTTP80, name="one")), []),
]

IL206_CASES = [
    ("no service: silent", gateway("- port: {number: 8004, name: http, protocol: HTTP}\n  hosts: ['*']\n"), []),
    ("port exposed", docs(gateway(HTTP80), service("- {name: http, port: 80, targetPort: 8080}\n")), []),
    ("target port exposed", docs(gateway("- port: {number: 8080, name: http, protocol: HTTP}\n  hosts: ['*']\n"),
                                 service("- {name: http, port: 80, targetPort: 8080}\n")), []),
    ("port missing", docs(gateway("- port: {number: 8004, name: http, protocol: HTTP}\n  hosts: ['*']\n"),
                          service("- {name: http, port: 80, targetPort: 8080}\n")),
     [("spec.servers[0].port.number", "warning")]),
    ("udp port does not count", docs(gateway("- port: {number: 53, name: dns, protocol: TCP}\n  hosts: ['*']\n"),
                                     service("- {name: dns, port: 53, protocol: UDP}\n")),
     [("spec.servers[0].port.number", "warning")]),
    ("service of another app: silent", docs(
        gateway("- port: {number: 8004, name: http, protocol: HTTP}\n  hosts: ['*']\n"),
        service("- {name: http, port: 80}\n", selector="app: reviews")), []),
]

VS = ("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: vs\n  namespace: web\n"
      "spec:\n  hosts: [a.example.com]\n  gateways: [gw]\n")

IL501_CASES = [
    ("http route to tcp port", docs(
        VS + "  http:\n  - route:\n    - destination: {host: api, port: {number: 80}}\n",
        service("- {name: tcp-api, port: 80}\n", name="api", selector="app: api")),
     [("spec.http[0].route[0].destination", "warning")]),
    ("http route to http port", docs(
        VS + "  http:\n  - route:\n    - destination: {host: api, port: {number: 80}}\n",
        service("- {name: http-api, port: 80}\n", name="api", selector="app: api")), []),
    ("appProtocol wins over the name", docs(
        VS + "  http:\n  - route:\n    - destination: {host: api.web.svc.cluster.local}\n",
        service("- {name: tcp-api, port: 80, appProtocol: http}\n", name="api", selector="app: api")), []),
    ("tcp route to grpc port", docs(
        VS + "  tcp:\n  - route:\n    - destination: {host: api}\n",
        service("- {name: grpc, port: 9000}\n", name="api", selector="app: api")),
     [("spec.tcp[0].route[0].destination", "warning")]),
    ("ambiguous port: silent", docs(
        VS + "  http:\n  - route:\n    - destination: {host: api}\n",
        service("- {name: tcp-a, port: 80}\n- {name: tcp-b, port: 81}\n", name="api", selector="app: api")), []),
    ("short name is the VirtualService's namespace", docs(
        VS + "  http:\n  - route:\n    - destination: {host: api, port: {number: 80}}\n",
        service("- {name: tcp-api, port: 80}\n", name="api", namespace="other", selector="app: api")), []),
    ("dotted host is literal", docs(
        VS + "  http:\n  - route:\n    - destination: {host: api.web, port: {number: 80}}\n",
        service("- {name: tcp-api, port: 80}\n", name="api", selector="app: api")), []),
]


def _findings(text: str, code: str, tmp_path: Path) -> list[tuple[str, str]]:
    report, _ = lint_text(text, tmp_path, select=[code])
    return sorted((f.path, f.severity.label) for f in report.findings if f.code == code)


@pytest.mark.parametrize("name,text,expected", IL204_CASES, ids=[c[0] for c in IL204_CASES])
def test_gateway_port_protocol(name, text, expected, tmp_path):
    assert _findings(text, "IL204", tmp_path) == sorted(expected)


@pytest.mark.parametrize("name,text,expected", IL205_CASES, ids=[c[0] for c in IL205_CASES])
def test_gateway_port_conflict(name, text, expected, tmp_path):
    assert _findings(text, "IL205", tmp_path) == sorted(expected)


@pytest.mark.parametrize("name,text,expected", IL206_CASES, ids=[c[0] for c in IL206_CASES])
def test_gateway_port_not_in_service(name, text, expected, tmp_path):
    assert _findings(text, "IL206", tmp_path) == sorted(expected)


@pytest.mark.parametrize("name,text,expected", IL501_CASES, ids=[c[0] for c in IL501_CASES])
def test_service_port_protocol_mismatch(name, text, expected, tmp_path):
    assert _findings(text, "IL501", tmp_path) == sorted(expected)


def test_conflict_names_the_other_server(tmp_path):
    text = docs(gateway(HTTP80, name="one"), gateway(HTTP80, name="two"))
    report, _ = lint_text(text, tmp_path, select=["IL205"])
    (finding,) = report.findings
    assert finding.resource.name == "two"
    assert "Gateway web/one" in finding.message
    (related,) = finding.related
    assert (related.resource.name, related.path, related.line) == ("one", "spec.servers[0]", 10)


def test_many_gateways_on_one_ingress_stay_linear(tmp_path):
    """500 Gateways on one ingress and port, distinct hosts: no conflict, and no pairwise blow-up."""
    parts = [gateway(f"- port: {{number: 443, name: https, protocol: HTTPS}}\n  hosts: [h{i}.example.com]\n"
                     f"  tls: {{mode: SIMPLE, credentialName: c{i}}}\n", name=f"g{i}") for i in range(500)]
    parts.append(gateway("- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: ['*.example.com']\n"
                         "  tls: {mode: SIMPLE, credentialName: wild}\n", name="wild"))
    report, _ = lint_text(docs(*parts), tmp_path, select=["IL205"])
    assert [(f.resource.name, f.path) for f in report.findings] == [("wild", "spec.servers[0].hosts[0]")]


PEER = {
    # Istio's own analyzer test data and what its tests expect (IST0145 / IST0162).
    "conflicting-gateways.yaml": ("IL205", {"alpha"}),
    "conflicting-gateways-multiple-ports.yaml": ("IL205", {"alpha"}),
    "conflicting-gateways-subSelector.yaml": ("IL205", {"alpha"}),
    "conflicting-gateways-invalid-port.yaml": ("IL205", set()),
    "gateway-different-port.yaml": ("IL205", set()),
    "gateway-custom-ingressgateway.yaml": ("IL206", set()),
    "gateway-custom-ingressgateway-translation.yaml": ("IL206", set()),
    "gateway-custom-ingressgateway-badport.yaml": ("IL206", {"httpbin-gateway"}),
    "gateway-custom-ingressgateway-badport-notarget.yaml": ("IL206", {"httpbin-gateway"}),
    "gateway-custom-ingressgateway-svcselector.yaml": ("IL206", {"httpbin8002-gateway"}),
    "gateway-correct-port.yaml": ("IL206", set()),
}


@pytest.mark.parametrize("name", sorted(PEER))
def test_istio_analyzer_test_data(name, shared_dir):
    code, expected = PEER[name]
    path = shared_dir / "peer" / "istio-analyzers" / name
    if not path.is_file():
        pytest.skip(f"{name} is not in ../shared/peer")
    report, _ = lint_paths([path], select=[code])
    assert {f.resource.name for f in report.findings if f.code == code} == expected

