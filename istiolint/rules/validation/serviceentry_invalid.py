"""IL106 serviceentry-invalid: what Istio's admission webhook rejects in a ServiceEntry.

Beyond the schema and the CRD's CEL rules (wildcard host, duplicate port numbers, port ranges, NONE
with endpoints, CIDRs outside NONE/STATIC, selector and endpoints together, unix sockets): host and
address forms, port names and protocols, endpoints as the resolution needs them, several hosts on
plain TCP ports, exportTo.
"""

from __future__ import annotations

from typing import Iterator

from ...hosts import is_ip
from ...protocols import HTTP_FAMILY, parse_protocol
from ..gateway.servers import TLS_FAMILY
from .common import (
    Report,
    as_dict,
    as_list,
    as_str,
    check_export_to,
    check_labels,
    fqdn_problem,
    ip_subnet_problem,
    is_dns_label,
    is_istio,
    partial_wildcard,
    wildcard_domain_problem,
)

CODE = "IL106"
KINDS = ("ServiceEntry",)

UNIX_PREFIX = "unix://"


def check(resource, ctx) -> Iterator:
    if not is_istio(resource, "ServiceEntry"):
        return
    spec = resource.get(("spec",))
    if not isinstance(spec, dict):
        return
    report = Report(ctx, resource)
    hosts = as_list(spec.get("hosts"))
    resolution = spec.get("resolution") if isinstance(spec.get("resolution"), str) else "NONE"
    dns_without_endpoints = resolution in ("DNS", "DNS_ROUND_ROBIN") and not as_list(spec.get("endpoints"))
    for i, host in enumerate(hosts):
        if not isinstance(host, str) or host == "*":
            continue  # "*" is the CRD's CEL rule
        problem = wildcard_domain_problem(host)
        if problem:
            yield report.error(("spec", "hosts", i), f"invalid host '{host}': {problem}; Istio rejects it")
        elif dns_without_endpoints and fqdn_problem(host):
            yield report.error(("spec", "hosts", i), f"host '{host}' is resolved by DNS ({resolution} without "
                                                     "endpoints), so it must be a DNS name without wildcards; "
                                                     "Istio rejects it. Add endpoints or use resolution NONE")
        elif partial_wildcard(host):
            yield report.warning(("spec", "hosts", i), f"partial wildcard '{host}': Istio accepts only '*.' as a "
                                                       "whole first label here; use '*.domain'")
    for i, address in enumerate(as_list(spec.get("addresses"))):
        if isinstance(address, str):
            problem = ip_subnet_problem(address)
            if problem:
                yield report.error(("spec", "addresses", i), f"{problem}; Istio rejects it. addresses are the "
                                                             "virtual IPs or CIDR blocks of the service")
    port_names: dict[str, int] = {}
    ports = [p if isinstance(p, dict) else {} for p in as_list(spec.get("ports"))]
    for k, port in enumerate(ports):
        path = ("spec", "ports", k)
        name = port.get("name")
        if isinstance(name, str):
            if name in port_names:
                yield report.error(path + ("name",), f"port name '{name}' is already used; Istio rejects it. Port "
                                                     "names must be unique",
                                   related=[report.related(("spec", "ports", port_names[name], "name"), "first use")])
            else:
                port_names[name] = k
            if not is_dns_label(name):
                yield report.error(path + ("name",), f"port name '{name}' is not a DNS label (letters, digits and "
                                                     "'-'); Istio rejects it")
        protocol = port.get("protocol")
        if isinstance(protocol, str) and protocol and parse_protocol(protocol) is None:
            yield report.error(path + ("protocol",), f"unknown protocol '{protocol}'; Istio rejects it. Use HTTP, "
                                                     "HTTPS, HTTP2, GRPC, TLS, TCP, MONGO, MYSQL, REDIS or UDP")
    if resolution == "NONE" and spec.get("workloadSelector") is not None:
        yield report.warning(("spec", "workloadSelector"), "a workloadSelector has no effect with resolution NONE "
                                                           "(the original destination address is used)", key=True)
    endpoints = as_list(spec.get("endpoints"))
    if resolution == "STATIC":
        for i, endpoint in enumerate(endpoints):
            if isinstance(endpoint, dict):
                yield from _static_endpoint(report, endpoint, ("spec", "endpoints", i), port_names)
    elif resolution in ("DNS", "DNS_ROUND_ROBIN"):
        for i, endpoint in enumerate(endpoints):
            if isinstance(endpoint, dict):
                yield from _dns_endpoint(report, endpoint, ("spec", "endpoints", i), port_names)
        if spec.get("addresses") and len(hosts) > 1 and any(
                (parse_protocol(p.get("protocol")) or "").upper() in ("TCP", "HTTPS", "TLS", "MONGO", "REDIS", "MYSQL")
                for p in ports):
            yield report.warning(("spec", "hosts"), "several hosts share addresses and a TCP port: nothing in plain "
                                                    "TCP tells them apart. Use one host per ServiceEntry", key=True)
    if resolution != "NONE" and len(hosts) > 1:
        for k, port in enumerate(ports):
            protocol = parse_protocol(port.get("protocol"))
            if protocol not in HTTP_FAMILY and protocol not in TLS_FAMILY:
                shown = port.get("protocol") or "no protocol"
                yield report.error(("spec", "ports", k), f"several hosts with resolution {resolution} need HTTP or "
                                                         f"TLS ports to tell them apart, and this port has {shown}; "
                                                         "Istio rejects it. Use one ServiceEntry per host, or "
                                                         "resolution NONE")
                break
    yield from check_export_to(report, spec, resource.namespace, service_entry=True)


def _endpoint_ports(report: Report, endpoint: dict, path: tuple, port_names: dict) -> Iterator:
    for name in as_dict(endpoint.get("ports")):
        if isinstance(name, str) and name not in port_names:
            yield report.error(path + ("ports", name), f"endpoint port '{name}' is not one of the ServiceEntry's port "
                                                       "names; Istio rejects it", key=True)
    yield from check_labels(report, endpoint.get("labels"), path + ("labels",))


def _static_endpoint(report: Report, endpoint: dict, path: tuple, port_names: dict) -> Iterator:
    address = as_str(endpoint.get("address")) or ""
    if not address:
        if endpoint.get("network"):
            yield report.warning(path, f"endpoint has no address, only network '{endpoint.get('network')}': it is "
                                       "reached through that network's gateway")
    elif address.startswith(UNIX_PREFIX):
        if len(port_names) != 1:
            yield report.error(path + ("address",), "a unix socket endpoint needs exactly one service port; Istio "
                                                    "rejects it")
    elif not is_ip(address):
        yield report.error(path + ("address",), f"endpoint address '{address}' is not an IP address, which "
                                                "resolution STATIC needs; Istio rejects it. Use resolution DNS for "
                                                "host names")
    yield from _endpoint_ports(report, endpoint, path, port_names)


def _dns_endpoint(report: Report, endpoint: dict, path: tuple, port_names: dict) -> Iterator:
    address = endpoint.get("address")
    if address == "" or (address is None and endpoint.get("network")):
        # Only a network: fine for STATIC, but a DNS endpoint needs something to resolve.
        yield report.error(path, "an endpoint of a DNS ServiceEntry needs an address (a DNS name or an IP address); "
                                 "Istio rejects it")
    elif isinstance(address, str) and not is_ip(address) and fqdn_problem(address):
        yield report.error(path + ("address",), f"endpoint address '{address}' is not a DNS name or an IP address; "
                                                "Istio rejects it")
    yield from _endpoint_ports(report, endpoint, path, port_names)
