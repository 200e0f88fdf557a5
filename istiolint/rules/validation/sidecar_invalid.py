"""IL107 sidecar-invalid: what Istio's admission webhook rejects in a Sidecar.

Beyond the schema and its CEL rules: an empty Sidecar, ingress listeners (ports, binds, default
endpoints, TLS), egress listeners (the catch-all listener, ports and unix sockets, `namespace/host`
hosts), connection pools and the outbound traffic policy. Repeated egress hosts are warnings.
"""

from __future__ import annotations

from typing import Any, Iterator

from ...hosts import is_ip
from ...protocols import HTTP_FAMILY, parse_protocol
from ..gateway.gateway_port_protocol import VALID_CIPHER_SUITES
from ..gateway.servers import TLS_FAMILY
from .common import (
    Report,
    as_int,
    as_list,
    as_str,
    check_connection_pool,
    fqdn_problem,
    is_dns_label,
    is_istio,
    is_placeholder,
    nonempty_str,
    partial_wildcard,
    port_problem,
    unix_path_problem,
    wildcard_domain_problem,
)

CODE = "IL107"
KINDS = ("Sidecar",)

UNIX_PREFIX = "unix://"
LOOPBACK_OR_ANY = frozenset(("127.0.0.1", "0.0.0.0", "::1", "::"))
PROTOCOLS = "HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, TLS, MONGO, MYSQL, REDIS or UDP"


def check(resource, ctx) -> Iterator:
    if not is_istio(resource, "Sidecar"):
        return
    spec = resource.get(("spec",))
    if not isinstance(spec, dict):
        return
    report = Report(ctx, resource)
    ingress, egress = as_list(spec.get("ingress")), as_list(spec.get("egress"))
    if not ingress and not egress and spec.get("outboundTrafficPolicy") is None \
            and spec.get("inboundConnectionPool") is None:
        yield report.error(("spec",), "a Sidecar needs ingress, egress, outboundTrafficPolicy or "
                                      "inboundConnectionPool; Istio rejects an empty one", key=True)
        return
    yield from _ingress(report, ingress)
    yield from check_connection_pool(report, spec.get("inboundConnectionPool"), ("spec", "inboundConnectionPool"))
    yield from _egress(report, egress, resource.namespace)
    yield from _outbound(report, spec.get("outboundTrafficPolicy"))


def _port_name_and_protocol(report: Report, port: dict, path: tuple) -> Iterator:
    name = as_str(port.get("name"))
    if name and not is_dns_label(name):
        yield report.error(path + ("name",), f"port name '{name}' is not a DNS label (letters, digits and '-'); "
                                             "Istio rejects it")
    protocol = as_str(port.get("protocol"))
    if protocol and parse_protocol(protocol) is None:
        yield report.error(path + ("protocol",), f"unknown protocol '{protocol}'; Istio rejects it. Use {PROTOCOLS}")
    target = as_int(port.get("targetPort"))
    if target:
        yield report.error(path + ("targetPort",), "targetPort has no effect on a Sidecar listener and Istio rejects "
                                                   "it; remove it", key=True)


def _bind(report: Report, bind: Any, path: tuple) -> Iterator:
    if isinstance(bind, str) and bind and not is_ip(bind):
        yield report.error(path, f"bind '{bind}' must be an IP address; Istio rejects it")


