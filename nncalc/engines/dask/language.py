"""The run's language on workers it did not start: a scheduler named with --scheduler
has workers with their own environment, so ``--lang zh`` (or the client's locale) reaches
them as a worker plugin, and the error lines their tasks build speak the client's
language.  (The workers of a LocalCluster of our own get ``NNCALC_LANG`` as they start.)"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class Language(WorkerPlugin):
    """Speak ``lang`` on every worker, those that join later included.  Registered under
    one name, so a later run replaces it with its own language."""

    name = "nncalc-language"

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def setup(self, worker: Any) -> None:
        from nncalc import i18n

        i18n.use(self.lang)
