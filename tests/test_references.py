"""Reference rules (IL4xx): name resolution, visibility, the closed-world criteria, --context and strict mode.

Each test pins one decision of how Istio resolves a name (see istiolint/references.py and the catalog
entries for the reasoning).
"""

from __future__ import annotations

import textwrap

import pytest

from .conftest import lint_paths, lint_text

SERVICES = """
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: bookinfo}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: details, namespace: other}
spec:
  selector: {app: details}
  ports: [{name: http, port: 9080}]
"""


def vs(host: str, namespace: str = "bookinfo", extra: str = "") -> str:
    return textwrap.dedent(f"""
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {{name: routes, namespace: {namespace}}}
    spec:
      hosts: [front.example.com]
      {extra}
      http:
      - route:
        - destination: {{host: "{host}"}}
    """)


def findings(text, tmp_path, code, **kwargs):
    report, _ = lint_text(text, tmp_path, select=[code], **kwargs)
    assert not [f for f in report.findings if f.name == "internal-error"]
    return [f for f in report.findings if f.code == code]


def messages(text, tmp_path, code, **kwargs):
    return [f.message for f in findings(text, tmp_path, code, **kwargs)]


# --------------------------------------------------------------------------- host names


@pytest.mark.parametrize("host", ["reviews", "reviews.bookinfo.svc.cluster.local", "REVIEWS.bookinfo.svc.cluster.local",
                                  "details.other.svc.cluster.local"])
def test_resolvable_hosts(tmp_path, host):
    assert messages(SERVICES + "---" + vs(host), tmp_path, "IL401") == []


def test_short_name_resolves_in_the_virtualservice_namespace_not_the_services(tmp_path):
    # `details` from namespace bookinfo means details.bookinfo.svc.cluster.local, though details lives in other.
    [message] = messages(SERVICES + "---" + vs("details"), tmp_path, "IL401")
    assert "details.bookinfo.svc.cluster.local" in message
    assert "a Service details exists in namespace other" in message
    assert "write details.other.svc.cluster.local" in message


@pytest.mark.parametrize("host", ["reviews.bookinfo", "reviews.bookinfo.svc"])
def test_name_dot_namespace_is_literal(tmp_path, host):
    [message] = messages(SERVICES + "---" + vs(host), tmp_path, "IL401")
    assert "Istio takes a host with a dot literally" in message
    assert "did you mean reviews.bookinfo.svc.cluster.local?" in message


def test_an_ordinary_two_label_domain_gets_no_kubernetes_hint(tmp_path):
    entry = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: bookinfo}
spec: {hosts: [api.example.com], ports: [{number: 443, name: tls, protocol: TLS}]}
"""
    [message] = messages(entry + "---" + vs("example.org"), tmp_path, "IL401")
    assert "literally" not in message


def test_other_cluster_domains_are_not_guessed(tmp_path):
    # Another cluster's or a federated mesh's names (`name.ns.svc.<other domain>`): only a closed world tells.
    text = SERVICES + "---" + vs("reviews.bookinfo.svc.mesh-imports.local")
    assert messages(text, tmp_path, "IL401") == []
    [message] = messages(text, tmp_path, "IL401", strict_references=True)
    assert "the cluster domain is cluster.local: did you mean reviews.bookinfo.svc.cluster.local?" in message


def test_cluster_domain_is_configurable(tmp_path):
    text = SERVICES + "---" + vs("reviews.bookinfo.svc.corp.local")
    assert messages(text, tmp_path, "IL401", cluster_domain="corp.local") == []
    assert messages(SERVICES + "---" + vs("reviews"), tmp_path, "IL401", cluster_domain="corp.local") == []
    [message] = messages(SERVICES + "---" + vs("reviews.bookinfo.svc.cluster.local"), tmp_path, "IL401",
                         cluster_domain="corp.local", strict_references=True)
    assert "the cluster domain is corp.local: did you mean reviews.bookinfo.svc.corp.local?" in message


# --------------------------------------------------------------------------- visibility


def exported_service(export_to: str) -> str:
    return f"""
apiVersion: v1
kind: Service
metadata:
  name: hello
  namespace: hello
  annotations: {{networking.istio.io/exportTo: "{export_to}"}}
