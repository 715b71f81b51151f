"""The ``nncalc`` command line; the only package that imports typer.

One module per command (forward, learn, random) registers itself on ``app`` when
imported.  ``main`` imports only the module of the command being run: building every
command's options costs ~15 ms, a tenth of a tiny run.  ``from nncalc.cli import app``
gives the app with every command, for tests and documentation.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":
        from .root import app, load_commands

        load_commands(None)
        return app
    if name == "main":
        from .root import main

        return main
    raise AttributeError(name)
