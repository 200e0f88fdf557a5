"""Focused tests of the validation rules (IL104-IL116) and their shared helpers."""

from __future__ import annotations

import pytest

from istiolint.rules.validation.authorizationpolicy_invalid import (
    key_problem,
    path_template_problem,
    service_account_problem,
    value_problem,
)
from istiolint.rules.validation.common import (
    fqdn_problem,
    header_value_problem,
    ip_subnet_problem,
    is_placeholder,
    label_problems,
    parse_duration,
    wildcard_domain_problem,
)
from istiolint.rules.validation.destinationrule_invalid import is_prime, localities_problem
from istiolint.rules.validation.metadata_invalid import name_problem, qualified_name_problem
from istiolint.rules.validation.regex_invalid import regex_problem
from istiolint.rules.validation.requestauthentication_invalid import jwks_problem
from istiolint.rules.validation.sidecar_invalid import egress_host_problem
from istiolint.rules.validation.virtualservice_invalid import (
    gateway_bound_domain_problem,
    gateway_name_problems,
    is_jwt_claim,
)

from .conftest import lint_text

MS = 1_000_000
S = 1_000 * MS


# ------------------------------------------------------------------------------------------ helpers


@pytest.mark.parametrize("text,ns", [
    ("0", 0), ("1h30m", 5400 * S), ("1.5s", 1500 * MS), ("-1s", -S), ("+3ms", 3 * MS), (".5s", 500 * MS),
    ("1.s", S), ("250us", 250_000), ("250\u00b5s", 250_000), ("1m0.5s", 60 * S + 500 * MS), ("10ns", 10),
    ("1.0000000001s", S),  # Go truncates below a nanosecond
])
def test_parse_duration_reads_go_durations(text, ns):
    assert parse_duration(text) == (ns, None)


@pytest.mark.parametrize("text", ["", "5", "1d", "s", ".s", "1h 30m", "ms", "-", "9999999999h"])
def test_parse_duration_rejects_what_go_rejects(text):
    ns, why = parse_duration(text)
    assert ns is None and why


@pytest.mark.parametrize("name,ok", [
    ("example.com", True), ("istio.io.", True), ("reviews", True), ("Reviews.Example.COM", True),
    ("bad_label.com", False), ("example.123", False), ("a..b", False), ("-a.com", False), ("", False),
    ("a" * 64 + ".com", False), ("*.example.com", False),
])
def test_fqdn(name, ok):
    assert (fqdn_problem(name) is None) == ok


@pytest.mark.parametrize("name,ok", [
    ("*", True), ("*.example.com", True), ("*foo.example.com", True), ("*-foo.example.com", True),
    ("foo.*.com", False), ("f*o.example.com", False), ("**.example.com", False), ("*.", True),
    ("*.example.123", False),
])
def test_wildcard_domain(name, ok):
    assert (wildcard_domain_problem(name) is None) == ok


@pytest.mark.parametrize("value,templated", [
    ("$(NAMESPACE)", True), ("${HOST}", True), ("{{ .Values.host }}", True),
    ("DEX_SERVICE.DEX_NAMESPACE.svc.cluster.local", True), ("centraldashboard.CD_NAMESPACE_PLACEHOLDER.svc", True),
    ("reviews_v1.prod.svc", False), ("REVIEWS.prod", False), ("reviews", False),
])
def test_placeholders_are_recognised(value, templated):
    assert is_placeholder(value) == templated


@pytest.mark.parametrize("value,ok", [
    ("plain", True), ("%HOSTNAME%", True), ("100%%", True), ("prefix %HOSTNAME% suffix", True),
    ("%REQ(x-request-id)%", True), ('%UPSTREAM_METADATA(["ns", "key"])%', True), ("", True),
    ("abc%123", False), ("%START_TIME%%", False), ("50%", False), ('%X(["a" "b"])%', False), ("a\x01b", False),
])
def test_header_values_follow_envoy_formatting(value, ok):
    assert (header_value_problem(value) is None) == ok


