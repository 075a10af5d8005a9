"""The one bridge from ``handover.errors`` to the command line.

Commands raise domain errors (or ``fail`` for a refusal of the command itself); ``DomainCommand``
and ``DomainGroup`` turn them into a Chinese message on stderr and the exit code of the error's
category, without a traceback. Programming errors are left alone: they keep their traceback.
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape

from .errors import EXIT_INPUT, HandoverError


class CommandFailed(click.ClickException):
    def __init__(self, message: str, exit_code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    @classmethod
    def of(cls, err: HandoverError) -> CommandFailed:
        return cls(err.message, err.exit_code)

    def show(self, file=None) -> None:
        Console(stderr=True).print(f"[red]错误：[/red]{escape(self.message)}")


def fail(message: str, exit_code: int = EXIT_INPUT) -> CommandFailed:
    return CommandFailed(message, exit_code)


class DomainCommand(click.Command):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except HandoverError as err:
            raise CommandFailed.of(err) from err


class DomainGroup(click.Group):
    """A group whose subcommands (and their own subcommands) translate domain errors."""

    command_class = DomainCommand
    group_class = type  # subgroups are DomainGroups too

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except HandoverError as err:
            raise CommandFailed.of(err) from err