def _ingress(report: Report, ingress: list) -> Iterator:
    seen: dict[int, int] = {}
    for i, listener in enumerate(ingress):
        if not isinstance(listener, dict):
            continue
        path = ("spec", "ingress", i)
        port = listener.get("port")
        if not isinstance(port, dict):
            continue  # required: schema-violation
        yield from _port_name_and_protocol(report, port, path + ("port",))
        number = as_int(port.get("number"))
        if number is not None or "number" not in port:
            problem = port_problem(number or 0)
            if problem:
                yield report.error(path + ("port", "number") if "number" in port else path + ("port",),
                                   f"ingress {problem}; Istio rejects it")
        if number is not None:
            if number in seen:
                yield report.error(path + ("port", "number"), f"port {number} is already used by ingress listener "
                                                              f"{seen[number]}; Istio rejects it",
                                   related=[report.related(("spec", "ingress", seen[number], "port", "number"),
                                                           "first listener")])
            else:
                seen[number] = i
        yield from _bind(report, listener.get("bind"), path + ("bind",))
        endpoint = as_str(listener.get("defaultEndpoint"))
        if endpoint:
            yield from _default_endpoint(report, endpoint, path + ("defaultEndpoint",))
        tls = listener.get("tls")
        if isinstance(tls, dict):
            yield from _ingress_tls(report, tls, parse_protocol(port.get("protocol")), path + ("tls",))
        pool = listener.get("connectionPool")
        yield from check_connection_pool(report, pool, path + ("connectionPool",))
        protocol = parse_protocol(port.get("protocol"))
        if isinstance(pool, dict) and pool.get("http") is not None and protocol not in HTTP_FAMILY:
            yield report.warning(path + ("connectionPool", "http"),
                                 f"HTTP connection pool settings on a port whose protocol is "
                                 f"{port.get('protocol') or 'not set'}: only the TCP settings apply", key=True)


def _default_endpoint(report: Report, endpoint: str, path: tuple) -> Iterator:
    if endpoint.startswith(UNIX_PREFIX):
        problem = unix_path_problem(endpoint[len(UNIX_PREFIX):])
        if problem:
            yield report.error(path, f"defaultEndpoint {problem}; Istio rejects it")
        return
    host, sep, port = endpoint.rpartition(":")
    if not sep:
        yield report.error(path, f"defaultEndpoint '{endpoint}' must be 127.0.0.1:<port>, 0.0.0.0:<port>, "
                                 "[::1]:<port>, [::]:<port> or unix://<path>; Istio rejects it")
        return
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host and host not in LOOPBACK_OR_ANY:
        yield report.error(path, f"defaultEndpoint host '{host}' must be 127.0.0.1, 0.0.0.0, ::1 or :: (the "
                                 "application in the same pod); Istio rejects it")
    if not port.isdigit():
        yield report.error(path, f"defaultEndpoint port '{port}' is not a number; Istio rejects it")
    elif port_problem(int(port)):
        yield report.error(path, f"defaultEndpoint {port_problem(int(port))}; Istio rejects it")


def _ingress_tls(report: Report, tls: dict, protocol: str | None, path: tuple) -> Iterator:
    for field, why in (("subjectAltNames", "is not supported in Sidecar ingress TLS"),
                       ("httpsRedirect", "is not supported on a Sidecar"),
                       ("credentialName", "is not supported on a Sidecar (use certificate files)"),
                       ("credentialNames", "is not supported on a Sidecar (use certificate files)"),
                       ("tlsCertificates", "is not supported on a Sidecar")):
        value = tls.get(field)
        if value not in (None, "", False, []):
            yield report.error(path + (field,), f"{field} {why}; Istio rejects it", key=True)
    mode = tls.get("mode")
    if mode in ("ISTIO_MUTUAL", "AUTO_PASSTHROUGH"):
        yield report.error(path + ("mode",), f"mode {mode} cannot be used in Sidecar ingress TLS; Istio rejects it")
    if protocol not in TLS_FAMILY:
        yield report.error(path, "TLS settings need an HTTPS or TLS port protocol; Istio rejects them on other ports",
                           key=True)
    yield from _server_tls(report, tls, path)


