"""IL302 match-redundant: a match entry of an ``http`` or ``tcp`` route that can never be used because
an earlier entry covers it, while its route stays reachable through another entry (when every entry
of a route is covered, route-shadowed reports the route instead)."""

from __future__ import annotations

from .ordered import HTTP, TCP, why, with_dead_entries

CODE = "IL302"
KINDS = ("VirtualService",)


def check(resource, ctx):
    for kind in (HTTP, TCP):
        result = with_dead_entries(resource, kind, ctx.index)
        if result is None:
            continue
        for entry, cover in result.redundant_entries():
            traffic = "request" if kind == HTTP else "connection"
            hint = why(cover, entry)
            hint = f"; {hint}" if hint else ""
            if cover.rule == entry.rule:
                message = (
                    f"{entry.label(result.rule(entry.rule).raw)} is never used: every {traffic} it matches "
                    f"is already matched by match[{cover.index}] of the same route{hint}. It has no effect; "
                    "remove it, or change it if it was meant to match something else"
                )
            else:
                first = "rule" if kind == HTTP else "route"
                message = (
                    f"{entry.label(result.rule(entry.rule).raw)} is never used: every {traffic} it matches "
                    f"also matches {cover.label(result.rule(cover.rule).raw)}{hint}, and the first {first} "
                    "that matches wins. Move this route above the earlier one, narrow the earlier match, or "
                    "remove this entry"
                )
            related = [ctx.related(resource, cover.path,
                                   f"{cover.label(result.rule(cover.rule).raw)} matches these {traffic}s first")]
            yield ctx.finding(resource, entry.path, message, related=related)
