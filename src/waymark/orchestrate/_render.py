"""Turn a send step into the payload a channel delivers: templates rendered with what the flow
knows (profile, trigger, product, decided content, the flow's vars), plus, for email, the
click redirect, the open pixel and the unsubscribe link."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from waymark.orchestrate._flow import Flow
from waymark.orchestrate._templates import render
from waymark.orchestrate._tokens import Tokens
from waymark.orchestrate.config import SendSpec, Step
from waymark.orchestrate.contracts import DecidedContent, ProfileView

_HREF = re.compile(r"""href\s*=\s*(["'])(https?://[^"']+)\1""", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def template_context(
    *,
    flow: Flow,
    profile: ProfileView,
    trigger: Mapping[str, Any],
    kind: str,
    product: str | None,
    decided: DecidedContent | None,
    key: str,
    links: Mapping[str, str],
    now: datetime,
) -> dict[str, Any]:
    traits = profile.traits
    ctx: dict[str, Any] = {
        "profile": {"id": profile.profile_id, "email": profile.email, "user_id": profile.user_id},
        "traits": traits,
        "trigger": trigger,
        "vars": flow.doc.vars,
        "flow": {"id": flow.id, "name": flow.doc.name},
        "message_id": key,
        "links": dict(links),
        "now": now,
        "content": decided.content if decided is not None else {},
        "experience_id": decided.experience_id if decided is not None else None,
        "decision_id": decided.decision_id if decided is not None else None,
    }
    if kind == "event":
        ctx["event"] = trigger
    if kind == "stage":
        ctx["stage"] = trigger
    # names a template may use directly only when known, so ``default()`` works for the rest
    first = traits.get("first_name") or (str(traits.get("name") or "").split(" ")[0] or None)
    for name, value in (
        ("first_name", first),
        ("name", traits.get("name")),
        ("email", profile.email),
        ("product", product),
    ):
        if value is not None:
            ctx[name] = value
    return ctx


def _field(flow: Flow, step: Step, name: str, ctx: dict[str, Any]) -> str | None:
    template = flow.templates.get(f"{step.id}:{name}")
    return None if template is None else render(template, ctx, name=f"{step.id}.{name}")


def _payload(flow: Flow, step: Step, value: Any, key: str, ctx: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return render(flow.templates[f"{step.id}:{key}"], ctx, name=f"{step.id}.{key}")
    if isinstance(value, dict):
        return {k: _payload(flow, step, v, f"{key}.{k}", ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_payload(flow, step, v, f"{key}[{i}]", ctx) for i, v in enumerate(value)]
    return value


def email_payload(
    flow: Flow,
    step: Step,
    send: SendSpec,
    ctx: dict[str, Any],
    *,
    to: str,
    tokens: Tokens,
    public_url: str,
    key: str,
    preferences: str | None = None,
) -> dict[str, Any]:
    text = _field(flow, step, "text", ctx)
    html = _field(flow, step, "html", ctx)
    if html is not None and preferences is not None:
        html = _with_footer(html, preferences)
    if html is not None and send.track:
        html = track_html(html, key=key, tokens=tokens, public_url=public_url)
    if text is None and html is not None:
        text = htmllib.unescape(_TAGS.sub("", html)).strip()
    if preferences is not None and preferences not in (text or ""):
        text = f"{(text or '').rstrip()}\n\n-- \n{PREFERENCES_TEXT}: {preferences}\n"
    return {
        "to": to,
        "subject": " ".join((_field(flow, step, "subject", ctx) or "").split()),
        "text": text or "",
        "html": html,
        "from_name": _field(flow, step, "from_name", ctx),
        "reply_to": _field(flow, step, "reply_to", ctx),
        "unsubscribe": unsubscribe_url(tokens, public_url, key),
    }


PREFERENCES_TEXT = "Your data and email preferences"
"""The footer every email carries, with the person's preference-centre link."""


def _with_footer(html: str, url: str) -> str:
    """The preference-centre link before ``</body>`` (or at the end), unless the template
    placed ``links.preferences`` itself."""
    if url in html:
        return html
    footer = (
        f'<p style="font-size:12px;color:#555"><a href="{htmllib.escape(url)}">'
        f"{PREFERENCES_TEXT}</a></p>"
    )
    found = list(_BODY_END.finditer(html))
    if found:
        at = found[-1].start()
        return html[:at] + footer + html[at:]
    return html + footer


def unsubscribe_url(tokens: Tokens, public_url: str, key: str) -> str:
    return f"{public_url}/t/unsubscribe/{tokens.sign('unsubscribe', key)}"


def track_html(html: str, *, key: str, tokens: Tokens, public_url: str) -> str:
    """Links through the signed click redirect, and the open pixel before ``</body>``."""

    # the unsubscribe link is tracked by its own endpoint; the preference centre is not
    # tracked at all (its link is the person's credential, not a campaign link)
    own = (f"{public_url}/t/", f"{public_url}/preferences/")

    def click(m: re.Match[str]) -> str:
        url = htmllib.unescape(m.group(2))
        if url.startswith(own):
            return m.group(0)
        token = tokens.sign("click", key, url)
        return f'href="{public_url}/t/click/{token}"'

    out = _HREF.sub(click, html)
    pixel = (
        f'<img src="{public_url}/t/open/{tokens.sign("open", key)}" width="1" height="1" '
        'alt="" style="display:none">'
    )
    found = list(_BODY_END.finditer(out))
    if found:
        at = found[-1].start()
        return out[:at] + pixel + out[at:]
    return out + pixel


def inbox_payload(flow: Flow, step: Step, ctx: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": _field(flow, step, "title", ctx) or "",
        "body": _field(flow, step, "body", ctx) or "",
        "url": _field(flow, step, "url", ctx),
    }


def webhook_payload(
    flow: Flow,
    step: Step,
    send: SendSpec,
    ctx: dict[str, Any],
    *,
    key: str,
    profile: ProfileView,
    now: datetime,
) -> dict[str, Any]:
    return {
        "target": send.target,
        "body": {
            "id": key,
            "type": "waymark.flow.step",
            "flow": flow.id,
            "step": step.id,
            "profile_id": profile.profile_id,
            "user_id": profile.user_id,
            "created_at": now.isoformat(),
            "data": _payload(flow, step, send.payload, "payload", ctx),
        },
    }