def _server_tls(report: Report, tls: dict, path: tuple) -> Iterator:
    """The server TLS settings rules Istio shares between Gateways and Sidecar ingress."""
    mode = tls.get("mode") or "PASSTHROUGH"
    if tls.get("minProtocolVersion") in ("TLSV1_0", "TLSV1_1") and not as_list(tls.get("cipherSuites")):
        yield report.warning(path + ("minProtocolVersion",), "TLS below 1.2 needs cipherSuites: the default suites no "
                                                             "longer include any it can use")
    seen: set[str] = set()
    for k, suite in enumerate(as_list(tls.get("cipherSuites"))):
        if not isinstance(suite, str):
            continue
        if suite and suite != "ALL" and suite[0].isalnum() and suite not in VALID_CIPHER_SUITES:
            yield report.warning(path + ("cipherSuites", k), f"unknown cipher suite '{suite}' is ignored")
        elif suite in seen:
            yield report.warning(path + ("cipherSuites", k), f"cipher suite '{suite}' is listed twice")
        seen.add(suite)
    if mode == "ISTIO_MUTUAL":
        return  # reported above; certificate rules do not apply
    files = [f for f in ("serverCertificate", "privateKey", "caCertificates", "caCrl") if nonempty_str(tls, f)]
    if mode in ("PASSTHROUGH", "AUTO_PASSTHROUGH") and files:
        yield report.warning(path + (files[0],), f"{mode} does not terminate TLS: {', '.join(files)} is ignored")
    credential = any(tls.get(f) not in (None, "", []) for f in ("credentialName", "credentialNames"))
    if mode in ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL") and not credential:
        label = "SIMPLE" if mode == "SIMPLE" else "MUTUAL"
        if label == "MUTUAL" and not nonempty_str(tls, "caCertificates"):
            yield report.error(path + ("mode",), f"{mode} TLS needs caCertificates (the CA of client certificates); "
                                                 "Istio rejects it")
        missing = [f for f in ("serverCertificate", "privateKey") if not nonempty_str(tls, f)]
        if missing:
            yield report.error(path + ("mode",), f"{label} TLS needs {' and '.join(missing)}; Istio rejects it")
    if nonempty_str(tls, "caCrl") and mode == "SIMPLE":
        yield report.error(path + ("caCrl",), "caCrl needs client certificates to check, which SIMPLE TLS never asks "
                                              "for; Istio rejects it")


def _egress(report: Report, egress: list, namespace: str | None) -> Iterator:
    ports: dict[int, int] = {}
    sockets: dict[str, int] = {}
    catch_all = None
    for i, listener in enumerate(egress):
        if not isinstance(listener, dict):
            continue
        path = ("spec", "egress", i)
        port = listener.get("port")
        if port is None:
            # One egress listener may omit the port: it catches everything else, so it must come last.
            if catch_all is not None:
                yield report.error(path, "only one egress listener may omit the port; Istio rejects a second one",
                                   related=[report.related(("spec", "egress", catch_all), "first listener without port")])
            elif i != len(egress) - 1:
                yield report.error(path, "the egress listener without a port catches all other traffic and must be "
                                         "the last one; Istio rejects it. Move it to the end")
                catch_all = i
            else:
                catch_all = i
        elif isinstance(port, dict):
            yield from _egress_port(report, listener, port, path, ports, sockets)
        hosts = listener.get("hosts")
        if isinstance(hosts, list) and not hosts:
            yield report.error(path + ("hosts",), "an egress listener needs at least one host; Istio rejects it",
                               key=True)
        yield from _egress_hosts(report, as_list(hosts), path + ("hosts",), namespace)


def _egress_port(report: Report, listener: dict, port: dict, path: tuple, ports: dict, sockets: dict) -> Iterator:
    yield from _port_name_and_protocol(report, port, path + ("port",))
    number = as_int(port.get("number")) or 0
    bind = as_str(listener.get("bind")) or ""
    if number == 0:
        # Port 0 means a unix domain socket listener, named by the bind.
        if not bind.startswith(UNIX_PREFIX):
            yield report.error(path + ("port",), "an egress port 0 needs a unix:// bind (a unix domain socket); Istio "
                                                 "rejects it. Set the port number, or bind: unix:///path")
        else:
            problem = unix_path_problem(bind[len(UNIX_PREFIX):])
            if problem:
                yield report.error(path + ("bind",), f"bind {problem}; Istio rejects it")
        if listener.get("captureMode") not in (None, "DEFAULT", "NONE"):
            yield report.error(path + ("captureMode",), "a unix socket listener takes captureMode DEFAULT or NONE; "
                                                        "Istio rejects it")
        if bind in sockets:
            yield report.error(path + ("bind",), f"unix socket '{bind}' is already used by egress listener "
                                                 f"{sockets[bind]}; Istio rejects it")
        sockets.setdefault(bind, path[-1])
        return
    problem = port_problem(number)
    if problem:
        yield report.error(path + ("port", "number"), f"egress {problem}; Istio rejects it")
    yield from _bind(report, listener.get("bind"), path + ("bind",))
    if number in ports:
        yield report.error(path + ("port", "number"), f"port {number} is already used by egress listener "
                                                      f"{ports[number]}; Istio rejects it",
                           related=[report.related(("spec", "egress", ports[number], "port", "number"),
                                                   "first listener")])
    else:
        ports[number] = path[-1]


