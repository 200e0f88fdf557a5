"""``--format text``: grouped by file, ``file:line:col``, a source excerpt, a summary line.

Coloured through rich on a terminal; plain (and rich is not even imported) in a pipe or with NO_COLOR.
"""

from __future__ import annotations

from itertools import groupby
from typing import IO

from ..finding import Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_lines(report, quiet: bool = False) -> list[tuple[str, str]]:
    """The report as (style, text) lines; style is a rich style name or ""."""
    out: list[tuple[str, str]] = []
    for file, group in groupby(report.findings, key=lambda f: f.file):
        findings = list(group)
        out.append(("bold underline", file))
        lines = report.sources.get(file, [])
        for f in findings:
            where = f"{f.file}:{f.line}:{f.column}"
            resource = f"  [{f.resource}]" if f.resource and f.resource.kind else ""
            out.append((_STYLE[f.severity], f"{where}: {f.severity.label} {f.code} {f.name}: {f.message}{resource}"))
            if 0 < f.line <= len(lines):
                source = lines[f.line - 1].expandtabs(1)
                if len(source) > 200:
                    source = source[:200] + "…"
                gutter = f"{f.line:>5} | "
                out.append(("dim", gutter + source))
                caret_at = min(max(f.column - 1, 0), len(source))
                out.append(("bold", " " * (len(gutter) - 2) + "| " + " " * caret_at + "^"))
            if f.path:
                out.append(("dim", f"      at {f.path}"))
            for r in f.related:
                out.append(("dim", f"      note: {r.file}:{r.line}:{r.column}: {r.message}"))
        out.append(("", ""))
    if not quiet:
        s = report.summary
        total = s["errors"] + s["warnings"] + s["infos"]
        counts = f"{_plural(s['errors'], 'error')}, {_plural(s['warnings'], 'warning')}, {_plural(s['infos'], 'info')}"
        checked = f"{_plural(s['files'], 'file')}, {_plural(s['resources'], 'resource')}"
        hidden = []
        if getattr(report, "suppressed", 0):
            hidden.append(f"{report.suppressed} suppressed")
        if getattr(report, "baselined", 0):
            hidden.append(f"{report.baselined} in the baseline")
        note = f" ({', '.join(hidden)})" if hidden else ""
        if total:
            out.append(("bold", f"Found {counts} in {checked}{note}."))
        else:
            out.append(("bold green", f"All clean: {checked} checked{note}."))
    return out


def render(report, stream: IO[str], color: bool = False, quiet: bool = False) -> None:
    lines = format_lines(report, quiet)
    if not color:
        for _style, text in lines:
            stream.write(text + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, force_terminal=True, highlight=False, soft_wrap=True)
    for style, text in lines:
        console.print(Text(text, style=style or ""))
