"""gateway-port-protocol: every check Istio's admission webhook makes on a Gateway server, plus the
protocol/port/TLS mistakes it lets through.

What the JSON schema already reports (schema-violation) is not repeated here: missing ``port``,
``hosts``, ``port.number``/``protocol``/``name``, wrong types, ``tls.mode`` outside its enum and more
than two ``tlsCertificates``/``credentialNames``.
"""

from __future__ import annotations

import re
from typing import Iterator

from ...finding import Severity
from ...hosts import is_ip
from .servers import (
    HTTP_FAMILY,
    PASSTHROUGH_MODES,
    TLS_FAMILY,
    TLS_MODES,
    UNIX_PREFIX,
    Server,
    int_value,
    is_istio_gateway,
    servers_of,
)

CODE = "IL204"
KINDS = ("Gateway",)

WARNING = Severity.WARNING
_LABEL = r"[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?"
DNS1123_LABEL = re.compile(rf"^{_LABEL}$")
# First label of a wildcard domain: "*", or a label optionally led by "*" or "*-" (Istio's wildcardPrefix).
WILDCARD_LABEL = re.compile(rf"^(?:\*|(?:\*|\*-)?{_LABEL})$")
# Cipher suites Envoy (BoringSSL) accepts in Gateway tls.cipherSuites, as listed by Istio's validation.
VALID_CIPHER_SUITES = frozenset((
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
    "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA", "AES256-SHA", "DES-CBC3-SHA",
))
SUPPORTED = "HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TCP, TLS, MONGO, REDIS, MYSQL"


def check(resource, ctx) -> Iterator:
    if not is_istio_gateway(resource):
        return  # a Gateway API Gateway has listeners, not servers
    spec = resource.get(("spec",))
    servers = spec.get("servers") if isinstance(spec, dict) else None
    if isinstance(spec, dict) and (servers is None or servers == []):
        # Istio rejects a Gateway without servers (the schema does not require the field).
        yield ctx.finding(resource, ("spec", "servers") if "servers" in spec else ("spec",),
                          "a Gateway needs at least one server: Istio rejects it otherwise")
        return
    seen_names: dict[str, int] = {}
    for server in servers_of(resource):
        yield from _check_port(resource, ctx, server, seen_names)
        yield from _check_hosts(resource, ctx, server)
        yield from _check_protocol_vs_tls(resource, ctx, server)
        if server.tls is not None:
            yield from _check_tls(resource, ctx, server)


# --------------------------------------------------------------------------- port and bind


def _check_port(resource, ctx, server: Server, seen_names: dict[str, int]) -> Iterator:
    port = server.data.get("port")
    if not isinstance(port, dict):
        return  # missing or mistyped: the schema reports it
    path = server.path + ("port",)
    protocol = port.get("protocol")
    if isinstance(protocol, str) and server.protocol is None:
        yield ctx.finding(resource, path + ("protocol",),
                          f"protocol '{protocol}' is not one Istio accepts on a Gateway server; use one of "
                          f"{SUPPORTED} (case does not matter)")
    unix = server.bind.startswith(UNIX_PREFIX)
    number = server.number
    if number is not None:
        if unix and number != 0:
            yield ctx.finding(resource, path + ("number",),
                              f"a server bound to a unix domain socket ({server.bind}) must use port number 0, "
                              f"not {number}")
        elif not unix and not 1 <= number <= 65535:
            yield ctx.finding(resource, path + ("number",),
                              f"port number {number} is outside 1..65535 (0 is allowed only with a unix:// bind)")
    if int_value(port.get("targetPort")) is not None and port["targetPort"] > 0:
        yield ctx.finding(resource, path + ("targetPort",),
                          "targetPort has no effect on a Gateway server and Istio rejects it: the gateway "
                          "listens on port.number; remove targetPort")
    name = port.get("name")
    if name == "":
        yield ctx.finding(resource, path + ("name",), "port name must not be empty: Istio rejects the Gateway")
    elif isinstance(name, str):
        if name in seen_names:
            yield ctx.finding(resource, path + ("name",),
                              f"port name '{name}' is already used by spec.servers[{seen_names[name]}]: port "
                              "names must be unique within a Gateway",
                              related=[ctx.related(resource, ("spec", "servers", seen_names[name], "port", "name"),
                                                   "first use of the name")])
        else:
            seen_names[name] = server.index
    bind = server.data.get("bind")
    if isinstance(bind, str) and bind:
        if unix:
            problem = _unix_path_problem(bind[len(UNIX_PREFIX):])
            if problem:
                yield ctx.finding(resource, server.path + ("bind",), f"bind '{bind}': {problem}")
        elif not is_ip(bind):
            yield ctx.finding(resource, server.path + ("bind",),
                              f"bind '{bind}' must be an IP address or a unix:// socket path")


