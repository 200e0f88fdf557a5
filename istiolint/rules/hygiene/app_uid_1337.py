"""app-uid-1337 (IL530): an application pod or container runs as UID 1337, the sidecar proxy's UID.

Istio's traffic capture (iptables or the CNI plugin) lets every connection from UID 1337 through
unintercepted, because that is how the proxy's own traffic avoids looping back into itself. An
application running as 1337 therefore bypasses the sidecar: no mTLS, no policy, no telemetry, and
inbound rules can be skipped. Checked on the pod security context and on every container except
Istio's own (``istio-proxy``, ``istio-operator``); Pods and the pod templates of controllers. Istio's
control plane (label ``istio`` or ``release: istio``) is skipped, as Istio does. One finding per
workload, at its first such setting.
"""

from __future__ import annotations

from typing import Iterator

from ...workloads import WORKLOAD_KINDS, workload_of
from ..bounds import capped
from .common import ISTIO_CONTAINERS, as_dict, as_list, int_value, is_control_plane

CODE = "IL530"
KINDS = WORKLOAD_KINDS
PROXY_UID = 1337


def check(resource, ctx) -> Iterator:
    workload = workload_of(resource)
    if workload is None or is_control_plane(resource.labels):
        return
    spec, base = workload.pod_spec, workload.template_path + ("spec",)
    found = []
    if int_value(as_dict(spec.get("securityContext")).get("runAsUser")) == PROXY_UID:
        found.append((base + ("securityContext", "runAsUser"), "the pod's securityContext"))
    for i, container in enumerate(as_list(spec.get("containers"))):
        container = as_dict(container)
        if container.get("name") in ISTIO_CONTAINERS:
            continue
        if int_value(as_dict(container.get("securityContext")).get("runAsUser")) == PROXY_UID:
            found.append((base + ("containers", i, "securityContext", "runAsUser"),
                          f"container '{container.get('name')}'"))
    if not found:
        return
    (path, what), rest = found[0], found[1:]
    yield ctx.finding(
        resource, path,
        f"{what} runs as UID 1337, the UID reserved for Istio's sidecar proxy: traffic from that UID is not "
        f"captured, so the application bypasses the proxy (no mTLS, policy or telemetry). Use another UID",
        related=capped(ctx.related(resource, p, f"{w} also runs as UID 1337") for p, w in rest))
