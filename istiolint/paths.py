"""Field paths: ``("spec", "http", 2, "match", 0)`` ⇄ ``spec.http[2].match[0]``."""

from __future__ import annotations

from typing import Any, Iterable


def format_path(path: Iterable[Any]) -> str:
    out: list[str] = []
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        else:
            text = str(step)
            if not text or any(c in text for c in ".[] "):
                text = f'"{text}"' if out else text
                out.append(f"[{text}]" if out else text)
            else:
                out.append(f".{text}" if out else text)
    return "".join(out)