def _unix_path_problem(path: str) -> str | None:
    if not path:
        return "the unix socket path is empty"
    if path.startswith("@"):
        return None  # abstract socket
    if not path.startswith("/") or path.endswith("/"):
        return "the unix socket path must be an absolute path to a file"
    return None


# --------------------------------------------------------------------------- hosts


def host_problem(host: str) -> str | None:
    """Why Istio's validation rejects this Gateway server host (``[namespace/]dnsName``), or None."""
    ns, sep, dns = host.partition("/")
    if sep:
        if not ns or not dns:
            return "the namespace and host parts of 'namespace/host' must both be non-empty"
        if ns not in ("*", ".") and not (len(ns) <= 63 and DNS1123_LABEL.match(ns)):
            return f"namespace part '{ns}' must be '*', '.' or a namespace name"
    else:
        dns = host
    if dns != "*" and "." not in dns:
        return f"short name '{dns}' is not allowed in a Gateway: use a fully qualified name or '*'"
    if "*" in dns and dns != "*" and not dns.startswith("*."):
        return f"partial wildcard '{dns}': a Gateway host allows '*' only as the whole leftmost label"
    problem = _wildcard_domain_problem(dns)
    if problem and not is_ip(dns):
        return problem
    return None


def _wildcard_domain_problem(domain: str) -> str | None:
    if len(domain) > 255:
        return "the host is longer than 255 characters"
    first, _, rest = domain.partition(".")
    if not (len(first) <= 63 and WILDCARD_LABEL.match(first)):
        return f"label '{first}' of '{domain}' is not a valid DNS label"
    if not rest:
        return None
    labels = rest.split(".")
    if labels[-1].isdigit():
        return f"the top-level domain of '{domain}' cannot be all digits"
    for i, label in enumerate(labels):
        if i == len(labels) - 1 and label == "":
            return None  # a trailing dot is allowed
        if not (len(label) <= 63 and DNS1123_LABEL.match(label)):
            return f"label '{label}' of '{domain}' is not a valid DNS label"
    return None


def _check_hosts(resource, ctx, server: Server) -> Iterator:
    hosts = server.data.get("hosts")
    if not isinstance(hosts, list):
        return  # missing or mistyped: the schema reports it
    if not hosts:
        yield ctx.finding(resource, server.path + ("hosts",),
                          "a server needs at least one host (use '*' for every host)")
        return
    for j, host in enumerate(hosts):
        if isinstance(host, str):
            problem = host_problem(host)
            if problem:
                yield ctx.finding(resource, server.path + ("hosts", j), f"invalid host '{host}': {problem}")


# --------------------------------------------------------------------------- protocol vs tls


