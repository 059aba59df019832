"""A second step before an action that cannot be undone (a discharge, a death): the page asks, and only the form it
shows (with confirm=yes) acts. It works without JavaScript under the strict CSP, and the server, not the browser, is
the guard: a form sent without the confirmation is answered with the question, never with the action."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from fastapi import Request
from fastapi.responses import Response

from admitall.domain.access import Permission
from admitall.domain.people import Status
from admitall.services.context import Actor, Context
from admitall.services.people import get_person
from admitall.web.i18n import translator
from admitall.web.rendering import render


def confirmed(form: dict[str, str]) -> bool:
    """Whether the form is the confirmation page's own (a form from anywhere else is asked again)."""
    return form.get("confirm") == "yes"


@dataclass(frozen=True)
class Question:
    """What the confirmation page says and sends back: `fields` are posted again to `action` with confirm=yes."""

    id: str
    action: str
    question: str
    final: str
    yes: str
    back: str
    fields: dict[str, str] = field(default_factory=dict)
    reason: str = ""


def ask(request: Request, actor: Actor, csrf: str, question: Question) -> Response:
    return render(request, "confirm.html", {"confirm": asdict(question)}, actor=actor, csrf=csrf)


def death_question(ctx: Context, actor: Actor, person_id: int, form: dict[str, str], lang: str) -> Question:
    """Recording a death on the person's page (a reclassification to dead): whom, and the form sent back. Asked
    only of whoever may record it."""
    actor.require(Permission.RECLASSIFY)
    person = get_person(ctx, actor, person_id)
    t, dead = translator(lang), Status.DEAD.label(lang)
    keep = ("version", "to", "severity", "reason")
    return Question(
        id="confirm-reclassify",
        action=f"/people/{person_id}/reclassify",
        question=t("desks_confirm_death", name=person["name"]),
        final=t("desks_confirm_death_final"),
        yes=t("desks_confirm_yes", outcome=dead),
        back=f"/people/{person_id}",
        fields={k: form[k] for k in keep if form.get(k)},
        reason=form.get("reason", ""),
    )