spec:
  ports: [{{name: http, port: 80}}]
"""


@pytest.mark.parametrize("export_to,namespace,visible", [
    (".", "hello", True), (".", "client", False), ("client, other", "client", True), ("other", "client", False),
    ("*", "client", True), ("~", "hello", False), ("hello1,hello2,.", "hello2", True),
])
def test_service_export_to_annotation(tmp_path, export_to, namespace, visible):
    text = exported_service(export_to) + "---" + vs("hello.hello.svc.cluster.local", namespace)
    found = messages(text, tmp_path, "IL401")
    assert (found == []) == visible
    if not visible:
        assert "is Service hello/hello, which is not visible from namespace" in found[0]


def test_virtualservice_export_to_decides_where_the_destination_must_be_visible(tmp_path):
    service = exported_service("hello1,hello2,.")
    ok = service + "---" + vs("hello.hello.svc.cluster.local", "hello", 'exportTo: ["hello1"]')
    assert messages(ok, tmp_path, "IL401") == []
    bad = service + "---" + vs("hello.hello.svc.cluster.local", "hello", 'exportTo: ["bogus"]')
    [message] = messages(bad, tmp_path, "IL401")
    assert "not visible from namespace bogus" in message


ENTRIES = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: eu, namespace: ext}
spec:
  hosts: ["*.eu.example.com", "api.example.com", "legacy"]
  exportTo: [".", "bookinfo"]
  ports: [{number: 443, name: tls, protocol: TLS}]
"""


@pytest.mark.parametrize("host,namespace,ok", [
    ("paris.eu.example.com", "bookinfo", True), ("a.b.eu.example.com", "bookinfo", True),
    ("eu.example.com", "bookinfo", False),  # a wildcard needs a label before its suffix
    ("*.eu.example.com", "bookinfo", True), ("api.example.com", "ext", True),
    ("api.example.com", "frontend", False),  # not exported there
    ("legacy", "ext", False),  # ServiceEntry hosts are literal; a destination short name is expanded
])
def test_service_entry_hosts_and_export_to(tmp_path, host, namespace, ok):
    text = ENTRIES + "---" + vs(host, namespace)
    assert (messages(text, tmp_path, "IL401", strict_references=True) == []) == ok


# --------------------------------------------------------------------------- closed world, context, strict


def test_closed_world_needs_services_of_the_target_namespace(tmp_path):
    # Services of bookinfo are in the input: a missing one is reported. Namespace shop has none: silent.
    assert len(messages(SERVICES + "---" + vs("ratings"), tmp_path, "IL401")) == 1
    assert messages(SERVICES + "---" + vs("payments.shop.svc.cluster.local"), tmp_path, "IL401") == []
    assert messages(vs("ratings"), tmp_path, "IL401") == []
    assert len(messages(vs("ratings"), tmp_path, "IL401", strict_references=True)) == 1


def test_context_resources_are_looked_up_but_not_reported(tmp_path):
    context = tmp_path / "repo"
    context.mkdir()
    (context / "services.yaml").write_text(SERVICES, encoding="utf-8")
    (context / "broken.yaml").write_text(vs("nowhere"), encoding="utf-8")
    changed = tmp_path / "vs.yaml"
    changed.write_text(vs("reviews") + "---" + vs("missing").replace("name: routes", "name: other"), encoding="utf-8")
    report, _ = lint_paths([changed], select=["IL401"], context=[str(context)])
    assert [(f.resource.name, f.file) for f in report.findings] == [("other", str(changed))]


def test_placeholders_are_not_hosts(tmp_path):
    for host in ("$SERVICE_HOST", "{{ .Values.host }}", "svc.NAMESPACE_PLACEHOLDER.svc.cluster.local"):
        assert messages(SERVICES + "---" + vs(host), tmp_path, "IL401", strict_references=True) == []


# --------------------------------------------------------------------------- subsets and DestinationRules


def dr(name: str, namespace: str, host: str, subsets: str = "[{name: v1}]", extra: str = "") -> str:
    return f"""
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  host: "{host}"
  subsets: {subsets}
  {extra}
"""


def subset_vs(host: str, subset: str, namespace: str = "bookinfo") -> str:
    return vs(host, namespace).replace(f'{{host: "{host}"}}', f'{{host: "{host}", subset: {subset}}}')


