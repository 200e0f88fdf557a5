"""Which rules run and at what severity: ``select``/``ignore`` by code, name or code prefix (like ruff)."""

from __future__ import annotations


from .catalog import Catalog, RuleEntry
from .finding import Severity
from .record import field, record


class SelectionError(ValueError):
    pass


@record
class Selection:
    selected: list[RuleEntry]
    severities: dict[str, Severity] = field(default_factory=dict)  # rule code → configured severity
    named: frozenset[str] = frozenset()  # codes a select list named explicitly (not the default "all")
    ignored: frozenset[str] = frozenset()  # codes an ignore list removed

    def severity_of(self, entry: RuleEntry) -> Severity:
        return self.severities.get(entry.code, entry.severity)

    @property
    def codes(self) -> set[str]:
        return {e.code for e in self.selected}

    @classmethod
    def build(cls, catalog: Catalog, select: list[str], ignore: list[str],
              severities: dict[str, str] | None = None, config_select: list[str] | None = None,
              config_ignore: list[str] = ()) -> "Selection":
        """Layered like ruff: the configuration's select/ignore first, then the command line's; a
        command-line ``--select`` starts afresh (it overrides the file), ``--ignore`` removes more."""
        def resolve(items: list[str], what: str) -> set[str]:
            codes: set[str] = set()
            for item in items:
                for part in str(item).split(","):
                    part = part.strip()
                    if not part:
                        continue
                    found = catalog.matching(part)
                    if not found:
                        hint = catalog.suggest(part)
                        raise SelectionError(
                            f"unknown rule {part!r} in {what}" + (f"; did you mean {hint!r}?" if hint else "")
                        )
                    codes.update(e.code for e in found)
            return codes

        named: set[str] = set()
        if config_select is not None:
            named = resolve(config_select, "select")
            chosen = set(named)
        else:
            chosen = {e.code for e in catalog.entries}
        ignored = resolve(list(config_ignore), "ignore")
        chosen = chosen - ignored
        if select:
            named = resolve(select, "--select")
            chosen = set(named)
            ignored = set()
        cli_ignored = resolve(ignore, "--ignore")
        chosen -= cli_ignored
        ignored |= cli_ignored
        levels: dict[str, Severity] = {}
        for rule, level in (severities or {}).items():
            for code in resolve([rule], "severity"):
                try:
                    levels[code] = Severity.parse(level)
                except ValueError as err:
                    raise SelectionError(str(err)) from None
        return cls([e for e in catalog.entries if e.code in chosen], levels, frozenset(named), frozenset(ignored))
