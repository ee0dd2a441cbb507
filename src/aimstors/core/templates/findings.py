"""What the template linter reports: findings (error or warning, at a path, saying what to fix)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from aimstors.core.errors import InvalidInput

__all__ = ["Finding", "Findings", "Severity", "TemplateLintFailed"]


class Severity(StrEnum):
    """``error``: Meta would refuse the template (it is never submitted); ``warning``: it may be refused or
    render badly, but it can be submitted."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: ``path`` points into the definition (``components[1].text``), ``rule`` is a stable id
    (``placeholder-gap``) and ``message`` says what is wrong and how to fix it."""

    severity: Severity
    path: str
    rule: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.severity}: {where}{self.message}"


@dataclass(slots=True)
class Findings:
    """A collector used while linting: ``error(path, rule, message)`` / ``warning(...)``."""

    items: list[Finding] = field(default_factory=list)

    def error(self, path: str, rule: str, message: str) -> None:
        self.items.append(Finding(Severity.ERROR, path, rule, message))

    def warning(self, path: str, rule: str, message: str) -> None:
        self.items.append(Finding(Severity.WARNING, path, rule, message))


class TemplateLintFailed(InvalidInput):
    """A template definition has lint errors: it is neither stored nor submitted. ``findings`` has them all
    (warnings too); the message lists the errors, one a line."""

    code = "template_lint_failed"

    def __init__(self, name: str, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        errors = [f for f in self.findings if f.is_error]
        lines = "\n".join(f"  {f.path or 'template'}: {f.message}" for f in errors)
        plural = "error" if len(errors) == 1 else "errors"
        super().__init__(
            f"template {name} has {len(errors)} lint {plural}; nothing was changed:\n{lines}",
            hint="fix the definition and try again; `aimstors templates lint FILE` checks it without saving",
        )
