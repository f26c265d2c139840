"""Which channel an event came from, and its campaign fields.

Order of evidence: an explicit ``context.channel``; the campaign medium (an ad or social click,
an email link); the library that sent it; the call type (page = web, screen = mobile); the
device's operating system. Server-side libraries give ``server``.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from waymark.core.events import CAMPAIGN_FIELDS, Channel

_CHANNEL_SYNONYMS: Final[dict[str, Channel]] = {
    **{c.value: c for c in Channel},
    "call_center": Channel.CALL_CENTRE,
    "callcenter": Channel.CALL_CENTRE,
    "call-centre": Channel.CALL_CENTRE,
    "call-center": Channel.CALL_CENTRE,
    "phone": Channel.CALL_CENTRE,
    "contact_center": Channel.CALL_CENTRE,
    "browser": Channel.WEB,
    "client": Channel.WEB,
    "website": Channel.WEB,
    "app": Channel.MOBILE,
    "ios": Channel.MOBILE,
    "android": Channel.MOBILE,
    "mobile_app": Channel.MOBILE,
    "store": Channel.SHOP,
    "pos": Channel.SHOP,
    "retail": Channel.SHOP,
    "ad": Channel.ADS,
    "advertising": Channel.ADS,
    "paid": Channel.ADS,
    "logistics": Channel.SHIPPING,
    "delivery": Channel.SHIPPING,
    "helpdesk": Channel.SUPPORT,
}

_MEDIUM_CHANNELS: Final[dict[str, Channel]] = {
    "cpc": Channel.ADS,
    "ppc": Channel.ADS,
    "cpm": Channel.ADS,
    "paid": Channel.ADS,
    "display": Channel.ADS,
    "banner": Channel.ADS,
    "retargeting": Channel.ADS,
    "paid_social": Channel.ADS,
    "paidsocial": Channel.ADS,
    "social": Channel.SOCIAL,
    "social-network": Channel.SOCIAL,
    "social_media": Channel.SOCIAL,
    "email": Channel.EMAIL,
    "e-mail": Channel.EMAIL,
    "newsletter": Channel.EMAIL,
    "sms": Channel.SMS,
    "affiliate": Channel.PARTNER,
    "referral": Channel.PARTNER,
    "partner": Channel.PARTNER,
}

_MOBILE_LIBRARIES: Final = (
    "analytics-ios",
    "analytics-android",
    "analytics-swift",
    "analytics-kotlin",
    "analytics-react-native",
    "analytics-flutter",
    "analytics-xamarin",
    "rudder-ios",
    "rudder-android",
    "rudderstack-ios",
    "rudderstack-android",
)
_WEB_LIBRARIES: Final = ("analytics.js", "analytics-next", "rudder-analytics.js", "rudderstack-js")

# plain strings: ``Channel.X.value`` is an enum descriptor call, per event
_WEB: Final = Channel.WEB.value
_MOBILE: Final = Channel.MOBILE.value
_SERVER: Final = Channel.SERVER.value
# an explicit "server" is no evidence: the other signs still decide, server is the fallback
_EXPLICIT_CHANNELS: Final[dict[str, str]] = {
    k: c.value for k, c in _CHANNEL_SYNONYMS.items() if c is not Channel.SERVER
}
_MEDIUM_VALUES: Final[dict[str, str]] = {k: c.value for k, c in _MEDIUM_CHANNELS.items()}


def campaign_of(context: dict[str, Any]) -> dict[str, str]:
    """UTM fields from ``context.campaign``, else from the query string of ``context.page.url``."""
    campaign: dict[str, str] = {}
    raw = context.get("campaign")
    if isinstance(raw, dict):
        for key in CAMPAIGN_FIELDS:
            value = raw.get(key, raw.get(f"utm_{key}"))
            if isinstance(value, str | int | float) and str(value):
                campaign[key] = str(value)
    if campaign:
        return campaign
    page = context.get("page")
    url = page.get("url") if isinstance(page, dict) else None
    if isinstance(url, str) and "utm_" in url:
        try:
            query = urlsplit(url).query
        except ValueError:
            return campaign
        for key, value in parse_qsl(query):
            # Segment's context.campaign calls utm_campaign "name"
            field = "name" if key == "utm_campaign" else key.removeprefix("utm_")
            if key.startswith("utm_") and field in CAMPAIGN_FIELDS and value:
                campaign[field] = value
    return campaign


def channel_of(message_type: str, context: dict[str, Any], campaign: dict[str, str]) -> str:
    explicit = context.get("channel")
    if isinstance(explicit, str):
        known = _EXPLICIT_CHANNELS.get(explicit.strip().lower())
        if known is not None:
            return known
    medium = campaign.get("medium")
    if medium:
        by_medium = _MEDIUM_VALUES.get(medium.strip().lower())
        if by_medium is not None:
            return by_medium
    library = context.get("library")
    name = library.get("name") if isinstance(library, dict) else None
    if isinstance(name, str):
        lowered = name.lower()
        # one C call per tuple: a generator of startswith calls was a third of normalising
        if lowered.startswith(_MOBILE_LIBRARIES):
            return _MOBILE
        if lowered.startswith(_WEB_LIBRARIES):
            return _WEB
    if message_type == "page":
        return _WEB
    if message_type == "screen":
        return _MOBILE
    os_info = context.get("os")
    os_name = os_info.get("name") if isinstance(os_info, dict) else None
    if isinstance(os_name, str) and os_name.lower() in ("ios", "android", "ipados"):
        return _MOBILE
    return _SERVER
