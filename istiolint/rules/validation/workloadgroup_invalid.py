"""IL113 workloadgroup-invalid: what Istio's admission webhook rejects in a WorkloadGroup.

Beyond the schema and its CEL rules (probe ports and scheme): the labels of the group's metadata, a
probe with no check, and probe header names (letters, digits and '-' only).
"""

from __future__ import annotations

import re
from typing import Iterator

from .common import Report, as_dict, as_list, check_labels, is_istio

CODE = "IL113"
KINDS = ("WorkloadGroup",)

PROBE_METHODS = ("httpGet", "tcpSocket", "exec", "grpc")
_SCHEMA_HEADER = re.compile(r"[-_A-Za-z0-9]+")


def check(resource, ctx) -> Iterator:
    if not is_istio(resource, "WorkloadGroup"):
        return
    spec = resource.get(("spec",))
    if not isinstance(spec, dict):
        return
    report = Report(ctx, resource)
    yield from check_labels(report, as_dict(spec.get("metadata")).get("labels"), ("spec", "metadata", "labels"))
    probe = spec.get("probe")
    if not isinstance(probe, dict):
        return
    if not any(probe.get(m) is not None for m in PROBE_METHODS):
        yield report.error(("spec", "probe"), "the probe needs a check: httpGet, tcpSocket, exec or grpc; Istio "
                                              "rejects it", key=True)
    for k, header in enumerate(as_list(as_dict(probe.get("httpGet")).get("httpHeaders"))):
        name = as_dict(header).get("name")
        # Other characters break the CRD's own pattern (schema-violation); '_' passes it but not Istio.
        if isinstance(name, str) and "_" in name and _SCHEMA_HEADER.fullmatch(name):
            yield report.error(("spec", "probe", "httpGet", "httpHeaders", k, "name"),
                               f"probe header '{name}' may contain only letters, digits and '-' (as in Kubernetes "
                               f"probes); Istio rejects '_'. Write '{name.replace('_', '-')}'")