def _check_protocol_vs_tls(resource, ctx, server: Server) -> Iterator:
    protocol, tls = server.protocol, server.tls
    if protocol is None:
        return
    number = server.number
    if protocol in TLS_FAMILY and tls is None:
        yield ctx.finding(resource, server.path,
                          f"{protocol} server has no tls block: Istio rejects it. Add tls with mode SIMPLE and a "
                          "credentialName to terminate TLS, or mode PASSTHROUGH to route by SNI")
    elif protocol in HTTP_FAMILY and tls is not None:
        cert_fields = [f for f in ("serverCertificate", "privateKey", "caCertificates") if tls.get(f)]
        if server.mode not in PASSTHROUGH_MODES or cert_fields:
            what = f"tls.mode {server.mode}" if server.mode not in PASSTHROUGH_MODES else ", ".join(cert_fields)
            where = "mode" if server.mode not in PASSTHROUGH_MODES else cert_fields[0]
            yield ctx.finding(resource, server.path + ("tls", where),
                              f"a plain-text {protocol} server cannot have TLS settings ({what}): Istio rejects "
                              "it. Use protocol HTTPS to terminate TLS; on an HTTP port only "
                              "tls.httpsRedirect is meaningful")
    elif protocol not in HTTP_FAMILY and protocol not in TLS_FAMILY and tls is not None:
        yield ctx.finding(resource, server.path + ("tls",),
                          f"a {protocol} server cannot have TLS settings: Istio rejects it. Use protocol TLS "
                          "(SNI routing or TLS termination) or drop the tls block")
    if tls is not None and tls.get("httpsRedirect") is True and protocol not in HTTP_FAMILY:
        yield ctx.finding(resource, server.path + ("tls", "httpsRedirect"),
                          f"httpsRedirect has no effect on a {protocol} server: it only applies to plain HTTP "
                          "servers (redirecting them to HTTPS)", severity=WARNING)
    # Not rejected by Istio, but clients will not speak what the server expects.
    if number == 443 and protocol in HTTP_FAMILY and not (tls and tls.get("httpsRedirect") is True):
        yield ctx.finding(resource, server.path + ("port", "protocol"),
                          f"port 443 is declared {protocol}: clients connecting to 443 speak TLS, which a "
                          "plain-text listener cannot read. Use protocol HTTPS with a tls block",
                          severity=WARNING)
    elif number == 80 and protocol in TLS_FAMILY and server.mode not in ("ISTIO_MUTUAL", "AUTO_PASSTHROUGH"):
        # ISTIO_MUTUAL and AUTO_PASSTHROUGH serve sidecars, which are told to speak (m)TLS to this port
        # (e.g. an egress gateway originating TLS on 80); only outside clients expect plain HTTP on 80.
        yield ctx.finding(resource, server.path + ("port", "protocol"),
                          f"port 80 is declared {protocol}: clients connecting to 80 speak plain HTTP, which a "
                          "TLS listener rejects. Use protocol HTTP on port 80 and serve TLS on 443",
                          severity=WARNING)


# --------------------------------------------------------------------------- tls options


