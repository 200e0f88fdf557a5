"""Where the data that ships with istiolint (``schemas/``, ``rules/``) lives.

Plain ``os.path`` strings: every run reads this data, and ``pathlib`` (with the ``urllib.parse`` it
imports) would add ~2.5 ms to a pre-commit run's start-up.
"""

from __future__ import annotations

import os
from typing import Any

_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__))
_BUNDLED = os.path.join(_PACKAGE_DIR, "_data")


def data_dir(name: str) -> str:
    """``istiolint/_data/<name>`` in an installed wheel (pyproject force-includes the top-level folders
    there), else ``<repo>/<name>`` beside the package in a source checkout or editable install."""
    bundled = os.path.join(_BUNDLED, name)
    if os.path.isdir(bundled):
        return bundled
    return os.path.join(os.path.dirname(_PACKAGE_DIR), name)


def find_data_dir(name: str) -> Any:
    """`data_dir` as a ``pathlib.Path`` (for scripts and tests)."""
    from pathlib import Path

    return Path(data_dir(name))


def is_bundled(directory: str | os.PathLike) -> bool:
    """Is ``directory`` data installed with the package (built with it, never edited in place)?"""
    return os.path.dirname(os.fspath(directory)) == _BUNDLED
