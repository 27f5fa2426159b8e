"""Doctest collection of ``maillage.web``: Django configured on a throwaway data folder.

Without Django (the ``web`` extra), the package's modules are not collected.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import tempfile

if importlib.util.find_spec("django") is None:
    collect_ignore_glob = ["*.py", "**/*.py"]
else:
    if "MAILLAGE_WEB_DATA" not in os.environ:
        _data = tempfile.mkdtemp(prefix="maillage-web-doctest-")
        atexit.register(shutil.rmtree, _data, True)
        os.environ["MAILLAGE_WEB_DATA"] = _data
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.web.settings")
    os.environ.setdefault("MAILLAGE_SECRET_KEY", "doctests-only-not-a-secret")
    import django

    django.setup()