@pytest.mark.parametrize("rule,ok", [
    (dr("r", "bookinfo", "reviews"), True),
    (dr("r", "istio-system", "*.bookinfo.svc.cluster.local"), True),  # root namespace, wildcard
    (dr("r", "frontend", "reviews.bookinfo.svc.cluster.local"), True),  # the client's namespace
    (dr("r", "elsewhere", "reviews.bookinfo.svc.cluster.local"), False),  # not a namespace Istio looks in
    (dr("r", "bookinfo", "reviews", extra='exportTo: ["."]'), False),  # not exported to the client
    (dr("r", "frontend", "reviews"), False),  # reviews.frontend.svc.cluster.local
])
def test_subset_lookup(tmp_path, rule, ok):
    text = rule + "---" + dr("other", "x", "reviews.bookinfo.svc.cluster.local", "[{name: v9}]") + "---" + \
        subset_vs("reviews.bookinfo.svc.cluster.local", "v1", "frontend")
    assert (messages(text, tmp_path, "IL402") == []) == ok


def test_subset_without_any_destination_rule_needs_strict(tmp_path):
    text = subset_vs("reviews", "v1")
    assert messages(text, tmp_path, "IL402") == []
    # A wildcard policy without subsets is no evidence either.
    tls = dr("tls", "bookinfo", "*.bookinfo.svc.cluster.local", "[]", "trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}")
    assert messages(tls + "---" + text, tmp_path, "IL402") == []
    assert len(messages(text, tmp_path, "IL402", strict_references=True)) == 1


def test_destination_rules_share_one_resolution_per_destination_and_report_each_place(tmp_path):
    # Two VirtualServices (one exported elsewhere) route to the same hosts: the four destination rules
    # read the run's resolved destinations, and each place still gets its own findings.
    route = textwrap.dedent("""
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {{name: {name}, namespace: bookinfo}}
    spec:
      hosts: [front.example.com]
      exportTo: [{export}]
      http:
      - route:
        - destination: {{host: reviews, subset: v2, port: {{number: 8080}}}}
        - destination: {{host: nothere}}
        - destination: {{}}
        mirror: {{host: reviews, subset: v1}}
    """)
    text = SERVICES + "---" + dr("r", "bookinfo", "reviews", extra='exportTo: ["."]') + "---" + \
        route.format(name="a", export='"."') + \
        "---" + route.format(name="b", export='"frontend"')
    report, _ = lint_text(text, tmp_path, select=["IL401", "IL402", "IL403", "IL404"])
    assert not [f for f in report.findings if f.name == "internal-error"]
    assert [(f.code, f.resource.name, f.path) for f in report.findings] == [
        ("IL402", "a", "spec.http[0].route[0].destination.subset"),
        ("IL403", "a", "spec.http[0].route[0].destination.port.number"),
        ("IL401", "a", "spec.http[0].route[1].destination.host"),
        ("IL401", "a", "spec.http[0].route[2].destination"),
        ("IL402", "b", "spec.http[0].route[0].destination.subset"),
        ("IL403", "b", "spec.http[0].route[0].destination.port.number"),
        ("IL401", "b", "spec.http[0].route[1].destination.host"),
        ("IL401", "b", "spec.http[0].route[2].destination"),
        ("IL402", "b", "spec.http[0].mirror.subset"),
    ]
    assert "not exported to namespace frontend" in report.findings[-1].message


def test_destination_rule_host_expands_in_its_own_namespace(tmp_path):
    assert messages(SERVICES + "---" + dr("r", "bookinfo", "reviews"), tmp_path, "IL405") == []
    [message] = messages(SERVICES + "---" + dr("r", "other", "reviews"), tmp_path, "IL405")
    assert "reviews.other.svc.cluster.local" in message and "bookinfo" in message
    assert messages(SERVICES + "---" + dr("r", "x", "*.nowhere.example.com"), tmp_path, "IL405") == []
    assert len(messages(dr("r", "x", "*.nowhere.example.com"), tmp_path, "IL405", strict_references=True)) == 1


# --------------------------------------------------------------------------- workloads


POD = """
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: apps, labels: {app: web}}
spec: {containers: [{name: web, image: nginx}]}
"""


