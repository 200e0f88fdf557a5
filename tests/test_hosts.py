"""Tables for istiolint.hosts: Istio's host, gateway-reference and exportTo rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from istiolint.hosts import (
    DEFAULT_CLUSTER_DOMAIN,
    GatewayRef,
    effective_gateway_refs,
    envoy_domain_matches,
    expand_short_name,
    host_covers,
    host_matches,
    hosts_intersect,
    is_ip,
    is_wildcard,
    parse_fqdn,
    resolve_gateway_ref,
    server_host_admits,
    service_export_to,
    service_hosts,
    split_namespaced_host,
    visible_to,
)

NOT_STRINGS = [None, 1, 1.5, True, ["a.com"], {"a": 1}]


def test_default_cluster_domain():
    assert DEFAULT_CLUSTER_DOMAIN == "cluster.local"


# ------------------------------------------------------------------ is_wildcard / is_ip


@pytest.mark.parametrize(
    "host, expected",
    [
        ("*", True),
        ("*.example.com", True),
        ("*foo.example.com", True),
        ("a.*.com", False),  # only a leading * makes a wildcard in Istio
        ("example.com", False),
        ("", False),
        *[(v, False) for v in NOT_STRINGS],
    ],
)
def test_is_wildcard(host, expected):
    assert is_wildcard(host) is expected


@pytest.mark.parametrize(
    "host, expected",
    [
        ("10.0.0.1", True),
        ("::1", True),
        ("2001:db8::1", True),
        ("fe80::1%eth0", True),
        ("reviews", False),
        ("a:b", False),
        ("1.2.3", False),
        ("", False),
        (None, False),
        (10, False),
    ],
)
def test_is_ip(host, expected):
    assert is_ip(host) is expected


# ------------------------------------------------------------------ expand_short_name


@pytest.mark.parametrize(
    "host, ns, domain, expected",
    [
        ("reviews", "default", "cluster.local", "reviews.default.svc.cluster.local"),
        ("reviews", "prod", "corp.internal", "reviews.prod.svc.corp.internal"),
        # a dot makes the host literal: no partial expansion
        ("reviews.default", "prod", "cluster.local", "reviews.default"),
        ("reviews.default.svc", "prod", "cluster.local", "reviews.default.svc"),
        ("reviews.default.svc.cluster.local", "x", "cluster.local", "reviews.default.svc.cluster.local"),
        ("example.com", "default", "cluster.local", "example.com"),
        # "*" is never expanded; a dotted wildcard is literal
        ("*", "default", "cluster.local", "*"),
        ("*.example.com", "default", "cluster.local", "*.example.com"),
        # ... but a dot-less partial wildcard is a short name to Istio
        ("*foo", "default", "cluster.local", "*foo.default.svc.cluster.local"),
        # IP literals are never expanded (IPv6 has no dot, so this matters)
        ("10.0.0.1", "default", "cluster.local", "10.0.0.1"),
        ("::1", "default", "cluster.local", "::1"),
        ("2001:db8::1", "default", "cluster.local", "2001:db8::1"),
        # case is kept (comparison is case-insensitive elsewhere)
        ("Reviews", "default", "cluster.local", "Reviews.default.svc.cluster.local"),
        ("", "default", "cluster.local", ""),
        # missing pieces are left out, as Istio does with an empty namespace/domain
        ("reviews", "", "cluster.local", "reviews.svc.cluster.local"),
        ("reviews", "default", "", "reviews.default"),
        ("reviews", None, "cluster.local", "reviews.svc.cluster.local"),
    ],
)
def test_expand_short_name(host, ns, domain, expected):
    assert expand_short_name(host, ns, domain) == expected


def test_expand_short_name_default_domain():
    assert expand_short_name("ratings", "bookinfo") == "ratings.bookinfo.svc.cluster.local"


@pytest.mark.parametrize("host", NOT_STRINGS)
def test_expand_short_name_non_string(host):
    assert expand_short_name(host, "default") is None


# ------------------------------------------------------------------ host_matches


@pytest.mark.parametrize(
    "pattern, name, expected",
    [
        ("a.example.com", "a.example.com", True),
        ("a.example.com", "b.example.com", False),
        ("*.example.com", "a.example.com", True),
        ("*.example.com", "a.b.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "badexample.com", False),
        ("*", "anything.at.all", True),
        ("*", "reviews.default.svc.cluster.local", True),
        ("*", "10.0.0.1", True),
        # partial leftmost label: "*" may stand for the empty string (Istio's suffix
        # semantics, host.Name.Matches); Envoy alone would not match foo.example.com
        ("*foo.example.com", "xfoo.example.com", True),
        ("*foo.example.com", "foo.example.com", True),
        ("*foo.example.com", "a.foo.example.com", True),
        ("*foo.example.com", "fo.example.com", False),
        ("*-bar.foo.com", "baz-bar.foo.com", True),
        # case-insensitive
        ("*.Example.COM", "a.example.com", True),
        ("A.Example.com", "a.EXAMPLE.com", True),
        # a * that is not leading is literal
        ("a.*.com", "a.x.com", False),
        ("a.*.com", "a.*.com", True),
        # IPs compare literally
        ("10.0.0.1", "10.0.0.1", True),
        ("10.0.0.1", "10.0.0.10", False),
        # empty names never match
        ("*", "", False),
        ("", "", False),
        # a wildcard "name" is matched when the pattern covers it
        ("*.com", "*.example.com", True),
        ("*.example.com", "*.com", False),
        ("*", "*", True),
        ("a.example.com", "*.example.com", False),
    ],
)
def test_host_matches(pattern, name, expected):
    assert host_matches(pattern, name) is expected


@pytest.mark.parametrize("bad", NOT_STRINGS)
def test_host_matches_non_string(bad):
    assert host_matches(bad, "a.com") is False
    assert host_matches("*", bad) is False


# ------------------------------------------------------------------ hosts_intersect


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("*.example.com", "*.com", True),
        ("*.a.com", "*.b.com", False),
        ("a.example.com", "*.example.com", True),
        ("*.example.com", "a.example.com", True),
        ("example.com", "*.example.com", False),
        ("a.com", "a.com", True),
        ("a.com", "b.com", False),
        ("*", "*", True),
        ("*", "a.com", True),
        ("*.b.com", "*", True),
        ("*foo.com", "*.foo.com", True),  # a.foo.com matches both
        ("*foo.com", "*bar.com", False),
        ("*foo.com", "foo.com", True),  # Istio: * may be empty
        ("*o.com", "*foo.com", True),
        ("*.EXAMPLE.com", "A.example.COM", True),
        ("reviews.default.svc.cluster.local", "reviews.default", False),
        ("", "*", False),
    ],
)
def test_hosts_intersect(a, b, expected):
    assert hosts_intersect(a, b) is expected
    assert hosts_intersect(b, a) is expected  # symmetric


@pytest.mark.parametrize("bad", NOT_STRINGS)
def test_hosts_intersect_non_string(bad):
    assert hosts_intersect(bad, "*") is False
    assert hosts_intersect("*", bad) is False


# ------------------------------------------------------------------ host_covers


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("*", "*", True),
        ("*", "*.example.com", True),
        ("*", "a.com", True),
        ("*.com", "*.example.com", True),
        ("*.example.com", "*.com", False),
        ("*.example.com", "*.example.com", True),
        ("*.example.com", "a.example.com", True),
        ("*.example.com", "example.com", False),
        ("a.example.com", "*.example.com", False),  # a concrete name never covers a wildcard
        ("a.example.com", "a.example.com", True),
        ("A.example.com", "a.EXAMPLE.com", True),
        ("*.example.com", "*", False),
        ("*foo.com", "*.foo.com", True),
        ("*.foo.com", "*foo.com", False),  # xfoo.com is not under .foo.com
        ("*foo.com", "foo.com", True),
        ("", "", False),
    ],
)
def test_host_covers(a, b, expected):
    assert host_covers(a, b) is expected


@pytest.mark.parametrize("bad", NOT_STRINGS)
def test_host_covers_non_string(bad):
    assert host_covers(bad, "a.com") is False
    assert host_covers("*", bad) is False


# ------------------------------------------------------------------ envoy_domain_matches


@pytest.mark.parametrize(
    "domain, authority, expected",
    [
        ("*-bar.foo.com", "baz-bar.foo.com", True),
        ("*-bar.foo.com", "-bar.foo.com", False),  # Envoy: the wildcard is never empty
        ("*foo.example.com", "foo.example.com", False),  # differs from host_matches
        ("*.example.com", "a.example.com", True),
        ("*", "x", True),
        ("*", "", False),
        ("a.com", "A.COM", True),
        (None, "a.com", False),
    ],
)
def test_envoy_domain_matches(domain, authority, expected):
    assert envoy_domain_matches(domain, authority) is expected


# ------------------------------------------------------------------ split_namespaced_host


@pytest.mark.parametrize(
    "server_host, expected",
    [
        ("ns/h.example.com", ("ns", "h.example.com")),
        ("./h.example.com", (".", "h.example.com")),
        ("*/h.example.com", ("*", "h.example.com")),
        ("*/*", ("*", "*")),
        ("prod/*.example.com", ("prod", "*.example.com")),
        ("h.example.com", (None, "h.example.com")),
        ("*", (None, "*")),
        ("/h.com", ("", "h.com")),
        ("ns/", ("ns", "")),
        ("a/b/c", ("a", "b/c")),  # split at the first slash; validation rejects the rest
        ("", (None, "")),
    ],
)
def test_split_namespaced_host(server_host, expected):
    assert split_namespaced_host(server_host) == expected


@pytest.mark.parametrize("bad", NOT_STRINGS)
def test_split_namespaced_host_non_string(bad):
    assert split_namespaced_host(bad) is None


# ------------------------------------------------------------------ server_host_admits


@pytest.mark.parametrize(
    "ns_part, gw_ns, vs_ns, expected",
    [
        (None, "istio-system", "bookinfo", True),  # no namespace part: any namespace
        ("*", "istio-system", "bookinfo", True),
        (".", "istio-system", "bookinfo", False),  # "." is the Gateway's namespace
        (".", "bookinfo", "bookinfo", True),
        ("bookinfo", "istio-system", "bookinfo", True),
        ("bookinfo", "istio-system", "other", False),
        ("Bookinfo", "istio-system", "bookinfo", False),  # namespaces compare exactly
        ("", "istio-system", "bookinfo", False),
        (1, "istio-system", "bookinfo", False),
        (".", None, "bookinfo", False),
        (None, "istio-system", None, False),
        ("*", "istio-system", 3, False),
    ],
)
def test_server_host_admits(ns_part, gw_ns, vs_ns, expected):
    assert server_host_admits(ns_part, gw_ns, vs_ns) is expected


def test_split_then_admit_round_trip():
    ns, host = split_namespaced_host("./*.bookinfo.com")
    assert host == "*.bookinfo.com"
    assert server_host_admits(ns, "bookinfo", "bookinfo") is True
    assert server_host_admits(ns, "istio-system", "bookinfo") is False


# ------------------------------------------------------------------ resolve_gateway_ref


MESH = GatewayRef(namespace="", name="mesh", mesh=True)


@pytest.mark.parametrize(
    "ref, vs_ns, expected",
    [
        ("mesh", "bookinfo", MESH),
        ("gw", "bookinfo", GatewayRef("bookinfo", "gw")),
        ("./gw", "bookinfo", GatewayRef("bookinfo", "gw")),
        ("istio-system/gw", "bookinfo", GatewayRef("istio-system", "gw")),
        # legacy dotted forms: the second label is the namespace
        ("gw.istio-system", "bookinfo", GatewayRef("istio-system", "gw", legacy=True)),
        (
            "gw.istio-system.svc.cluster.local",
            "bookinfo",
            GatewayRef("istio-system", "gw", legacy=True),
        ),
        # Istio ignores whatever follows the second label, even another domain
        ("gw.istio-system.svc.corp.internal", "bookinfo", GatewayRef("istio-system", "gw", legacy=True)),
        ("gw.ns.x", "bookinfo", GatewayRef("ns", "gw", legacy=True)),
        # "mesh" is reserved only on its own, and case-sensitively
        ("./mesh", "bookinfo", GatewayRef("bookinfo", "mesh")),
        ("bookinfo/mesh", "other", GatewayRef("bookinfo", "mesh")),
        ("Mesh", "bookinfo", GatewayRef("bookinfo", "Mesh")),
        # "*" as a namespace is not special for gateway references
        ("*/gw", "bookinfo", GatewayRef("*", "gw")),
        # malformed
        ("", "bookinfo", None),
        ("ns/", "bookinfo", None),
        ("/gw", "bookinfo", None),
        ("./", "bookinfo", None),
        ("gw.", "bookinfo", None),
        (".gw", "bookinfo", None),
        ("gw", None, None),
        ("./gw", None, None),
    ],
)
def test_resolve_gateway_ref(ref, vs_ns, expected):
    assert resolve_gateway_ref(ref, vs_ns) == expected


def test_resolve_gateway_ref_cluster_domain_does_not_matter():
    r = resolve_gateway_ref("gw.ns.svc.cluster.local", "x", cluster_domain="corp.internal")
    assert r == GatewayRef("ns", "gw", legacy=True)


@pytest.mark.parametrize("bad", NOT_STRINGS)
def test_resolve_gateway_ref_non_string(bad):
    assert resolve_gateway_ref(bad, "bookinfo") is None


def test_gateway_ref_key():
    assert MESH.key == "mesh"
    assert GatewayRef("istio-system", "gw").key == "istio-system/gw"


@pytest.mark.parametrize(
    "gateways, expected",
    [
        (None, [MESH]),
        ([], [MESH]),
        ("gw", [MESH]),  # wrong type: treated as unset
        (["gw"], [GatewayRef("bookinfo", "gw")]),
        (["mesh", "./gw", 7, "ns/"], [MESH, GatewayRef("bookinfo", "gw")]),
    ],
)
def test_effective_gateway_refs(gateways, expected):
    assert effective_gateway_refs(gateways, "bookinfo") == expected


# ------------------------------------------------------------------ visible_to


@pytest.mark.parametrize(
    "export_to, owner, consumer, expected",
    [
        (None, "a", "b", True),
        ([], "a", "b", True),
        (["*"], "a", "b", True),
        (["."], "a", "a", True),
        (["."], "a", "b", False),
        (["b"], "a", "b", True),
        (["b"], "a", "a", False),  # naming others does not include the owner
        (["b"], "a", "c", False),
        (["a", "b"], "a", "a", True),  # the owner by name is like "."
        ([".", "c"], "a", "c", True),
        (["~"], "a", "a", False),  # "~": no namespace, not even its own
        (["~"], "a", "b", False),
        (["~", "b"], "a", "b", False),  # "~" wins over names
        (["~", "*"], "a", "b", True),  # "*" wins over everything (Istio checks it first)
        ([""], "a", "a", False),
        ([1, "b"], "a", "b", True),  # non-strings ignored
        ([1], "a", "b", False),
        (".", "a", "b", True),  # wrong type: unset
        (["*"], None, "b", False),
        (["*"], "a", None, False),
    ],
)
def test_visible_to(export_to, owner, consumer, expected):
    assert visible_to(export_to, owner, consumer) is expected


@pytest.mark.parametrize(
    "export_to, default, consumer, expected",
    [
        (None, ["."], "a", True),
        (None, ["."], "b", False),
        ([], ["."], "b", False),
        (["*"], ["."], "b", True),  # an explicit value overrides the mesh default
        (None, ["*"], "b", True),
        (None, [], "b", True),
    ],
)
def test_visible_to_mesh_default(export_to, default, consumer, expected):
    assert visible_to(export_to, "a", consumer, default=default) is expected


# ------------------------------------------------------------------ service_export_to


@pytest.mark.parametrize(
    "annotations, expected",
    [
        (None, None),
        ({}, None),
        ({"other": "x"}, None),
        ({"networking.istio.io/exportTo": ""}, None),
        ({"networking.istio.io/exportTo": "."}, ["."]),
        ({"networking.istio.io/exportTo": "*"}, ["*"]),
        ({"networking.istio.io/exportTo": "~"}, ["~"]),
        ({"networking.istio.io/exportTo": "a, b ,c"}, ["a", "b", "c"]),
        ({"networking.istio.io/exportTo": " . , istio-system"}, [".", "istio-system"]),
        ({"networking.istio.io/exportTo": "a,,b"}, ["a", "", "b"]),  # Istio keeps blanks
        ({"networking.istio.io/exportTo": "  "}, [""]),
        ({"networking.istio.io/exportTo": 5}, None),
        ({"networking.istio.io/exportTo": ["a"]}, None),
        ("networking.istio.io/exportTo=.", None),
    ],
)
def test_service_export_to(annotations, expected):
    assert service_export_to(annotations) == expected


def test_service_export_to_feeds_visible_to():
    export_to = service_export_to({"networking.istio.io/exportTo": "~"})
    assert visible_to(export_to, "a", "a") is False
    blank = service_export_to({"networking.istio.io/exportTo": " "})
    assert visible_to(blank, "a", "a") is False
    assert visible_to(blank, "a", "b") is False


# ------------------------------------------------------------------ parse_fqdn


@pytest.mark.parametrize(
    "host, domain, expected",
    [
        ("reviews.default.svc.cluster.local", "cluster.local", ("reviews", "default")),
        ("Reviews.Default.SVC.Cluster.Local", "cluster.local", ("reviews", "default")),
        ("reviews.prod.svc.corp.internal", "corp.internal", ("reviews", "prod")),
        ("reviews.prod.svc.corp.internal", "cluster.local", None),
        ("reviews.default.svc", "cluster.local", None),
        ("reviews.default", "cluster.local", None),
        ("reviews", "cluster.local", None),
        ("pod.sub.default.svc.cluster.local", "cluster.local", None),
        ("*.default.svc.cluster.local", "cluster.local", None),
        (".default.svc.cluster.local", "cluster.local", None),
        ("reviews..svc.cluster.local", "cluster.local", None),
        ("svc.cluster.local", "cluster.local", None),
        ("example.com", "cluster.local", None),
        ("reviews.default.svc.cluster.local", "", None),
        ("reviews.default.svc.cluster.local", None, None),
    ],
)
def test_parse_fqdn(host, domain, expected):
    assert parse_fqdn(host, domain) == expected


def test_parse_fqdn_default_domain():
    assert parse_fqdn("ratings.bookinfo.svc.cluster.local") == ("ratings", "bookinfo")


@pytest.mark.parametrize("bad", NOT_STRINGS)
def test_parse_fqdn_non_string(bad):
    assert parse_fqdn(bad) is None


def test_parse_fqdn_inverts_expand_short_name():
    assert parse_fqdn(expand_short_name("reviews", "team-a")) == ("reviews", "team-a")


# ------------------------------------------------------------------ service_hosts


@pytest.mark.parametrize(
    "name, ns, domain, expected",
    [
        ("reviews", "default", "cluster.local", {"reviews.default.svc.cluster.local"}),
        ("reviews", "prod", "corp.internal", {"reviews.prod.svc.corp.internal"}),
        ("", "default", "cluster.local", set()),
        ("reviews", "", "cluster.local", set()),
        (None, "default", "cluster.local", set()),
        ("reviews", 3, "cluster.local", set()),
    ],
)
def test_service_hosts(name, ns, domain, expected):
    assert service_hosts(name, ns, domain) == expected


def test_service_hosts_are_fqdn_only():
    hosts = service_hosts("reviews", "default")
    # "reviews" and "reviews.default" reach the Service through DNS search paths,
    # but as Istio hosts they are different names
    assert "reviews" not in hosts
    assert "reviews.default" not in hosts
    assert not any(hosts_intersect(h, "reviews.default") for h in hosts)
    # a short name written in another namespace expands elsewhere
    assert expand_short_name("reviews", "other") not in hosts
    assert expand_short_name("reviews", "default") in hosts


# ------------------------------------------------------------------ properties

_label = st.sampled_from(["a", "b", "ab", "ba", "A"])
_name = st.lists(_label, min_size=1, max_size=3).map(".".join)
_pattern = st.one_of(
    _name,
    st.just("*"),
    _name.map(lambda n: "*." + n),
    _name.map(lambda n: "*" + n),
)


@settings(max_examples=300, deadline=None)
@given(a=_pattern, b=_pattern, n=_name)
def test_properties_agree(a, b, n):
    # a common concrete match proves the patterns intersect
    if host_matches(a, n) and host_matches(b, n):
        assert hosts_intersect(a, b)
    # coverage is transitive over concrete names and implies intersection
    if host_covers(a, b):
        assert hosts_intersect(a, b)
        if host_matches(b, n):
            assert host_matches(a, n)
    # every pattern covers and intersects itself
    assert host_covers(a, a) and hosts_intersect(a, a)
