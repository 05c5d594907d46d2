"""Sections that other apps add to the account page (API passwords, list feeds, ...).

Register in your AppConfig.ready():
    account_panel_register(template="compat/_account_panel.html", context=lambda request: {...}, order=50)
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest


@dataclass(frozen=True)
class AccountPanel:
    template: str
    order: int = 50
    context: Callable[[HttpRequest], dict] | None = field(default=None, compare=False)


_panels: dict[str, AccountPanel] = {}


def account_panel_register(
    *, template: str, context: Callable[[HttpRequest], dict] | None = None, order: int = 50
) -> None:
    """Add (or replace) the panel rendered from `template`. Safe to call twice (e.g. ready() run again)."""
    _panels[template] = AccountPanel(template=template, order=order, context=context)


def account_panels_for(request: HttpRequest) -> list[dict]:
    """The panels in display order, each as {"template": ..., "context": {...}}."""
    out = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.template)):
        out.append({"template": panel.template, "context": panel.context(request) if panel.context else {}})
    return out