def egress_host_problem(host: str) -> str | None:
    """Why an egress host is not ``namespace/dnsName`` as Istio accepts it, or None."""
    namespace, slash, name = host.partition("/")
    if not slash:
        return "an egress host must be <namespace>/<dnsName> ('*/' for any namespace, './' for this one)"
    if not namespace or not name:
        return "both the namespace and the host of <namespace>/<dnsName> must be set"
    if namespace not in ("*", ".", "~") and not is_dns_label(namespace) and not is_placeholder(namespace):
        return f"'{namespace}' is not '*', '.', '~' or a namespace name"
    if name != "*" and "." not in name and not is_placeholder(name):
        return f"short name '{name}' is not allowed: use the fully qualified name ({name}.<namespace>.svc.cluster.local) or '*'"
    problem = wildcard_domain_problem(name)
    if problem:
        return problem
    if partial_wildcard(name):
        return f"partial wildcard '{name}': only '*' or a leading '*.' label is allowed"
    return None


def _egress_hosts(report: Report, hosts: list, path: tuple, namespace: str | None) -> Iterator:
    by_namespace: dict[str, dict[str, int]] = {}
    for k, host in enumerate(hosts):
        if not isinstance(host, str):
            continue
        ns, slash, name = host.partition("/")
        if slash:
            ns = namespace if ns == "." and namespace else ns
            names = by_namespace.setdefault(ns, {})
            if (name != "*" and (name in names or "*" in names)) or (name == "*" and names):
                yield report.warning(path + (k,), f"egress host '{host}' repeats or is covered by an earlier host of "
                                                  "this listener")
            names.setdefault(name, k)
        problem = egress_host_problem(host)
        if problem:
            yield report.error(path + (k,), f"invalid egress host '{host}': {problem}; Istio rejects it")
    if "*" in by_namespace.get("*", {}) and len(by_namespace) != 1:
        yield report.warning(path, "'*/*' already selects every host; the other hosts of this listener add nothing",
                             key=True)


def _outbound(report: Report, policy: Any) -> Iterator:
    if not isinstance(policy, dict):
        return
    path = ("spec", "outboundTrafficPolicy")
    proxy = policy.get("egressProxy")
    if not isinstance(proxy, dict):
        return
    if policy.get("mode") != "ALLOW_ANY":
        yield report.error(path + ("egressProxy",), "egressProxy works only with mode ALLOW_ANY; Istio rejects it",
                           key=True)
        return
    host = proxy.get("host")
    if isinstance(host, str):
        problem = fqdn_problem(host)
        if problem:
            yield report.error(path + ("egressProxy", "host"), f"egressProxy host '{host}': {problem}; Istio rejects it")
    port = proxy.get("port")
    if port is None:
        yield report.error(path + ("egressProxy",), "egressProxy needs a port; Istio rejects it")
    elif isinstance(port, dict):
        problem = port_problem(as_int(port.get("number")) or 0)
        if problem:
            yield report.error(path + ("egressProxy", "port"), f"egressProxy {problem}; Istio rejects it")
    subset = as_str(proxy.get("subset"))
    if subset and not is_dns_label(subset):
        yield report.error(path + ("egressProxy", "subset"), f"subset name '{subset}' is not a DNS label; Istio "
                                                             "rejects it")