@pytest.mark.parametrize("value,ok", [
    ("10.0.0.1", True), ("10.0.0.0/8", True), ("10.1.2.3/16", True), ("2001:db8::/32", True), ("::1", True),
    ("10.0.0.0/33", False), ("10.0.0.300", False), ("10.0.0.0/255.0.0.0", False), ("10.0.0.0/08", False),
    ("host.example.com", False), ("10.0.0.0/8/8", False),
])
def test_ip_subnets(value, ok):
    assert (ip_subnet_problem(value) is None) == ok


def test_label_problems_follow_istio():
    problems = list(label_problems({"app": "x", "example.com/v": "1.0", "-bad": "x", "ok": "-bad", "a/b/c": "x",
                                    "k": "x" * 100}, ("labels",)))
    assert [(p[0][-1], p[2]) for p in problems] == [("-bad", True), ("ok", False), ("a/b/c", True)]


@pytest.mark.parametrize("pattern,ok", [
    ("/api/.*", True), (r"\d+", True), ("(?i)abc", True), ("(?P<n>x)", True),
    ("a(?=b)", False), (r"(a)\1", False), ("(a", False), ("*", False), ("a{1001}", False), ("", False),
    ("a" * 1025, False),
])
def test_regexes_are_compiled_with_re2(pattern, ok):
    assert (regex_problem(pattern) is None) == ok


def test_regex_messages_are_re2s():
    assert "invalid perl operator: (?=" in regex_problem("a(?=b)")


def test_each_regex_field_is_checked_and_a_pattern_seen_before_is_reported_again(tmp_path):
    spec = ("  hosts: [a]\n  http:\n  - match:\n    - uri: {prefix: /}\n"
            "    - uri: {regex: '(a'}\n      headers: {x: {regex: '(a'}, y: {prefix: p}}\n"
            "      withoutHeaders: {z: {regex: '*'}}\n"  # '*': the header is present, not a regex
            "    corsPolicy: {allowOrigins: [{regex: ''}, {regex: '(a'}]}\n"
            "    rewrite: {uriRegexRewrite: {match: '(a', rewrite: /}}\n"
            "    route:\n    - destination: {host: a}\n")
    report, _ = lint_text(VS.format(spec=spec), tmp_path, select=["IL115"])
    assert [(f.line, f.path) for f in report.findings] == [
        (10, "spec.http[0].match[1].uri.regex"), (11, "spec.http[0].match[1].headers.x.regex"),
        (13, "spec.http[0].corsPolicy.allowOrigins[1].regex"),
        (14, "spec.http[0].rewrite.uriRegexRewrite.match"),
    ]


# ------------------------------------------------------------------------------------------ VirtualService


def test_gateway_names():
    assert gateway_name_problems("istio-system/public") == []
    assert gateway_name_problems("mesh") == []
    assert gateway_name_problems("public.istio-system")[0] == (
        "'public.istio-system' uses the legacy <name>.<namespace> form; write 'istio-system/public'", True)
    assert [w for _, w in gateway_name_problems("./public")] == [False]
    assert [w for _, w in gateway_name_problems("ns/")] == [False]
    assert [w for _, w in gateway_name_problems("bad_name")] == [False]


def test_jwt_claim_headers():
    assert is_jwt_claim("@request.auth.claims.groups")
    assert is_jwt_claim("@request.auth.claims[nested][key]")
    assert not is_jwt_claim("@request.auth.claims.")
    assert not is_jwt_claim("@request.auth.claims[]")
    assert not is_jwt_claim("x-user")


def test_auto_passthrough_sni_names_on_gateways():
    assert gateway_bound_domain_problem(True, "outbound_.80_._.reviews.default.svc.cluster.local") is None
    assert gateway_bound_domain_problem(True, "outbound_.x_._.reviews") is not None
    assert gateway_bound_domain_problem(False, "outbound_.80_._.reviews") is not None


def findings_of(report, code):
    return [(f.line, f.column, f.severity.label, f.path) for f in report.findings if f.code == code]


