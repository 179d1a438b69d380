"""The ``childsafe`` command group: options shared by every command and error handling."""

from __future__ import annotations

import functools
import logging
import sys

import click

from geo import __version__
from geo.store import settings
from geo.store.errors import ChildSafeError
from geo.store.progress import set_reporter

# Command modules, one per domain word; each defines ``register(group)``.
COMMAND_MODULES = [
    "geo.cli.demo",
    "geo.cli.info",
    "geo.cli.importing",
    "geo.cli.water",
    "geo.cli.users",
    "geo.cli.export",
    "geo.cli.coverage",
    "geo.cli.visits",
    "geo.cli.patrol",
    "geo.cli.report",
    "geo.cli.copying",
    "geo.cli.server",
]


class _Group(click.Group):
    """Turns domain errors into one clear message and exit status 2 (never a traceback)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ChildSafeError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


def _cli_reporter(label: str, done: int, total: int) -> None:
    if total <= 0:
        return
    width = 24
    filled = int(width * done / total)
    end = "\n" if done >= total else ""
    click.echo(f"\r{label:<32} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", err=True, nl=False)
    if end:
        click.echo("", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="childsafe")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress.")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Language of messages (default: settings.language).",
)
@click.option(
    "--user",
    "user",
    envvar="CHILDSAFE_USER",
    default=None,
    help="Act as this account of the dataset (password from CHILDSAFE_PASSWORD or a prompt); "
    "data is then limited to its role. Default: the local operator (sees everything).",
)
def cli(verbose: int, quiet: bool, lang: str | None, user: str | None) -> None:
    """ChildSafe Map (童安地图): child-safety analyses for rural counties.

    Every command reads or writes a dataset GeoPackage (see docs/dataset.md).
    """
    click.get_current_context().meta["childsafe.user"] = user
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if lang:  # for this command only (a test's CliRunner, or a caller's process, keeps its own)
        before = settings.language
        settings.language = lang
        click.get_current_context().call_on_close(lambda: setattr(settings, "language", before))
    set_reporter(None if quiet or not sys.stderr.isatty() else _cli_reporter)


def open_dataset(path: str, *, analysis: bool = False, layers=None):
    """Read the dataset at ``path`` for a CLI command, as the current CLI user may see it.

    Every command reads its dataset through here, so role and area-scope rules apply to
    the CLI exactly as to the app. With ``--user NAME`` (or ``CHILDSAFE_USER``) the result is
    ``geo.privacy.roles.dataset_for(user, ...)``; with ``analysis=True`` it is the scope-clipped full
    data for the engine (``geo.privacy.roles.analysis_view``), whose outputs a command must pass through
    :func:`role_result` before printing or writing them. Without an identity the local
    operator gets the file as it is.
    """
    from geo.cli.users import cli_user
    from geo.privacy.roles import analysis_view, dataset_for
    from geo.store.dataset import read_dataset

    user = cli_user(path)
    if layers is not None and not user.local:
        layers = set(layers) | {"admin_units", "households", "children"}
    ds = read_dataset(path, layers=sorted(layers) if layers is not None else None)
    if user.local:  # no identity given: the operator who can read the file sees all of it
        return ds
    return analysis_view(user, ds) if analysis else dataset_for(user, ds)


def role_result(path: str, name: str, frame, dataset=None):
    """Filter an analysis output ``frame`` for the current CLI user (``geo.privacy.roles.filter_result``).

    ``dataset`` is the analysis view the output was computed on (from :func:`open_dataset`);
    counts of people are then released with its one population decision
    (``geo.privacy.disclosure``). Without it the scope's people are read from ``path``.
    """
    from geo.cli.users import cli_user
    from geo.privacy.roles import clip_to_scope, filter_outputs
    from geo.store.dataset import read_dataset

    user = cli_user(path)
    if user.local:
        return frame
    if dataset is None or "children" not in dataset:
        full = read_dataset(path, layers=["admin_units", "households", "children"])
        dataset = clip_to_scope(full, user.scope)
    return filter_outputs(user, name, frame, context=dataset)


def site_group(group: click.Group) -> click.Group:
    """Return the ``site`` sub-group (choosing sites for new kits or stations), made once."""
    if "site" not in group.commands:

        @click.group(name="site")
        def site() -> None:
            """Choose sites for new safety kits or new stations."""

        group.add_command(site)
    found = group.commands["site"]
    assert isinstance(found, click.Group)
    return found


#: options of a command that name a file (or folder) it writes
_OUTPUTS = {"out": "--out", "gpx_dir": "--gpx", "quarantine": "--quarantine"}
#: arguments and options that name the dataset(s) a command works on
_DATASETS = ("dataset", "into", "datasets")


def _guard_outputs(cmd: click.Command) -> None:
    """Give a command that writes files ``--force`` and refuse outputs that are its dataset.

    Before the command runs, each output path is checked with
    :func:`geo.store.files.check_output` against the command's own dataset (refused even with
    ``--force``) and any other ChildSafe dataset (refused unless ``--force``); the writers check
    again with the same rule, so a folder output (``--gpx``) is covered file by file.
    """
    outs = [p.name for p in cmd.params if p.name in _OUTPUTS]
    if not outs or cmd.callback is None:
        return
    own = any(p.name == "force" for p in cmd.params)
    if not own:
        cmd.params.append(click.Option(
            ["--force"], is_flag=True,
            help="Write outputs even over another ChildSafe dataset (never over this command's own)."))
    inner = cmd.callback

    @functools.wraps(inner)
    def run(*args, **kwargs):
        from geo.store.files import check_output, overwrite_allowed

        force = bool(kwargs["force"] if own else kwargs.pop("force", False))
        datasets: list = []
        for name in _DATASETS:
            value = kwargs.get(name)
            datasets += list(value) if isinstance(value, (list, tuple)) else [value]
        for name in outs:
            value = kwargs.get(name)
            if value and name != "gpx_dir":
                check_output(value, datasets=datasets, force=force, what=_OUTPUTS[name])
        with overwrite_allowed(force):
            return inner(*args, **kwargs)

    cmd.callback = run


def _all_commands(group: click.Group):
    for cmd in group.commands.values():
        if isinstance(cmd, click.Group):
            yield from _all_commands(cmd)
        else:
            yield cmd


def _register_all() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(cli)
    for cmd in _all_commands(cli):
        _guard_outputs(cmd)


_register_all()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI (the ``childsafe`` console script)."""
    cli.main(args=argv, prog_name="childsafe")
