"""IL002 duplicate-key: a mapping names the same key twice."""

from ...model import resources_of
from ...paths import format_path

CODE = "IL002"
KINDS = ()


def check_file(source, ctx):
    problems = [p for p in source.problems if p.kind == "duplicate-key"]
    if not problems:
        return
    # Name the object and field path the key belongs to (a List item is its own object).
    owners = [(doc.index, base, r) for r, doc, base in resources_of(source, ctx.settings.default_namespace) if r]
    for problem in problems:
        resource, relative = None, problem.path
        for index, base, candidate in owners:
            if index == problem.document and problem.path[: len(base)] == base:
                resource, relative = candidate, problem.path[len(base):]
        yield ctx.at(source, problem.line, problem.column, problem.message,
                     resource.ref if resource else None, format_path(relative))
