"""Where the data that ships with istiolint (``schemas/``, ``rules/``) lives."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def find_data_dir(name: str) -> Path:
    """``istiolint/_data/<name>`` in an installed wheel (pyproject force-includes the top-level folders
    there), else ``<repo>/<name>`` beside the package in a source checkout or editable install."""
    bundled = _PACKAGE_DIR / "_data" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parent / name


def is_bundled(directory: Path) -> bool:
    """Is ``directory`` data installed with the package (built with it, never edited in place)?"""
    return directory.parent == _PACKAGE_DIR / "_data"
