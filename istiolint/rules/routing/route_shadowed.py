"""IL301 route-shadowed: an ``http`` or ``tcp`` route of a VirtualService that can never be used,
because every one of its match entries is covered by an earlier entry (see ``ordered``)."""

from __future__ import annotations

from ..bounds import MAX_RELATED
from .ordered import HTTP, TCP, listing, why, with_dead_entries

CODE = "IL301"
KINDS = ("VirtualService",)

_FIRST_WINS = {
    HTTP: "Istio takes the first rule, top to bottom, with a match entry that applies to the request",
    TCP: "Istio uses the first TCP route, top to bottom, that matches the connection",
}


def check(resource, ctx):
    for kind in (HTTP, TCP):
        result = with_dead_entries(resource, kind, ctx.index)
        if result is None:
            continue
        for rule in result.shadowed_rules():
            coverers = [result.covering(e) for e in rule.entries]
            # The covering rules, each once, in order.
            rules = sorted({c.rule for c in coverers})
            rule_labels = [result.rule(i).label(kind) for i in rules]
            traffic = "request" if kind == HTTP else "connection"
            labels = [c.label(result.rule(c.rule).raw) for c in coverers]
            hints = [why(c, e) for e, c in zip(rule.entries, coverers)]
            if rule.entries[0].implicit or len(rule.entries) == 1:
                verb = "already goes to" if rule.entries[0].implicit else "it matches also matches"
                start = "it has no `match`, but every" if rule.entries[0].implicit else "every"
                reason = f"{start} {traffic} {verb} {labels[0]}, which comes first" + \
                    (f" ({hints[0]})" if hints[0] else "")
            else:
                pairs = "; ".join(f"match[{e.index}] by {text}" + (f": {hint}" if hint else "")
                                  for e, text, hint in zip(rule.entries, labels, hints))
                reason = f"each of its match entries is covered by an earlier one ({pairs})"
            if rule.entries[0].implicit:
                advice = "Remove it, or narrow the earlier match so that this default route gets the rest"
            else:
                advice = f"Move it above {listing(rule_labels)} or narrow the earlier match"
            message = f"{rule.label(kind)} can never be used: {reason}, and {_FIRST_WINS[kind]}. {advice}"
            related = []
            seen = set()
            for cover in coverers:
                if cover.path in seen:
                    continue
                seen.add(cover.path)
                related.append(ctx.related(
                    resource, cover.path,
                    f"{cover.label(result.rule(cover.rule).raw)} takes these "
                    f"{'requests' if kind == HTTP else 'connections'} first"))
            yield ctx.finding(resource, ("spec", kind, rule.index), message, related=related[:MAX_RELATED])