def gateway(selector: str, namespace: str = "apps") -> str:
    return f"""
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: {namespace}}}
spec:
  selector: {selector}
  servers: [{{port: {{number: 80, name: http, protocol: HTTP}}, hosts: ["*"]}}]
"""


def test_gateway_selector_default_ingress_is_assumed(tmp_path):
    assert messages(POD + "---" + gateway("{istio: ingressgateway}"), tmp_path, "IL407",
                    strict_references=True) == []


def test_gateway_selector_picks_proxies_of_any_namespace(tmp_path):
    proxy = POD.replace("name: web, namespace: apps, labels: {app: web}",
                        "name: gw-1, namespace: gateways, labels: {istio: edge}")
    assert messages(proxy + "---" + gateway("{istio: edge}"), tmp_path, "IL407") == []
    assert len(messages(proxy + "---" + gateway("{istio: edg}"), tmp_path, "IL407")) == 1


def test_gateway_selector_needs_gateway_proxies_in_the_input(tmp_path):
    # An application pod says nothing about where the gateway deployments are.
    assert messages(POD + "---" + gateway("{istio: edge}"), tmp_path, "IL407") == []
    assert len(messages(POD + "---" + gateway("{istio: edge}"), tmp_path, "IL407", strict_references=True)) == 1


def test_namespace_wide_policy_in_an_empty_namespace_needs_strict(tmp_path):
    policy = """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: all, namespace: empty}
spec: {}
"""
    assert messages(POD + "---" + policy, tmp_path, "IL408") == []
    assert len(messages(POD + "---" + policy, tmp_path, "IL408", strict_references=True)) == 1
    assert messages(POD + "---" + policy.replace("empty", "apps"), tmp_path, "IL408", strict_references=True) == []


def test_credential_namespace_follows_the_selected_proxy(tmp_path):
    secret = """
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: istio-system}
type: kubernetes.io/tls
"""
    server = ('  servers: [{port: {number: 443, name: https, protocol: HTTPS}, '
              'tls: {mode: SIMPLE, credentialName: cert}, hosts: ["*"]}]\n')
    ingress = gateway("{istio: ingressgateway}").split("  servers:")[0] + server
    assert messages(secret + "---" + ingress, tmp_path, "IL409") == []
    proxy = POD.replace("labels: {app: web}", "labels: {istio: edge}")
    edge = gateway("{istio: edge}").split("  servers:")[0] + server
    [message] = messages(secret + "---" + proxy + "---" + edge, tmp_path, "IL409")
    assert 'no Secret "cert" in namespace apps' in message and "exists in namespace istio-system" in message


# --------------------------------------------------------------------------- robustness


GARBAGE = [
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\n"
    "spec: {http: [{route: [{destination: {host: 5, subset: [], port: {number: x}}}]}, 3], tcp: {}, exportTo: 7}\n",
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\n"
    "spec: {http: [{route: [null, {destination: null}], mirror: 4, mirrors: [{destination: 1}]}]}\n",
    "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: x}\n"
    "spec: {host: [], subsets: [1, {name: 2, labels: 3}]}\n",
    "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: x}\n"
    "spec: {host: reviews, exportTo: '.', subsets: [{name: a, labels: {k: null}}]}\n",
    "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: x}\n"
    "spec: {selector: [a], servers: [{tls: {credentialName: 3, credentialNames: [1, null]}}, 5]}\n",
    "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: x}\nspec: {workloadSelector: {labels: {app: null}}}\n",
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x}\n"
    "spec: {selector: {matchLabels: 5}, rules: [{from: [{source: {namespaces: [1, null], notNamespaces: x}}]}, 2]}\n",
    "apiVersion: v1\nkind: Service\nmetadata: {name: s, annotations: {networking.istio.io/exportTo: 5}}\n"
    "spec: {ports: [{port: x}, 3], selector: [1]}\n",
]


@pytest.mark.parametrize("text", GARBAGE)
def test_malformed_resources_never_crash(tmp_path, text):
    doc = text + "---\n" + SERVICES
    for strict in (False, True):
        report, _ = lint_text(doc, tmp_path, select=["IL4"], strict_references=strict)
        assert not [f for f in report.findings if f.name == "internal-error"], [f.message for f in report.findings]