def _check_tls(resource, ctx, server: Server) -> Iterator:
    tls = server.tls or {}
    path = server.path + ("tls",)
    raw_mode = tls.get("mode")
    mode = server.mode
    if mode not in TLS_MODES:
        return  # an enum violation: the schema reports it
    yield from _check_ciphers(resource, ctx, tls, path)

    def has(field: str) -> bool:
        value = tls.get(field)
        return bool(value) and (isinstance(value, (str, list)))

    credential = has("credentialName") or has("credentialNames")
    if mode == "ISTIO_MUTUAL":
        for field in ("serverCertificate", "privateKey", "caCertificates", "tlsCertificates", "credentialName",
                      "credentialNames"):
            if has(field):
                yield ctx.finding(resource, path + (field,),
                                  f"ISTIO_MUTUAL uses the workload's Istio certificate: {field} is not allowed "
                                  "and Istio rejects it. Remove it, or use mode MUTUAL")
        return
    if mode in PASSTHROUGH_MODES:
        ignored = [f for f in ("credentialName", "credentialNames", "serverCertificate", "privateKey",
                               "caCertificates", "tlsCertificates", "caCrl") if has(f)]
        if ignored:
            first = path + (ignored[0],)
            names = ", ".join(ignored)
            if server.protocol in HTTP_FAMILY:
                if not any(f in ignored for f in ("serverCertificate", "privateKey", "caCertificates")):
                    yield ctx.finding(resource, first,
                                      f"{names} on a plain-text {server.protocol} server is ignored: nothing "
                                      "terminates TLS here. Move it to an HTTPS server", severity=WARNING)
            elif not isinstance(raw_mode, str) or not raw_mode:
                yield ctx.finding(resource, first,
                                  f"this tls block sets {names} but no mode, and the mode defaults to "
                                  "PASSTHROUGH: TLS is not terminated and the certificate is ignored. Add "
                                  "mode: SIMPLE (or MUTUAL) to terminate TLS here", severity=WARNING)
            else:
                yield ctx.finding(resource, first,
                                  f"{mode} does not terminate TLS: {names} is ignored. Use mode SIMPLE to "
                                  "terminate TLS with this certificate, or remove it", severity=WARNING)
    sources = []
    if has("serverCertificate") and has("privateKey"):
        sources.append("serverCertificate/privateKey")
    sources += [f for f in ("credentialName", "credentialNames", "tlsCertificates") if has(f)]
    if len(sources) > 1:
        yield ctx.finding(resource, path,
                          f"only one certificate source may be set, found {', '.join(sources)}: Istio rejects it")
    terminating = mode in ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL")
    mode_path = path + ("mode",)  # requirements of a mode are reported at the mode
    if terminating and credential:
        if has("caCrl"):
            # Validation lets this through (it stops at the credential), but the CRL of a credential
            # comes from the credential itself (key ca.crl); the caCrl file is not what gets used.
            yield ctx.finding(resource, path + ("caCrl",),
                              "caCrl is not used with a credentialName: put the CRL into the credential "
                              "(key ca.crl) instead", severity=WARNING)
        return
    if terminating:
        label = "SIMPLE" if mode == "SIMPLE" else mode
        if mode != "SIMPLE" and not has("caCertificates"):
            yield ctx.finding(resource, mode_path,
                              f"{label} TLS needs caCertificates (the CA that signs client certificates) when "
                              "no credentialName is set: Istio rejects it")
        certs = tls.get("tlsCertificates")
        if isinstance(certs, list) and certs:
            for k, cert in enumerate(certs):
                cert = cert if isinstance(cert, dict) else {}
                missing = [f for f in ("serverCertificate", "privateKey") if not cert.get(f)]
                if missing:
                    yield ctx.finding(resource, path + ("tlsCertificates", k),
                                      f"{label} TLS certificate is missing {' and '.join(missing)}: Istio rejects it")
        elif not has("serverCertificate") and not has("privateKey"):
            yield ctx.finding(resource, mode_path,
                              f"{label} TLS needs a certificate: set credentialName (a Secret with the key "
                              "and certificate) or serverCertificate and privateKey. Istio rejects it otherwise")
        else:
            missing = [f for f in ("serverCertificate", "privateKey") if not has(f)]
            if missing:
                yield ctx.finding(resource, mode_path,
                                  f"{label} TLS needs both serverCertificate and privateKey; "
                                  f"{' and '.join(missing)} is missing. Istio rejects it")
    if has("caCrl"):
        if credential:
            yield ctx.finding(resource, path + ("caCrl",),
                              "caCrl cannot be combined with a credentialName: Istio rejects it. Put the CRL "
                              "into the credential instead")
        elif mode == "SIMPLE":
            yield ctx.finding(resource, path + ("caCrl",),
                              "caCrl needs client certificates to check, which SIMPLE TLS never asks for: "
                              "Istio rejects it. Use MUTUAL or remove caCrl")


def _check_ciphers(resource, ctx, tls: dict, path: tuple) -> Iterator:
    suites = tls.get("cipherSuites")
    suites = [s for s in suites if isinstance(s, str)] if isinstance(suites, list) else []
    if tls.get("minProtocolVersion") in ("TLSV1_0", "TLSV1_1") and not suites:
        yield ctx.finding(resource, path + ("minProtocolVersion",),
                          f"minProtocolVersion {tls['minProtocolVersion']} without cipherSuites: the default "
                          "suites no longer include ciphers those TLS versions can use. List cipherSuites "
                          "explicitly", severity=WARNING)
    seen: set[str] = set()
    raw = tls.get("cipherSuites") if isinstance(tls.get("cipherSuites"), list) else []
    for k, suite in enumerate(raw):
        if not isinstance(suite, str):
            continue
        if not _valid_cipher(suite):
            yield ctx.finding(resource, path + ("cipherSuites", k),
                              f"unknown cipher suite '{suite}' is ignored (use OpenSSL names such as "
                              "ECDHE-RSA-AES128-GCM-SHA256)", severity=WARNING)
        elif suite in seen:
            yield ctx.finding(resource, path + ("cipherSuites", k),
                              f"cipher suite '{suite}' is listed twice; the repeat is ignored", severity=WARNING)
        seen.add(suite)


def _valid_cipher(suite: str) -> bool:
    # Istio lets through "", "ALL" and expressions starting with an operator (e.g. "-AES128-SHA").
    if suite in ("", "ALL") or not suite[0].isalnum():
        return True
    return suite in VALID_CIPHER_SUITES

