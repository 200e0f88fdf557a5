"""A rule with a bug, for the internal-error tests: it fails on resources named "boom"."""

KINDS = ("*",)


def check(resource, ctx):
    if resource.name == "boom":
        raise RuntimeError("boom")
    yield ctx.finding(resource, ("spec", "htp"), "a finding of the rule on the resources it can read")