VS = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: vs
spec:
{spec}"""


@pytest.mark.parametrize("spec,expected", [
    # '*' is fine on a gateway without mesh, rejected as soon as mesh is among the gateways
    ("  hosts: ['*']\n  gateways: [gw]\n  http:\n  - route:\n    - destination: {host: a}\n", []),
    ("  hosts: ['*']\n  gateways: [gw, mesh]\n  http:\n  - route:\n    - destination: {host: a}\n",
     [(6, 11, "error", "spec.hosts[0]")]),
    # attempts: 0 with nothing else only disables retries
    ("  hosts: [a]\n  http:\n  - retries: {attempts: 0}\n    route:\n    - destination: {host: a}\n", []),
    ("  hosts: [a]\n  http:\n  - retries: {attempts: 0, retryOn: 5xx}\n    route:\n    - destination: {host: a}\n",
     [(8, 25, "error", "spec.http[0].retries.attempts")]),
    # an explicit weight 0 is a deliberate "no traffic"; weights that do not add up to 100 warn
    ("  hosts: [a]\n  http:\n  - route:\n    - destination: {host: a}\n      weight: 100\n"
     "    - destination: {host: b}\n      weight: 0\n", []),
    ("  hosts: [a]\n  http:\n  - route:\n    - destination: {host: a}\n      weight: 1\n"
     "    - destination: {host: b}\n      weight: 1\n", [(8, 5, "warning", "spec.http[0].route")]),
    # a root route may delegate but not also route
    ("  hosts: [a]\n  http:\n  - delegate: {name: d}\n    route:\n    - destination: {host: a}\n",
     [(9, 5, "error", "spec.http[0].route")]),
    # SNI hosts on a mesh-only VirtualService must be covered by its hosts; IP literals only warn
    ("  hosts: ['*.example.com']\n  tls:\n  - match:\n    - sniHosts: [a.example.com, 10.0.0.1]\n"
     "    route:\n    - destination: {host: a.example.com}\n", [(9, 33, "warning", "spec.tls[0].match[0].sniHosts[1]")]),
])
def test_virtual_service_cases(spec, expected, tmp_path):
    report, _ = lint_text(VS.format(spec=spec), tmp_path, select=["IL104"])
    assert findings_of(report, "IL104") == expected


@pytest.mark.parametrize("spec,expected", [
    # a lone destination with a negative weight (one destination takes all traffic, but Istio rejects it)
    ("  hosts: [a]\n  http:\n  - route:\n    - destination: {host: a}\n      weight: -1\n",
     [(10, 15, "error", "spec.http[0].route[0].weight")]),
    # a null mirror does not conflict with mirrors; a set one does
    ("  hosts: [a]\n  http:\n  - mirror: null\n    mirrors: [{destination: {host: b}}]\n    route:\n"
     "    - destination: {host: a}\n", []),
    ("  hosts: [a]\n  http:\n  - mirror: {host: b}\n    mirrors: [{destination: {host: b}}]\n    route:\n"
     "    - destination: {host: a}\n", [(8, 5, "error", "spec.http[0].mirror")]),
    # a match on the URI alone is regex-invalid's; header names are checked beside it
    ("  hosts: [a]\n  http:\n  - match:\n    - uri: {prefix: /}\n    - uri: {prefix: /}\n"
     "      headers: {'bad name': {exact: x}, ok: {prefix: ''}}\n    route:\n    - destination: {host: a}\n",
     [(11, 17, "error", 'spec.http[0].match[1].headers["bad name"]'),
      (11, 54, "error", "spec.http[0].match[1].headers.ok.prefix")]),
])
def test_virtual_service_parts_checked_only_when_present(spec, expected, tmp_path):
    report, _ = lint_text(VS.format(spec=spec), tmp_path, select=["IL104"])
    assert findings_of(report, "IL104") == expected


def test_verdicts_kept_for_the_run_are_reported_at_every_use(tmp_path):
    # Host and duration verdicts are computed once per run; each use still gets its own finding.
    spec = ("  hosts: [a]\n  http:\n  - timeout: 1500us\n    route:\n    - destination: {host: 'bad_host!'}\n"
            "    - destination: {host: 'bad_host!'}\n")
    report, _ = lint_text(VS.format(spec=spec) + "---\n" + VS.format(spec=spec).replace("name: vs", "name: vs2"),
                          tmp_path, select=["IL104"])
    paths = [(f.line, f.path) for f in report.findings if f.code == "IL104" and "weight" not in f.message]
    assert paths == [
        (8, "spec.http[0].timeout"), (10, "spec.http[0].route[0].destination.host"),
        (11, "spec.http[0].route[1].destination.host"),
        (20, "spec.http[0].timeout"), (22, "spec.http[0].route[0].destination.host"),
        (23, "spec.http[0].route[1].destination.host"),
    ]


# ------------------------------------------------------------------------------------------ other kinds


def test_localities():
    assert localities_problem(["us-west/zone1/*", "us-west/zone2/*"]) is None
    assert localities_problem(["us-west", "us-west/zone1"]) is not None
    assert localities_problem(["us-west/zone1", "us-west"]) is not None
    assert localities_problem(["*", "us-west"]) is not None
    assert localities_problem(["us-*/zone1"]) is not None
    assert localities_problem(["us-west//sub"]) is not None


def test_maglev_primes():
    assert [n for n in range(20) if is_prime(n)] == [1, 2, 3, 5, 7, 11, 13, 17, 19]
    assert is_prime(65537) and not is_prime(65536)


@pytest.mark.parametrize("host,ok", [
    ("./reviews.prod.svc.cluster.local", True), ("*/*", True), ("~/*", True), ("istio-system/*", True),
    ("prod/*.example.com", True), ("reviews.prod.svc.cluster.local", False), ("./reviews", False),
    ("Bad_ns/*", False), ("prod/*foo.example.com", False), ("/x.com", False),
])
def test_sidecar_egress_hosts(host, ok):
    assert (egress_host_problem(host) is None) == ok


def test_authorization_attributes():
    assert key_problem("request.headers[x-user]") is None
    assert key_problem("request.headers[]") is not None
    assert key_problem("request.auth.claims[iss][sub]") is None
    assert "did you mean 'request.headers[x]'" in key_problem("request.header[x]")
    assert "replaced" in key_problem("destination.namespace")
    assert key_problem("source.trustDomain") is None
    assert value_problem("destination.port", "8080") is None
    assert value_problem("destination.port", "65536") is not None
    assert value_problem("source.ip", "10.0.0.0/8") is None
    assert value_problem("source.serviceAccount", "ns/sa/x") is not None


def test_service_accounts_and_path_templates():
    assert service_account_problem("prod/frontend") is None
    assert service_account_problem("frontend") is None
    assert service_account_problem("*/x") is not None
    assert service_account_problem("/x") is not None
    assert path_template_problem("/foo/{*}/bar/{**}") is None
    assert path_template_problem("/foo/{**}/bar/{*}") is not None
    assert path_template_problem("/foo/{id}") is not None
    assert path_template_problem("/foo/{*}/b ar") is not None


def test_jwks():
    assert jwks_problem('{"keys": [{"kty": "RSA"}]}') is None
    assert jwks_problem('{"kty": "EC"}') is None
    assert jwks_problem('{"keys": [{"use": "sig"}]}') is not None
    assert jwks_problem("[]") is not None
    assert jwks_problem("not json") is not None


@pytest.mark.parametrize("group,kind,name,ok", [
    ("", "Service", "reviews-v2", True), ("", "Service", "2reviews", False), ("", "Service", "a.b", False),
    ("", "Namespace", "a.b", False), ("", "ConfigMap", "a.b", True), ("", "ConfigMap", "A", False),
    ("apps", "Deployment", "a" * 254, False), ("batch", "CronJob", "a" * 53, False),
    ("rbac.authorization.k8s.io", "ClusterRole", "system:auth-delegator", True),
    ("rbac.authorization.k8s.io", "Role", "a/b", False),
    ("networking.istio.io", "Gateway", "a.b", False), ("networking.istio.io", "VirtualService", "a.b", True),
])
def test_name_forms(group, kind, name, ok):
    assert (name_problem(group, kind, name)[1] is None) == ok


@pytest.mark.parametrize("key,ok", [
    ("app", True), ("app.kubernetes.io/name", True), ("Example.com/x", False), ("a/b/c", False),
    ("example.com/", False), ("/x", False), ("-x", False), ("x" * 64, False),
])
def test_label_keys(key, ok):
    assert (qualified_name_problem(key) is None) == ok


def test_annotation_keys_ignore_prefix_case():
    assert qualified_name_problem("Example.com/x", lower_prefix=True) is None


def test_annotations_over_256kib_are_rejected(tmp_path):
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  annotations:\n"
            f"    a: {'x' * 140000}\n    b: {'y' * 140000}\n")
    report, _ = lint_text(text, tmp_path, select=["IL116"])
    assert findings_of(report, "IL116") == [(5, 3, "error", "metadata.annotations")]


def test_annotation_size_counts_utf8_bytes(tmp_path):
    # 'é' is two bytes: 131,073 of them are over the limit though the text is half as many characters
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  annotations:\n    a: " + "\u00e9" * 131073 + "\n"
    report, _ = lint_text(text, tmp_path, select=["IL116"])
    assert findings_of(report, "IL116") == [(5, 3, "error", "metadata.annotations")]


def test_metadata_verdicts_kept_for_the_run_are_reported_on_every_object(tmp_path):
    doc = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels: {{'-bad': 'v!', ok: 1, "
           "'$(X)': '$(Y)'}}\n  annotations: {{'a/b/c': x, num: 2}}\n")
    report, _ = lint_text(doc.format(name="one") + "---\n" + doc.format(name="two"), tmp_path, select=["IL116"])
    one = [(f.line, f.column, f.path) for f in report.findings]
    # the bad key, the bad value and the number in each object; the placeholders in neither
    assert one == [
        (5, 12, "metadata.labels.-bad"), (5, 20, "metadata.labels.-bad"), (5, 30, "metadata.labels.ok"),
        (6, 17, "metadata.annotations.a/b/c"), (6, 34, "metadata.annotations.num"),
        (12, 12, "metadata.labels.-bad"), (12, 20, "metadata.labels.-bad"), (12, 30, "metadata.labels.ok"),
        (13, 17, "metadata.annotations.a/b/c"), (13, 34, "metadata.annotations.num"),
    ]


def test_null_list_items_are_left_to_the_schema(tmp_path):
    text = ("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: a\nspec:\n"
            "  rules:\n  -\n")
    report, _ = lint_text(text, tmp_path, select=["IL102", "IL108"])
    assert [f.code for f in report.findings] == ["IL102"]


def test_rules_never_raise_on_mistyped_input(tmp_path):
    kinds = ["VirtualService", "DestinationRule", "ServiceEntry", "Sidecar", "WorkloadEntry", "WorkloadGroup",
             "EnvoyFilter", "ProxyConfig"]
    groups = {"EnvoyFilter": "networking.istio.io/v1alpha3", "ProxyConfig": "networking.istio.io/v1beta1"}
    specs = ["[]", "7", "{hosts: 3, http: {a: 1}, tls: [1], tcp: [[]], subsets: [1, {name: 3}], "
             "trafficPolicy: [1], ingress: [{port: 3}], egress: [{port: [1], hosts: 2}], configPatches: [3, "
             "{applyTo: 1, patch: 2}], probe: 3, endpoints: [1], ports: [3], exportTo: [1, 2], labels: 3}"]
    docs = []
    for kind in kinds:
        for spec in specs:
            docs.append(f"apiVersion: {groups.get(kind, 'networking.istio.io/v1')}\nkind: {kind}\n"
                        f"metadata: {{name: x, labels: [1], annotations: 3}}\nspec: {spec}\n")
    for kind in ("AuthorizationPolicy", "RequestAuthentication", "PeerAuthentication"):
        docs.append(f"apiVersion: security.istio.io/v1\nkind: {kind}\nmetadata: {{name: x}}\n"
                    "spec: {rules: [1, {from: 3, to: [1, {operation: 2}], when: [{key: 3}]}], jwtRules: [3, "
                    "{jwks: 3}], selector: 3, targetRefs: [1, {kind: 3}]}\n")
    report, _ = lint_text("---\n".join(docs), tmp_path, select=["IL104", "IL105", "IL106", "IL107", "IL108", "IL109",
                                                                "IL110", "IL111", "IL112", "IL113", "IL114", "IL115",
                                                                "IL116"])
    assert report.internal_errors == 0


def test_huge_host_lists_are_checked_in_linear_time(tmp_path):
    hosts = ", ".join(f"h{i}.example.com" for i in range(5000)) + ", H7.example.com"
    report, _ = lint_text(VS.format(spec=f"  hosts: [{hosts}]\n  http:\n  - route:\n    - destination: {{host: a}}\n"),
                          tmp_path, select=["IL104"])
    assert [f.path for f in report.findings] == ["spec.hosts[5000]"]
