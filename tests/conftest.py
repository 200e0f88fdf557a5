"""Shared test helpers: lint text or files through the real pipeline and look at the findings."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from istiolint.app import Options, analyze

from . import hypothesis_profiles  # noqa: F401  (registers --hypothesis-profile=long)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def lint_paths(paths, **kwargs):
    """(report, exit code) for these paths, nothing written."""
    options = Options(paths=[str(p) for p in paths], **kwargs)
    report, code, _ = analyze(options)
    return report, code


def lint_text(text: str, tmp_path: Path, name: str = "input.yaml", **kwargs):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return lint_paths([path], **kwargs)


def lint_stdin(data: bytes, **kwargs):
    options = Options(paths=["-"], **kwargs)
    report, code, _ = analyze(options, io.BytesIO(data))
    return report, code


def positions(report, name: str | None = None) -> list[tuple]:
    """(line, column, rule name) of every finding (of one rule when ``name``)."""
    return [(f.line, f.column, f.name) for f in report.findings if name is None or f.name == name]


def wrap_mesh_config(body: str) -> str:
    """A mesh config body (as Istio's analyzer tests pass it) as the ConfigMap a cluster keeps it in."""
    indented = "".join(f"    {line}\n" for line in body.splitlines())
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\n"
            f"data:\n  mesh: |\n{indented}")


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present (a user's clone has none)")
    return SHARED
