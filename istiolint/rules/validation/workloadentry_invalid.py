"""IL112 workloadentry-invalid: what Istio's admission webhook rejects in a WorkloadEntry.

Beyond the schema and its CEL rules (address or network, unix sockets, port names and numbers): the
address must be an IP address or a DNS name, and labels must be valid label keys and values. An
endpoint with only a network (reached through that network's gateway) is a warning.
"""

from __future__ import annotations

from typing import Iterator

from ...hosts import is_ip
from .common import Report, check_labels, fqdn_problem, is_istio

CODE = "IL112"
KINDS = ("WorkloadEntry",)

UNIX_PREFIX = "unix://"


def check(resource, ctx) -> Iterator:
    if not is_istio(resource, "WorkloadEntry"):
        return
    spec = resource.get(("spec",))
    if not isinstance(spec, dict):
        return
    report = Report(ctx, resource)
    address = spec.get("address")
    if address in (None, "") and spec.get("network"):
        yield report.warning(("spec",), f"the WorkloadEntry has no address, only network '{spec.get('network')}': it "
                                        "is reached through that network's gateway", key=True)
    elif isinstance(address, str) and address and not address.startswith(UNIX_PREFIX) and not is_ip(address):
        problem = fqdn_problem(address)
        if problem:
            yield report.error(("spec", "address"), f"address '{address}' is not an IP address or a DNS name: "
                                                    f"{problem}; Istio rejects it")
    yield from check_labels(report, spec.get("labels"), ("spec", "labels"))
