"""Reporters turn a ``Report`` into text. They know nothing of rules; each is imported only when used."""

from __future__ import annotations

import importlib
from typing import Callable

# format name → "module:function"; modules are imported lazily to keep start-up small.
REPORTER_BY_NAME = {
    "text": "istiolint.reporters.text:render",
    "json": "istiolint.reporters.json:render",
}


def get_reporter(name: str) -> Callable:
    module_name, _, function = REPORTER_BY_NAME[name].partition(":")
    return getattr(importlib.import_module(module_name), function)
