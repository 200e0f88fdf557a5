"""IL005 unrendered-template: a value still holds Helm template code (``{{ .Values.name }}``).

A chart's ``templates/`` file linted as it is, or a value quoted so that the template survived
parsing. Only Helm's own vocabulary counts (``.Values``, ``.Release``, ``include``, ``toYaml``, …):
``{{ $labels.instance }}`` in a Prometheus rule or ``{{args.x}}`` in an Argo template is data for another
tool. Multi-line strings (scripts, embedded configuration, the sidecar injection template) and the data
of ConfigMaps and Secrets are left alone for the same reason.
"""

from __future__ import annotations

import re

CODE = "IL005"
KINDS = ("*",)

HELM_ACTION = re.compile(
    r"\{\{-?\s*(?:\.(?:Values|Release|Chart|Capabilities|Files|Template)\b"
    r"|(?:include|template|tpl|toYaml|toJson|required|lookup)\s)"
)
# Data that is not configuration of the object itself.
_OPAQUE = {"ConfigMap": ("data", "binaryData"), "Secret": ("data", "stringData")}
MAX_PER_RESOURCE = 20


def _looks_templated(text: str) -> bool:
    return "{{" in text and "\n" not in text and HELM_ACTION.search(text) is not None


def check(resource, ctx):
    if not _may_hold_braces(resource.source, ctx):
        return
    opaque = _OPAQUE.get(resource.kind or "", ())
    found = 0
    stack = [((), resource.data)]
    while stack and found < MAX_PER_RESOURCE:
        path, node = stack.pop()
        if isinstance(node, dict):
            items = [(k, v) for k, v in node.items() if not (path == () and k in opaque)]
            for key, value in reversed(items):
                if isinstance(key, str) and _looks_templated(key):
                    found += 1
                    yield ctx.finding(resource, path + (key,), _message(key), key=True)
                stack.append((path + (key,), value))
        elif isinstance(node, list):
            stack.extend((path + (i,), item) for i, item in reversed(list(enumerate(node))))
        elif isinstance(node, str) and _looks_templated(node):
            found += 1
            yield ctx.finding(resource, path, _message(node))


# How a double-quoted YAML (or JSON) string spells "{" without writing it.
_ESCAPED_BRACE = re.compile(r"\\(?:x7[bB]|u007[bB]|U0000007[bB])")


def _may_hold_braces(source, ctx) -> bool:
    """Can any string of this file contain "{{"? Not when its text has no "{{" and no escaped brace
    (folding joins lines with a space, never two braces). Decided once per file: most files are then
    not walked at all."""
    seen = ctx.index.memo("unrendered-template:files", lambda _index: {})
    key = id(source)
    if key not in seen:
        seen[key] = "{{" in source.text or _ESCAPED_BRACE.search(source.text) is not None
    return seen[key]


def _message(text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "…"
    return (f"{shown!r} looks like an unrendered Helm template; kubectl would apply the braces literally: "
            "lint the output of `helm template` instead")
