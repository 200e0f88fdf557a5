"""Findings: what the engine reports. Rules build them through ``RuleContext``; reporters only read them."""

from __future__ import annotations

from enum import IntEnum

from .record import field, record


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}; use error, warning or info") from None


@record(frozen=True)
class ResourceRef:
    api_version: str | None
    kind: str | None
    namespace: str | None
    name: str | None

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind or '?'} {ns}{self.name or '?'}"

    def as_dict(self) -> dict:
        return {"apiVersion": self.api_version, "kind": self.kind, "namespace": self.namespace, "name": self.name}


@record(frozen=True)
class Related:
    """Another place that explains a finding (e.g. the earlier route that shadows this one)."""

    file: str
    line: int
    column: int
    message: str
    resource: ResourceRef | None = None
    path: str = ""

    def as_dict(self) -> dict:
        return {
            "file": self.file, "line": self.line, "column": self.column, "message": self.message,
            "resource": self.resource.as_dict() if self.resource else None, "path": self.path,
        }


@record(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    file: str
    line: int
    column: int
    resource: ResourceRef | None = None
    path: str = ""
    related: tuple[Related, ...] = field(default_factory=tuple)

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.code, self.message)

    def as_dict(self) -> dict:
        return {
            "code": self.code, "name": self.name, "severity": self.severity.label, "message": self.message,
            "file": self.file, "line": self.line, "column": self.column,
            "resource": self.resource.as_dict() if self.resource else None,
            "path": self.path, "related": [r.as_dict() for r in self.related],
        }
