"""IL001 yaml-syntax: the file cannot be read as YAML (or is not text at all)."""

CODE = "IL001"
KINDS = ()

# Loader problem kinds this rule reports; duplicate keys have their own rule.
_KINDS = frozenset(("syntax", "tag", "limit", "binary"))


def check_file(source, ctx):
    for problem in source.problems:
        if problem.kind in _KINDS:
            yield ctx.at(source, problem.line, problem.column, problem.message)
