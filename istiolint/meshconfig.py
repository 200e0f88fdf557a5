"""Istio's installation settings, when the input carries them: the mesh config and the injector values.

A cluster keeps them in ConfigMaps that ``istioctl analyze`` reads: the mesh config in ConfigMap
``istio`` (key ``mesh``, a YAML document; ``istio-<revision>`` for a revision), the sidecar injector's
Helm values in ConfigMap ``istio-sidecar-injector`` (key ``values``, JSON; ``istio-sidecar-injector-
<revision>``). Rules use them only to stay silent where the installation changes the answer; when the
input has no such ConfigMap, Istio's defaults apply.

Everything is read defensively and memoised per run.
"""

from __future__ import annotations

import json
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .model import Index

MESH_CONFIGMAP = "istio"
INJECTOR_CONFIGMAP = "istio-sidecar-injector"
# Proxy settings with which the proxies (or istiod) give ServiceEntries addresses themselves.
AUTO_ALLOCATE = ("ISTIO_META_DNS_AUTO_ALLOCATE", "PILOT_ENABLE_IP_AUTOALLOCATE")


def _configmap_data(index: Index, name: str, key: str) -> list[str]:
    """The ``data[key]`` strings of every ConfigMap called ``name`` in the input."""
    found = []
    for resource in index.of_kind("ConfigMap"):
        data = resource.data.get("data")
        if resource.name == name and isinstance(data, dict) and isinstance(data.get(key), str):
            found.append(data[key])
    return found


def _parse_yaml(text: str) -> Any:
    try:
        return YAML(typ="safe", pure=True).load(text)
    except (YAMLError, ValueError, TypeError):  # a broken mesh config is another tool's business
        return None


def mesh_configs(index: Index) -> list[dict]:
    """The mesh configs the input holds (ConfigMap ``istio``, key ``mesh``), parsed; usually none or one."""
    def build(ix: Index) -> list[dict]:
        out = []
        for text in _configmap_data(ix, MESH_CONFIGMAP, "mesh"):
            parsed = _parse_yaml(text)
            if isinstance(parsed, dict):
                out.append(parsed)
        return out

    return index.memo("meshconfig.mesh", build)


def proxy_metadata(mesh: dict) -> dict:
    """``defaultConfig.proxyMetadata`` of a mesh config (environment of every proxy), ``{}`` when unset."""
    default = mesh.get("defaultConfig")
    metadata = default.get("proxyMetadata") if isinstance(default, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def dns_auto_allocation(index: Index) -> bool:
    """Do the proxies allocate addresses to ServiceEntries themselves (DNS capture with auto-allocation)?

    Istio's analyzer treats ServiceEntries as addressed when a mesh config enables DNS capture
    (``ISTIO_META_DNS_CAPTURE: "true"``) together with ``ISTIO_META_DNS_AUTO_ALLOCATE`` or
    ``PILOT_ENABLE_IP_AUTOALLOCATE`` (``"true"``) in ``defaultConfig.proxyMetadata``.
    """
    for mesh in mesh_configs(index):
        metadata = proxy_metadata(mesh)
        if str(metadata.get("ISTIO_META_DNS_CAPTURE")) != "true":
            continue
        if any(str(metadata.get(k)) == "true" for k in AUTO_ALLOCATE):
            return True
    return False


def extension_providers(index: Index) -> dict[str, dict]:
    """``extensionProviders`` of the input's mesh configs, by name."""
    out: dict[str, dict] = {}
    for mesh in mesh_configs(index):
        providers = mesh.get("extensionProviders")
        for provider in providers if isinstance(providers, list) else ():
            if isinstance(provider, dict) and isinstance(provider.get("name"), str):
                out.setdefault(provider["name"], provider)
    return out


def injector_values(index: Index, revision: str | None = None) -> list[dict]:
    """Helm values of the sidecar injector for ``revision`` (ConfigMap ``istio-sidecar-injector[-rev]``)."""
    name = INJECTOR_CONFIGMAP if revision in (None, "", "default") else f"{INJECTOR_CONFIGMAP}-{revision}"

    def build(ix: Index) -> list[dict]:
        out = []
        for text in _configmap_data(ix, name, "values"):
            try:
                parsed = json.loads(text)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                out.append(parsed)
        return out

    return index.memo(f"meshconfig.injector.{name}", build)


def namespaces_injected_by_default(index: Index, revision: str | None = None) -> bool:
    """Was Istio installed with ``sidecarInjectorWebhook.enableNamespacesByDefault: true``? Then a
    namespace without injection labels is injected, not left out."""
    for values in injector_values(index, revision):
        webhook = values.get("sidecarInjectorWebhook")
        if isinstance(webhook, dict) and webhook.get("enableNamespacesByDefault") is True:
            return True
    return False
