"""``waymark privacy``: export everything held about one person as one JSON document.

``waymark privacy export --email X`` (or ``--user-id``, ``--anonymous-id``, ``--id``) reads the
data directory directly when no server holds it, else asks the server's API.
"""

from __future__ import annotations

from pathlib import Path

import click
import msgspec

from waymark.cli._common import Remote, console, data_option, load_settings, open_local_or_remote
from waymark.core.errors import ValidationError
from waymark.privacy.errors import PrivacyUnavailable
from waymark.runtime.services import FeatureStores, build_services


@click.group()
def privacy() -> None:
    """Customer control: export a person's data."""


@privacy.command()
@data_option
@click.option("--email", default=None, help="The person's email address.")
@click.option("--user-id", default=None, help="The person's userId.")
@click.option("--anonymous-id", default=None, help="One of the person's anonymousIds.")
@click.option("--id", "profile_id", default=None, help="The profile id.")
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the JSON here instead of standard output.",
)
def export(
    *,
    data_dir: Path | None,
    email: str | None,
    user_id: str | None,
    anonymous_id: str | None,
    profile_id: str | None,
    out_file: Path | None,
) -> None:
    """Every event, trait, identity, stage history, decision and message of one person."""
    given = {"email": email, "user_id": user_id, "anonymous_id": anonymous_id}
    keys = [(k, v) for k, v in given.items() if v]
    if len(keys) + (profile_id is not None) != 1:
        raise ValidationError(
            "give exactly one of --email, --user-id, --anonymous-id or --id", field="identifier"
        )
    settings = load_settings(data_dir)
    target = open_local_or_remote(settings, read_only=True)
    if isinstance(target, Remote):
        try:
            pid = profile_id or target.get("/api/v1/profiles/lookup", **dict(keys))["id"]
            body = msgspec.json.encode(target.get(f"/api/v1/profiles/{pid}/export"))
        finally:
            target.close()
    else:
        try:
            # only the stores an export reads: no orchestrator, nothing that writes
            stores = FeatureStores(
                profiles=target.profiles, journeys=target.journeys, privacy=target.privacy
            )
            services = build_services(settings, event_log=target.events, stores=stores)
            if services.privacy is None or services.identity is None:
                raise PrivacyUnavailable("privacy controls are not set up for this data")
            pid = profile_id or services.identity.lookup(*keys[0]).id
            body = msgspec.json.encode(services.privacy.export(pid))
        finally:
            target.close()
    text = msgspec.json.format(body, indent=2).decode()
    if out_file is None:
        click.echo(text)
    else:
        out_file.write_text(text + "\n", encoding="utf-8")
        console.print(f"[dim]wrote {out_file}[/dim]")


commands = [privacy]
