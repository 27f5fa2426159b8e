"""Start the web app with no other step: data folder, diagnostic, migrations, server.

:func:`prepare` makes the data folder ready (the built-in Maurienne diagnostic computed
on first start when no study folder is given, migrations, study loaded, an
administrator account created with a generated password written to
``<data>/compte-admin.txt``); :func:`serve` then serves the app with waitress (a
production WSGI server) or, when waitress is missing, Django's threaded development
server.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

SETTINGS = "maillage.web.settings"


def configure(data_dir: Path | None = None) -> Path:
    """Point Django at the settings (and the data folder); return the data folder."""
    if data_dir is not None:
        os.environ["MAILLAGE_WEB_DATA"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django
    from django.conf import settings

    django.setup()
    data: Path = settings.DATA_DIR
    data.mkdir(parents=True, exist_ok=True)
    return data


def builtin_study(folder: Path, echo: Callable[[str], None] = print) -> Path:
    """Compute the built-in Pays de Maurienne diagnostic into ``folder`` (once)."""
    if (folder / "resume.json").is_file():
        return folder
    from maillage.outputs.exports import write_exports
    from maillage.outputs.study import write_study
    from maillage.study import Study

    echo("Premier démarrage : diagnostic du Pays de Maurienne (une quinzaine de secondes)…")
    study = Study.builtin()
    result = study.diagnostic()
    write_study(result, folder)
    write_exports(result, study.services, folder)
    return folder


def ensure_admin(data_dir: Path, echo: Callable[[str], None] = print) -> None:
    """Create the first administrator (generated password in ``compte-admin.txt``)."""
    from django.contrib.auth.models import Group, User

    if User.objects.filter(is_superuser=True).exists():
        return
    password = secrets.token_urlsafe(12)
    user = User.objects.create_superuser("admin", password=password)
    user.groups.add(Group.objects.get(name="Administrateur"))
    path = data_dir / "compte-admin.txt"
    path.touch(mode=0o600)
    path.write_text(f"identifiant : admin\nmot de passe : {password}\n", encoding="utf-8")
    echo(f"Compte administrateur créé : identifiant « admin », mot de passe dans {path}.")


def prepare(
    *,
    data_dir: Path | None = None,
    study: Path | None = None,
    echo: Callable[[str], None] = print,
) -> Path:
    """Make the app ready to serve; return the study folder loaded."""
    data = configure(data_dir)
    from django.core.management import call_command

    folder = study or (
        Path(os.environ["MAILLAGE_ETUDE"]) if os.environ.get("MAILLAGE_ETUDE") else None
    )
    if folder is None:
        folder = builtin_study(data / "etude", echo)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("charger_etude", str(folder))
    ensure_admin(data, echo)
    return folder


def serve(host: str, port: int, *, threads: int = 8, echo: Callable[[str], None] = print) -> None:
    """Serve the app (waitress when installed, else Django's threaded server)."""
    from django.conf import settings

    for name in (host, "127.0.0.1", "localhost"):
        if name not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS.append(name)
    try:
        from waitress import serve as waitress_serve
    except ImportError:
        from django.core.management import call_command

        echo(f"Serveur de développement de Django (threads) : http://{host}:{port}/")
        call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
        return
    from maillage.web.wsgi import application

    echo(f"maillage web (waitress, {threads} fils) : http://{host}:{port}/ — Ctrl+C pour arrêter")
    waitress_serve(
        application,
        host=host,
        port=port,
        threads=threads,
        connection_limit=1000,
        backlog=2048,
        channel_timeout=60,
        ident="maillage",
    )
