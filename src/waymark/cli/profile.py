"""``waymark profile``: one customer's unified profile and recent timeline.

Looks the profile up by any identifier (``--email X``, ``--user-id U``, ``--phone P``,
``--anonymous-id A``, ``--identifier crm_id=C-77``) or by ``--id``. Reads the data directory
directly when no server holds it, else goes through the server's API.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import msgspec
from rich.table import Table

from waymark.cli._common import (
    Remote,
    console,
    data_option,
    load_settings,
    open_local_or_remote,
    out,
)
from waymark.cli.events import events_table
from waymark.core.errors import ValidationError
from waymark.core.events import Event
from waymark.identity.api import StoredProfiles, config_for
from waymark.identity.contracts import Profile
from waymark.store.duckdb.identity import DuckDBProfileStore


def _identifier(options: dict[str, str | None], custom: str | None) -> tuple[str, str] | None:
    given = [(k, v) for k, v in options.items() if v]
    if custom:
        name, sep, value = custom.partition("=")
        if not sep or not name or not value:
            raise ValidationError(
                f"--identifier takes TYPE=VALUE, e.g. crm_id=C-77; got {custom!r}",
                field="identifier",
            )
        given.append((name.strip(), value))
    if len(given) > 1:
        raise ValidationError("give one identifier (or --id), not several", field="identifier")
    return given[0] if given else None


def _fetch(
    data_dir: Path | None, key: tuple[str, str] | None, profile_id: str | None, limit: int
) -> tuple[Profile, list[Event]]:
    settings = load_settings(data_dir)
    target = open_local_or_remote(settings, read_only=True)
    if isinstance(target, Remote):
        if profile_id is not None:
            payload = target.get(f"/api/v1/profiles/{profile_id}")
        else:
            assert key is not None
            payload = target.get("/api/v1/profiles/lookup", **{key[0]: key[1]})
        profile = msgspec.convert(payload, Profile)
        page = target.get(f"/api/v1/profiles/{profile.id}/events", limit=limit)
        return profile, msgspec.convert(page["events"], list[Event])
    try:
        store = DuckDBProfileStore(target.db)
        behind = target.events.max_seq() - store.checkpoint()
        if behind > 0:
            console.print(
                f"[yellow]profiles do not include the latest {behind} events yet "
                "(start the server, or rebuild, to bring them up to date)[/yellow]"
            )
        reader = StoredProfiles(store, config_for(settings.data_dir))
        if profile_id is not None:
            profile = reader.profile(profile_id)
        else:
            assert key is not None
            profile = reader.lookup(*key)
        return profile, reader.timeline(profile.id, target.events, limit=limit)
    finally:
        target.close()


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "strftime") else "-"


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _print(profile: Profile, events: list[Event]) -> None:
    head = Table(title=f"Profile {profile.id}", show_header=False)
    head.add_column("what", style="bold")
    head.add_column("value", overflow="fold")
    head.add_row("first seen", _when(profile.first_seen))
    head.add_row("last seen", _when(profile.last_seen))
    head.add_row("events", str(profile.event_count))
    head.add_row("channels", ", ".join(profile.channels) or "-")
    consent = ", ".join(f"{c}: {'yes' if ok else 'no'}" for c, ok in profile.consent.items())
    head.add_row("consent", consent or "-")
    if profile.merged_ids:
        head.add_row("merged", ", ".join(profile.merged_ids))
    out.print(head)

    ids = Table(title="Identities")
    for column in ("type", "value", "first seen", "last seen"):
        ids.add_column(column, overflow="fold")
    for i in profile.identities:
        ids.add_row(i.type, i.value, _when(i.first_seen), _when(i.last_seen))
    out.print(ids)

    if profile.traits:
        traits = Table(title="Traits")
        for column in ("trait", "value", "since", "before"):
            traits.add_column(column, overflow="fold")
        for name, trait in profile.traits.items():
            before = ", ".join(_text(h.value) for h in trait.history[:3])
            traits.add_row(name, _text(trait.value), _when(trait.updated_at), before or "-")
        out.print(traits)

    out.print(events_table(events, f"Latest {len(events)} events"))


@click.command()
@click.option("--email", default=None, help="Look up by email (any case or spacing).")
@click.option("--user-id", default=None, help="Look up by userId.")
@click.option("--anonymous-id", default=None, help="Look up by anonymousId.")
@click.option("--phone", default=None, help="Look up by phone number (any format).")
@click.option("--identifier", default=None, help="A custom identifier, TYPE=VALUE.")
@click.option("--id", "profile_id", default=None, help="A profile id (merged ids work too).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@data_option
def profile(
    *,
    email: str | None,
    user_id: str | None,
    anonymous_id: str | None,
    phone: str | None,
    identifier: str | None,
    profile_id: str | None,
    limit: int,
    as_json: bool,
    data_dir: Path | None,
) -> None:
    """Show one customer's profile and recent timeline."""
    key = _identifier(
        {"email": email, "user_id": user_id, "anonymous_id": anonymous_id, "phone": phone},
        identifier,
    )
    if (key is None) == (profile_id is None):
        raise ValidationError(
            "give one identifier (--email, --user-id, --anonymous-id, --phone, --identifier) "
            "or --id",
            field="identifier",
        )
    found, events = _fetch(data_dir, key, profile_id, limit)
    if as_json:
        click.echo(msgspec.json.encode({"profile": found, "events": events}).decode())
        return
    _print(found, events)


commands = [profile]
