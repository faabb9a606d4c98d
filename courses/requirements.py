"""The "what remains" interface: each capability contributes the open requirements of an enrolment.

A provider is `fn(enrolment) -> list[Requirement]`, registered with `register_provider(app, fn)`.
The course page, the dashboard and the organiser's lists all read `what_remains(enrolment)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import Flask, current_app


@dataclass
class Requirement:
    kind: str                 # modules | quiz | attendance | posttest | certificate ...
    label: str                # translated, ready to show
    met: bool
    detail: str = ""          # translated: what is still missing, e.g. "3 dari 9 modul"
    url: str | None = None    # where the consultant can act on it
    done: int | None = None   # progress numerator
    total: int | None = None  # progress denominator
    evidence: dict = field(default_factory=dict)
    order: int = 50


Provider = Callable[[object], list[Requirement]]


def register_provider(app: Flask, provider: Provider) -> None:
    """Add a requirement provider to the app (called from a package's init_app)."""
    app.extensions.setdefault("requirement_providers", []).append(provider)


def completion_rule(cohort) -> dict:
    """The certificate rule that applies to a cohort, as a plain dict: the course's rule with the cohort's override
    on top, key by key; a key the override sets to None is dropped (nothing required). Empty: the course has no
    rule. Providers read it so "what remains" lists what the rule requires (certificates.rules validates it)."""
    course_rule = cohort.course.completion if isinstance(cohort.course.completion, Mapping) else {}
    override = cohort.completion_override if isinstance(cohort.completion_override, Mapping) else {}
    return {key: value for key, value in {**course_rule, **override}.items() if value is not None}


def what_remains(enrolment) -> list[Requirement]:
    """Every requirement of an enrolment from every capability, in display order."""
    items: list[Requirement] = []
    for provider in current_app.extensions.get("requirement_providers", []):
        items.extend(provider(enrolment))
    return sorted(items, key=lambda r: r.order)


def after_progress(enrolment) -> None:
    """Let other capabilities react to a consultant's progress (e.g. issue a certificate); before the commit."""
    for hook in current_app.extensions.get("progress_hooks", []):
        hook(enrolment)
