"""How much one finding says about the other places involved (a helper module: it declares no CODE).

A finding names at most ``MAX_NAMED`` other resources (or ports, patches...) per list of its message,
then says how many more there are, and points at most ``MAX_RELATED`` of them in ``related``: a
thousand VirtualServices claiming one host make a thousand short findings, not a million lines, and a
resource with a thousand bad ports makes one finding of a few lines.
"""

from __future__ import annotations

from typing import Any, Iterable

MAX_NAMED = 5  # other resources (or items) named in one list of a message before "and N more"
MAX_RELATED = 5  # related locations per finding: the first ones, in the order the message names them


def capped(related: Iterable[Any], limit: int = MAX_RELATED) -> list:
    """The first ``limit`` related locations (a finding points at a few, its message counts the rest)."""
    out = []
    for item in related:
        if len(out) == limit:
            break
        out.append(item)
    return out


def joined(items: list[str], more: int, sep: str = ", ") -> str:
    """``a, b, c`` then ``and N more`` when ``more`` others were left out."""
    return sep.join(items) + (f"{sep}and {more} more" if more > 0 else "")


def first_few(items: list[str], limit: int = MAX_NAMED, sep: str = ", ") -> str:
    """``a, b, c, d, e, and N more``: the first ``limit`` items, then how many were left out."""
    return joined(items[:limit], len(items) - limit, sep)
