"""The ``waymark`` command. Errors print one line (never a traceback) and exit non-zero:
2 for bad input or configuration, 1 for anything else."""

from __future__ import annotations

import sys
from typing import Any

import click

import waymark
from waymark.cli import (
    accounts,
    demo,
    events,
    flows,
    importing,
    inspect,
    journeys,
    privacy,
    profile,
    rebuild,
    report,
    scores,
    serve,
    simulate,
)
from waymark.core.errors import ConfigError, TerminalError, ValidationError, WaymarkError

# One line per area; each module exposes ``commands: list[click.Command]``.
COMMAND_MODULES = (
    serve,
    importing,
    events,
    demo,
    inspect,
    simulate,
    profile,
    report,
    journeys,
    rebuild,
    flows,
    privacy,
    accounts,
    scores,
)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, ValidationError) as exc:
            raise _Failure(str(exc), 2) from None
        except TerminalError as exc:
            raise _Failure(str(exc), 2) from None
        except WaymarkError as exc:
            raise _Failure(str(exc), 1) from None


class _Failure(click.ClickException):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code
        # click's standalone mode (and CliRunner) exits with this
        self.exit_code = code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(waymark.__version__, prog_name="waymark")
def cli() -> None:
    """Waymark: customer journeys from every channel, on your own machine."""


for _module in COMMAND_MODULES:
    for _command in _module.commands:
        cli.add_command(_command)


def main() -> None:
    try:
        cli(prog_name="waymark", standalone_mode=False)
    except _Failure as failure:
        failure.show()
        sys.exit(failure.code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
