"""telemetry-lightstep-provider (IL121): a Telemetry traces to a Lightstep provider, which is deprecated.

The mesh config's ``extensionProviders`` entries of type ``lightstep`` are deprecated (Lightstep accepts
OpenTelemetry; use an ``opentelemetry`` provider). Known only when the input holds the mesh config
(ConfigMap ``istio``, key ``mesh``); silent otherwise.
"""

from __future__ import annotations

from typing import Iterator

from ...meshconfig import extension_providers
from .common import as_dict, as_list

CODE = "IL121"
KINDS = ("Telemetry",)


def check(resource, ctx) -> Iterator:
    lightstep = {name for name, provider in extension_providers(ctx.index).items() if "lightstep" in provider}
    if not lightstep:
        return
    for i, tracing in enumerate(as_list(resource.spec.get("tracing"))):
        for j, provider in enumerate(as_list(as_dict(tracing).get("providers"))):
            name = as_dict(provider).get("name")
            if name in lightstep:
                yield ctx.finding(
                    resource, ("spec", "tracing", i, "providers", j, "name"),
                    f"tracing provider '{name}' is a Lightstep provider of the mesh config, which is "
                    f"deprecated: define an opentelemetry provider pointing at Lightstep's OTLP endpoint and "
                    f"use that instead")
