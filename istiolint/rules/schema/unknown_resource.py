"""IL101 unknown-resource: an Istio API group with a kind or version that Istio does not serve."""

from ...schema import SchemaStore

CODE = "IL101"
KINDS = ("*",)


def check(resource, ctx):
    if not resource.api_version or ".istio.io" not in resource.api_version:
        return
    result = ctx.service("schemas", SchemaStore).lookup(resource.api_version, resource.kind)
    if result.ok or not result.applicable:
        return
    # Point at the part that is wrong: the kind when the group/version serves other kinds.
    field = "kind" if result.status == "unknown-kind" else "apiVersion"
    message = result.message + "; the API server rejects it (no such resource type)"
    if result.suggestion:
        message += f"; {result.suggestion}"
    yield ctx.finding(resource, (field,), message)
