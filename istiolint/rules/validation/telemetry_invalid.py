"""IL111 telemetry-invalid: what Istio's admission webhook rejects (or warns about) in a Telemetry.

Beyond the schema and its CEL rules (tag override values, one of selector/targetRefs): custom tags
need a name. Warnings for what is accepted but dropped or ignored: several tracing entries or
providers, custom tags and tag overrides without a value (the API server prunes the null), tag
overrides without a name.
"""

from __future__ import annotations

from typing import Iterator

from .common import Report, as_dict, as_list, is_istio

CODE = "IL111"
KINDS = ("Telemetry",)


def check(resource, ctx) -> Iterator:
    if not is_istio(resource, "Telemetry"):
        return
    spec = resource.get(("spec",))
    if not isinstance(spec, dict):
        return
    report = Report(ctx, resource)
    tracing = as_list(spec.get("tracing"))
    if len(tracing) > 1:
        yield report.warning(("spec", "tracing", 1), "only one tracing configuration is supported; the later ones are "
                                                     "ignored. Merge them")
    for i, entry in enumerate(tracing):
        entry = as_dict(entry)
        path = ("spec", "tracing", i)
        providers = as_list(entry.get("providers"))
        if len(providers) > 1:
            yield report.warning(path + ("providers", 1), "only one tracing provider is supported; the others are "
                                                          "ignored")
        for name, tag in as_dict(entry.get("customTags")).items():
            where = path + ("customTags", name)
            if name == "":
                yield report.error(where, "a custom tag needs a name; Istio rejects an empty one", key=True)
            if tag is None:
                # A null map value is pruned by the API server: the tag silently disappears.
                yield report.warning(where, f"custom tag '{name}' has no value (literal, header, environment or "
                                            "formatter): the API server drops it, so no tag is added", key=True)
    for i, entry in enumerate(as_list(spec.get("metrics"))):
        entry = as_dict(entry)
        path = ("spec", "metrics", i)
        for j, override in enumerate(as_list(entry.get("overrides"))):
            where = path + ("overrides", j)
            for name, tag in as_dict(as_dict(override).get("tagOverrides")).items():
                if name == "":
                    yield report.warning(where + ("tagOverrides", name), "a tag override without a tag name does "
                                                                         "nothing", key=True)
                if tag is None:
                    yield report.warning(where + ("tagOverrides", name), f"tag override '{name}' has no operation: the "
                                                                         "API server drops it. Give it UPSERT with a "
                                                                         "value, or REMOVE", key=True)
