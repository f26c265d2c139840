"""The customer's preference centre as server-rendered HTML: one page built from privacy's
``PreferencesView``, and the page a bad link gets. No script; every action is a plain form POST
carrying the page's form key; every value is escaped."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

import msgspec

from waymark.privacy.contracts import PreferencesView
from waymark.privacy.errors import LinkProblem

PURPOSE_LABELS: Final = {
    "email": "Emails from us",
    "sms": "Text messages",
    "ads": "Advertising targeted to you",
    "personalisation": "Content chosen for you (personalisation)",
    "analytics": "Use of your activity in our analytics",
}
NOTICES: Final = {
    "consent": "Your choices are saved. They apply from now on.",
    "unchanged": "Nothing changed: your choices were already as you set them.",
    "unsubscribed": "You are unsubscribed from everything. We will not contact you.",
    "unconfirmed": "Nothing was deleted: tick the box to confirm you want your data deleted.",
}
_SECURITY: Final = {
    # nothing but the package's stylesheets (the shared colours and the page's own); forms
    # only to this server; the token in the address never leaves in a Referer
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}
_PROBLEMS: Final[dict[LinkProblem, tuple[int, str, str]]] = {
    "malformed": (400, "This link is not complete", "Please copy the whole link from the email."),
    "forged": (403, "This link is not valid", "It was not issued by us."),
    "expired": (410, "This link has expired", "Open the link in a more recent email from us."),
    "revoked": (403, "This link has been withdrawn", "Open the link in a more recent email."),
    "gone": (410, "We hold no data for this link", "There is nothing left to show or change."),
    "form": (403, "This form could not be accepted", "Please go back, reload and try again."),
}


def security_headers() -> dict[str, str]:
    return dict(_SECURITY)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _when(at: datetime | None) -> str:
    return "" if at is None else at.strftime("%d %b %Y, %H:%M UTC")


def _shell(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>{_e(title)}</title>"
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        '<link rel="stylesheet" href="/static/css/theme.css">'
        '<link rel="stylesheet" href="/static/css/preferences.css">'
        f"</head><body><main>{body}</main></body></html>"
    )


def problem_page(reason: LinkProblem) -> tuple[int, str]:
    """(status, HTML) for a link that cannot be honoured: why, what to do, nothing else."""
    status, title, advice = _PROBLEMS[reason]
    return status, _shell(title, f"<h1>{_e(title)}</h1><p>{_e(advice)}</p>")


def _table(caption: str, heads: Iterable[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p><strong>{_e(caption)}</strong>: <span class="muted">{_e(empty)}</span></p>'
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return (
        f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()


def _form(action: str, key: str, inner: str, button: str, kind: str = "") -> str:
    cls = f' class="{kind}"' if kind else ""
    return (
        f'<form method="post" action="{_e(action)}">'
        f'<input type="hidden" name="form_key" value="{_e(key)}">'
        f'{inner}<button type="submit"{cls}>{_e(button)}</button></form>'
    )


def preferences_page(view: PreferencesView, *, base: str, form_key: str, notice: str | None) -> str:
    """The page at ``base`` (``/preferences/{token}``); forms post to ``base/<action>``."""
    parts = ["<h1>Your data and choices</h1>"]
    if notice in NOTICES:
        parts.append(f'<p class="notice" role="status">{_e(NOTICES[notice])}</p>')
    parts.append(
        '<p class="muted">This page is yours: anyone with this link can see it, so do not '
        f"share it. The link works until {_e(_when(view.expires_at))}.</p>"
    )
    boxes = "".join(
        f'<label><input type="checkbox" name="consent" value="{_e(p)}"'
        f"{' checked' if granted else ''}> <span>{_e(PURPOSE_LABELS.get(p, p))}</span></label>"
        for p, granted in view.consent.items()
    )
    parts.append(
        '<section aria-labelledby="h-consent"><h2 id="h-consent">What you allow</h2>'
        + _form(
            f"{base}/consent",
            form_key,
            f"<fieldset><legend>Tick what we may do; untick what we may not.</legend>{boxes}"
            "</fieldset>",
            "Save my choices",
        )
        + "</section>"
    )
    parts.append(
        '<section aria-labelledby="h-held"><h2 id="h-held">What we hold about you</h2>'
        + _table(
            "How we recognise you", ("Kind", "Value"), [[t, v] for t, v in view.identities], "none"
        )
        + _table(
            "What we know",
            ("Detail", "Value"),
            [[k, _value(v)] for k, v in sorted(view.traits.items())],
            "nothing",
        )
        + _table(
            "Where you are with each product",
            ("Product", "Journey", "Stage", "Since"),
            [[s.product, s.model, s.stage, _when(s.since)] for s in view.stages],
            "nothing yet",
        )
        + _table(
            "Messages we sent you recently",
            ("When", "Channel", "Subject", "Status"),
            [[_when(m.at), m.channel, m.subject, m.status] for m in view.messages],
            "none",
        )
        + "</section>"
    )
    parts.append(
        '<section aria-labelledby="h-actions"><h2 id="h-actions">Your rights</h2>'
        "<p>Stop every email, text and ad from us at once.</p>"
        + _form(f"{base}/unsubscribe", form_key, "", "Unsubscribe from everything", "secondary")
        + "<p>Download everything we hold about you, as one JSON file.</p>"
        + _form(f"{base}/export", form_key, "", "Download my data", "secondary")
        + "<p>Ask us to delete everything we hold about you. This cannot be undone; this "
        "link stops working when it is done.</p>"
        + _form(
            f"{base}/erase",
            form_key,
            '<label><input type="checkbox" name="confirm" value="yes" required> '
            "<span>I want all my data deleted</span></label>",
            "Delete my data",
            "danger",
        )
        + "</section>"
    )
    return _shell("Your data and choices", "".join(parts))


def erasure_page(request_id: str, due_at: datetime) -> str:
    return _shell(
        "Deletion requested",
        "<h1>We are deleting your data</h1>"
        f"<p>Your request is logged with reference <strong>{_e(request_id)}</strong>. It will "
        f"be complete by {_e(_when(due_at))}, usually within minutes.</p>"
        "<p>Until you give consent again, we will not record anything about you.</p>",
    )
