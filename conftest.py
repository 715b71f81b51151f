"""For every test, the doctests in nncalc/ and README.md included: the expected messages
are English, so a developer's Chinese locale must not change them (tests/test_i18n.py and
the Chinese golden screens pick the language themselves)."""

import os

os.environ["NNCALC_LANG"] = "en"
