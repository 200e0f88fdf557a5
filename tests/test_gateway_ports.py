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
     [("spec.servers[0]", "error"), ("spec.servers[0].hosts[0]", "error")]),
    ("disjoint hosts across gateways", docs(
        gateway("- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [a.example.com]\n", name="one"),
        gateway("- port: {number: 80, name: http, protocol: HTTP}\n  hosts: ['*.example.org']\n", name="two")), []),
    ("different selectors share nothing", docs(
        gateway(HTTP80, name="one"), gateway(HTTP80, name="two", selector="istio: other")), []),
    ("subset selector shares", docs(
        gateway(HTTP80, name="one"), gateway(HTTP80, name="two", selector="{istio: ingressgateway, tier: edge}")),
     [("spec.servers[0]", "error"), ("spec.servers[0].hosts[0]", "error")]),
    ("a common workload shares", docs(
        gateway(HTTP80, name="one", selector="app: gw"), gateway(HTTP80, name="two", selector="tier: edge"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: gw-pod\n  namespace: istio-system\n"
        "  labels: {app: gw, tier: edge}\nspec:\n  containers: [{name: proxy, image: x}]\n"),
     [("spec.servers[0]", "error"), ("spec.servers[0].hosts[0]", "error")]),
    ("no selector: not compared", docs(gateway(HTTP80, name="one"), gateway(HTTP80, name="two", selector="")), []),
    ("one gateway applied twice", docs(gateway(HTTP80, name="one"), gateway(HTTP80, name="one")), []),
    ("tcp across gateways: both sides", docs(
        gateway("- port: {number: 9000, name: tcp, protocol: TCP}\n  hosts: ['*']\n", name="one"),
        gateway("- port: {number: 9000, name: tcp, protocol: TCP}\n  hosts: ['*']\n", name="two")),
     [("spec.servers[0]", "error"), ("spec.servers[0]", "error")]),
    ("tls host repeated across gateways: both sides", docs(
        gateway("- port: {number: 443, name: a, protocol: HTTPS}\n  hosts: [a.example.com]\n  tls: {mode: SIMPLE, credentialName: a}\n",
                name="one"),
        gateway("- port: {number: 443, name: b, protocol: TLS}\n  hosts: [x.example.com, a.example.com]\n  tls: {mode: PASSTHROUGH}\n",
                name="two")),
     [("spec.servers[0]", "error"), ("spec.servers[0].hosts[1]", "error")]),
    ("three gateways on one tcp port: one finding each", docs(
        gateway("- port: {number: 80, name: tcp, protocol: TCP}\n  hosts: ['*']\n", name="one"),
        gateway("- port: {number: 80, name: tcp, protocol: TCP}\n  hosts: ['*']\n", name="two"),
        gateway(HTTP80, name="three")),
     [("spec.servers[0]", "error")] * 3),
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

def _ports(*numbers: int) -> str:
    return "".join(f"- port: {{number: {n}, name: p{n}, protocol: HTTP}}\n  hosts: ['*']\n" for n in numbers)


ISTIO_SYSTEM_INGRESS = service("- {name: http2, port: 80, targetPort: 8080}\n- {name: custom, port: 8004}\n",
                               name="istio-ingressgateway", namespace="istio-system")

# --strict-references: the input is the whole cluster, Istio's default ingress gateway is assumed installed,
# and with no Service of its own in the input, that gateway's Service is the default profile's.
IL206_STRICT_CASES = [
    ("default ports pass", gateway(_ports(80, 443, 15021, 8080, 8443)), []),
    ("other ports are reported", gateway(_ports(80, 8004, 31400)),
     [("spec.servers[1].port.number", "warning"), ("spec.servers[2].port.number", "warning")]),
    ("full default selector", gateway(_ports(8004), selector="{istio: ingressgateway, app: istio-ingressgateway}"),
     [("spec.servers[0].port.number", "warning")]),
    ("a selector the default gateway does not match", gateway(_ports(8004), selector="istio: custom"), []),
    ("a narrower selector than the default gateway's labels",
     gateway(_ports(8004), selector="{istio: ingressgateway, tier: edge}"), []),
    ("the input's own default gateway Service wins", docs(gateway(_ports(80, 8004, 443)), ISTIO_SYSTEM_INGRESS),
     [("spec.servers[2].port.number", "warning")]),
    ("a Service elsewhere adds to the assumed one", docs(
        gateway(_ports(443, 9000, 9001)), service("- {name: tcp, port: 9000}\n")),
     [("spec.servers[2].port.number", "warning")]),
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


@pytest.mark.parametrize("name,text,expected", IL206_STRICT_CASES, ids=[c[0] for c in IL206_STRICT_CASES])
def test_gateway_port_not_in_service_strict(name, text, expected, tmp_path):
    report, _ = lint_text(text, tmp_path, select=["IL206"], strict_references=True)
    assert sorted((f.path, f.severity.label) for f in report.findings) == sorted(expected)


def test_assumed_default_service_is_named(tmp_path):
    report, _ = lint_text(gateway(_ports(8004)), tmp_path, select=["IL206"], strict_references=True)
    (finding,) = report.findings
    assert "istio-system/istio-ingressgateway as Istio's default profile creates it" in finding.message
    assert "80, 443, 8080, 8443, 15021" in finding.message
    assert finding.related == ()


def test_default_ports_are_not_guessed_without_strict_mode(tmp_path):
    report, _ = lint_text(gateway(_ports(8004)), tmp_path, select=["IL206"])
    assert report.findings == []


@pytest.mark.parametrize("name,text,expected", IL501_CASES, ids=[c[0] for c in IL501_CASES])
def test_service_port_protocol_mismatch(name, text, expected, tmp_path):
    assert _findings(text, "IL501", tmp_path) == sorted(expected)


def test_conflict_is_reported_on_both_gateways(tmp_path):
    """Across Gateways the later server names the earlier one, and the earlier server names the later one."""
    text = docs(gateway(HTTP80, name="one"), gateway(HTTP80, name="two"))
    report, _ = lint_text(text, tmp_path, select=["IL205"])
    by_name = {f.resource.name: f for f in report.findings}
    assert sorted(by_name) == ["one", "two"]
    later, earlier = by_name["two"], by_name["one"]
    assert (later.path, later.line, later.column) == ("spec.servers[0].hosts[0]", 23, 13)
    assert "Gateway web/one" in later.message
    assert [(r.resource.name, r.path, r.line) for r in later.related] == [("one", "spec.servers[0]", 10)]
    assert (earlier.path, earlier.line, earlier.column) == ("spec.servers[0]", 10, 5)
    assert "host '*' on port 80 overlaps host '*' of the HTTP server 'http' on port 80 at spec.servers[0] of " \
           "Gateway web/two" in earlier.message
    assert [(r.resource.name, r.path, r.line) for r in earlier.related] == [("two", "spec.servers[0]", 22)]


def test_one_finding_within_one_gateway(tmp_path):
    report, _ = lint_text(gateway(HTTP80 + "- port: {number: 80, name: tcp, protocol: TCP}\n  hosts: ['*']\n"),
                          tmp_path, select=["IL205"])
    assert [(f.path, f.line) for f in report.findings] == [("spec.servers[1]", 12)]


def test_earlier_server_names_every_later_one(tmp_path):
    """A first TCP server that two later servers of other Gateways cannot join: one finding, both related."""
    tcp = "- port: {number: 80, name: tcp, protocol: TCP}\n  hosts: ['*']\n"
    text = docs(gateway(tcp, name="one"), gateway(tcp, name="two"), gateway(HTTP80, name="three"))
    report, _ = lint_text(text, tmp_path, select=["IL205"])
    (first,) = [f for f in report.findings if f.resource.name == "one"]
    assert "Istio keeps the first server of a port (this one, in input order)" in first.message
    assert "1 more server of other Gateways clashes with it too" in first.message
    assert [r.resource.name for r in first.related] == ["two", "three"]


@pytest.mark.parametrize("edited", ["one", "two"])
def test_conflict_shows_on_the_edited_file(tmp_path, edited):
    """Pre-commit lints the edited file with the rest as --context: whichever side is edited reports,
    naming the Gateway of the context file."""
    (tmp_path / "one.yaml").write_text(gateway(HTTP80, name="one"), encoding="utf-8")
    (tmp_path / "two.yaml").write_text(gateway(HTTP80, name="two"), encoding="utf-8")
    other = "two" if edited == "one" else "one"
    report, _ = lint_paths([tmp_path / f"{edited}.yaml"], context=[str(tmp_path / f"{other}.yaml")],
                           select=["IL205"])
    (finding,) = report.findings
    assert finding.resource.name == edited and f"Gateway web/{other}" in finding.message
    assert [r.resource.name for r in finding.related] == [other]


def test_many_gateways_on_one_ingress_stay_linear(tmp_path):
    """500 Gateways on one ingress and port, distinct hosts, and one wildcard over all of them: each
    Gateway gets one finding, and there is no pairwise blow-up."""
    parts = [gateway(f"- port: {{number: 443, name: https, protocol: HTTPS}}\n  hosts: [h{i}.example.com]\n"
                     f"  tls: {{mode: SIMPLE, credentialName: c{i}}}\n", name=f"g{i}") for i in range(500)]
    parts.append(gateway("- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: ['*.example.com']\n"
                         "  tls: {mode: SIMPLE, credentialName: wild}\n", name="wild"))
    report, _ = lint_text(docs(*parts), tmp_path, select=["IL205"])
    found = sorted((f.resource.name, f.path) for f in report.findings)
    assert found == sorted([("wild", "spec.servers[0].hosts[0]")] + [(f"g{i}", "spec.servers[0]") for i in range(500)])
    assert all("Gateway web/wild" in f.message for f in report.findings if f.resource.name != "wild")


PEER = {
    # Istio's own analyzer test data and what its tests expect (IST0145 / IST0162).
    "conflicting-gateways.yaml": ("IL205", {"alpha", "beta"}),
    "conflicting-gateways-multiple-ports.yaml": ("IL205", {"alpha", "beta"}),
    "conflicting-gateways-subSelector.yaml": ("IL205", {"alpha", "beta"}),
    "conflicting-gateways-invalid-port.yaml": ("IL205", set()),
    "analyze-list-type.yaml": ("IL205", {"alpha", "alpha-l", "beta-l"}),
    "gateway-different-port.yaml": ("IL205", set()),
    "gateway-custom-ingressgateway.yaml": ("IL206", set()),
    "gateway-custom-ingressgateway-translation.yaml": ("IL206", set()),
    "gateway-custom-ingressgateway-badport.yaml": ("IL206", {"httpbin-gateway"}),
    "gateway-custom-ingressgateway-badport-notarget.yaml": ("IL206", {"httpbin-gateway"}),
    "gateway-custom-ingressgateway-svcselector.yaml": ("IL206", {"httpbin8002-gateway"}),
    "gateway-correct-port.yaml": ("IL206", set()),
}
# Cases that hold no Service for the default ingress gateway: in strict mode its default Service is assumed.
PEER_STRICT = {
    "gateway-no-port.yaml": ("IL206", {"httpbin-gateway"}),
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



@pytest.mark.parametrize("name", sorted(PEER_STRICT))
def test_istio_analyzer_test_data_strict(name, shared_dir):
    code, expected = PEER_STRICT[name]
    path = shared_dir / "peer" / "istio-analyzers" / name
    if not path.is_file():
        pytest.skip(f"{name} is not in ../shared/peer")
    report, _ = lint_paths([path], select=[code], strict_references=True)
    assert {f.resource.name for f in report.findings if f.code == code} == expected
