"""Load test of the web app: N concurrent users on loopback, reading and writing, bounded.

Without ``--url``, starts ``maillage web`` itself (waitress) on a free loopback port with a
throwaway data folder (the first start computes the Maurienne diagnostic), once per
database of ``--bases`` (``sqlite``, ``postgresql``: a throwaway PostgreSQL server started
on loopback by :func:`maillage.web._postgres.throwaway_postgres`, as for
``tests/web/test_postgresql.py``), then stops it. Every user is a
thread with its own keep-alive connection and cookies; all start together (a barrier)
and each requests the public pages in turn; one request in ``--ecriture-tous`` is a
**write**: the survey or a contribution, sent like a browser (the form fetched first,
its CSRF token and cookie sent back), each carrying a unique marker. After the load the
database is queried: every write answered 302 must be there (``ecritures_en_base``).

Counts errors (a read not answered 200, a write not answered 302, or no answer), prints
requests per second and p50/p95 latency per kind of request (each page, each write).
Only loopback addresses are accepted, and the run is bounded (``--utilisateurs`` ×
``--requetes``, ``--delai-max``). The server started here allows unlimited form
submissions (``MAILLAGE_LIMITE_FORMULAIRES``): every client is 127.0.0.1.

    python benchmarks/charge_web.py                     # 200 users × 10 requests, both bases
    python benchmarks/charge_web.py --bases sqlite --utilisateurs 50
    python benchmarks/charge_web.py --url http://127.0.0.1:8000 --utilisateurs 50

The last line printed is one JSON object (with ``--json``, only that).
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from maillage.web._postgres import throwaway_postgres

PAGES = [
    "/",
    "/services/?commune=73248&family=soins",
    "/programme/",
    "/enquete/",
    "/contribuer/",
    "/initiatives/",
    "/services/",
    "/communes/73040/",
    "/carte/communes.geojson?famille=soins",
    "/static/maillage/style.css",
]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SURVEY = {"commune": "73248", "age_band": "40-59", "soins_use": "mois", "soins_satisfaction": "3"}
CONTRIBUTION = {"kind": "initiative", "message": "Envoyée par benchmarks/charge_web.py."}
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@contextmanager
def own_server(
    threads: int, *, database_url: str | None = None, study: str | None = None
) -> Iterator[tuple[str, dict[str, str]]]:
    """Start ``maillage web`` on a free loopback port (throwaway data folder); yield its
    URL and the environment that reaches its database."""
    port = _free_port()
    data = tempfile.mkdtemp(prefix="maillage-charge-")
    command = [
        sys.executable,
        "-c",
        "from maillage.cli.main import main; main()",
        "web",
        "--port",
        str(port),
        "--donnees",
        data,
        "--fils",
        str(threads),
        *(["--etude", study] if study else []),
    ]
    env = {
        **os.environ,
        "MAILLAGE_LIMITE_FORMULAIRES": "100000000",
        "MAILLAGE_WEB_DATA": data,
        "DJANGO_SETTINGS_MODULE": "maillage.web.settings",
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    # The server's output goes to a file: a pipe nobody reads would fill up and block it.
    log = open(os.path.join(data, "serveur.log"), "wb")  # noqa: SIM115
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                if server.poll() is not None:
                    log.close()
                    with open(os.path.join(data, "serveur.log"), encoding="utf-8") as f:
                        raise SystemExit(f"Le serveur s'est arrêté :\n{f.read()}") from None
                time.sleep(1)
        else:
            raise SystemExit("Le serveur n'a pas répondu en 180 s.")
        yield url, env
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def run_load(
    url: str, users: int, requests: int, timeout_s: float, *, write_every: int = 5
) -> dict[str, Any]:
    """Run the load and return its figures (and the markers of the writes accepted)."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if not _loopback(host):
        raise SystemExit(f"Refusé : {host} n'est pas une adresse de bouclage (127.0.0.1).")
    run_id = f"charge-{os.getpid()}-{int(time.time())}"
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    errors: list[str] = []
    accepted: dict[str, list[str]] = {"enquete": [], "contribution": []}
    lock = threading.Lock()
    barrier = threading.Barrier(users)
    deadline = time.monotonic() + timeout_s

    def user(index: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        cookies: dict[str, str] = {}

        def call(
            method: str, path: str, kind: str, body: str | None = None
        ) -> tuple[int, str] | None:
            nonlocal connection
            headers = {"Accept-Encoding": "identity"}
            if cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                headers["Referer"] = url + path
            start = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                text = response.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    errors.append(f"{type(error).__name__} {method} {path}")
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=60)
                return None
            elapsed = time.perf_counter() - start
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    cookies[name.strip()] = rest.split(";", 1)[0]
            with lock:
                latencies.append(elapsed)
                by_kind.setdefault(kind, []).append(elapsed)
            return response.status, text

        def write(step: int) -> None:
            what = "enquete" if (index + step) % 2 == 0 else "contribution"
            page = "/enquete/" if what == "enquete" else "/contribuer/"
            got = call("GET", page, page)
            if got is None:
                return
            match = _TOKEN.search(got[1])
            marker = f"{run_id}-{index}-{step}"
            fields = (
                {**SURVEY, "soins_needs": marker}
                if what == "enquete"
                else {**CONTRIBUTION, "title": marker}
            )
            fields["csrfmiddlewaretoken"] = match.group(1) if match else ""
            sent = call("POST", page, f"POST {page}", urllib.parse.urlencode(fields))
            if sent is None:
                return
            with lock:
                if sent[0] == 302:
                    accepted[what].append(marker)
                else:
                    errors.append(f"{sent[0]} POST {page}")

        barrier.wait()
        for step in range(requests):
            if time.monotonic() > deadline:
                with lock:
                    errors.append("délai maximal dépassé")
                return
            if write_every and step % write_every == write_every - 1:
                write(step)
                continue
            path = PAGES[(index + step) % len(PAGES)]
            got = call("GET", path, path.split("?")[0])
            if got is not None and got[0] != 200:
                with lock:
                    errors.append(f"{got[0]} {path}")
        connection.close()

    workers = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    duration = time.perf_counter() - started
    ordered = sorted(latencies)

    def percentile(q: float, values: list[float] | None = None) -> float:
        chosen = ordered if values is None else sorted(values)
        return round(1000 * chosen[min(len(chosen) - 1, int(q * len(chosen)))], 1)

    return {
        "marqueur": run_id,
        "ecritures_acceptees": {k: len(v) for k, v in accepted.items()},
        "_marqueurs": accepted,
        "par_requete_ms": {
            kind: {
                "n": len(values),
                "p50": percentile(0.50, values),
                "p95": percentile(0.95, values),
            }
            for kind, values in sorted(by_kind.items())
        },
        "utilisateurs_simultanes": users,
        "requetes": len(latencies) + sum(1 for e in errors if not e[:3].isdigit()),
        "erreurs": len(errors),
        "exemples_erreurs": errors[:5],
        "duree_s": round(duration, 2),
        "requetes_par_s": round(len(latencies) / duration, 1),
        "latence_ms": {
            "mediane": round(1000 * statistics.median(ordered), 1) if ordered else None,
            "p90": percentile(0.90) if ordered else None,
            "p99": percentile(0.99) if ordered else None,
            "max": round(1000 * ordered[-1], 1) if ordered else None,
        },
    }


COUNT_WRITES = """
import json, sys
import django
django.setup()
from maillage.web.models import Contribution, SurveyAnswer
prefix = sys.argv[1]
print(json.dumps({
    "enquete": sorted(SurveyAnswer.objects.filter(unmet_needs__startswith=prefix)
                      .values_list("unmet_needs", flat=True)),
    "contribution": sorted(Contribution.objects.filter(title__startswith=prefix)
                           .values_list("title", flat=True)),
}))
"""


def writes_in_database(env: dict[str, str], figures: dict[str, Any]) -> dict[str, Any]:
    """Look every accepted write up in the server's database (a separate process)."""
    child = subprocess.run(
        [sys.executable, "-c", COUNT_WRITES, figures["marqueur"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(child.stdout.strip().splitlines()[-1])
    accepted = figures.pop("_marqueurs")
    return {
        kind: {
            "acceptees": len(accepted[kind]),
            "en_base": len(found[kind]),
            "toutes_en_base": sorted(accepted[kind]) == found[kind],
        }
        for kind in accepted
    }


def one_base(base: str, args: argparse.Namespace, study: str | None) -> tuple[dict[str, Any], str]:
    """Load one server on one database; figures and the study folder it used."""
    if base == "postgresql":
        with throwaway_postgres() as database_url:
            with own_server(args.fils, database_url=database_url, study=study) as (url, env):
                figures = run_load(
                    url,
                    args.utilisateurs,
                    args.requetes,
                    args.delai_max,
                    write_every=args.ecriture_tous,
                )
                figures["ecritures_en_base"] = writes_in_database(env, figures)
            data = env["MAILLAGE_WEB_DATA"]
    else:
        with own_server(args.fils, study=study) as (url, env):
            figures = run_load(
                url,
                args.utilisateurs,
                args.requetes,
                args.delai_max,
                write_every=args.ecriture_tous,
            )
            figures["ecritures_en_base"] = writes_in_database(env, figures)
        data = env["MAILLAGE_WEB_DATA"]
    figures["serveur"] = f"maillage web (waitress, {args.fils} fils), {base}"
    return figures, study or str(Path(data) / "etude")


def _print(figures: dict[str, Any]) -> None:
    latency = figures["latence_ms"]
    print(
        f"{figures['serveur']} : {figures['utilisateurs_simultanes']} utilisateurs simultanés, "
        f"{figures['requetes']} requêtes en {figures['duree_s']} s : "
        f"{figures['requetes_par_s']} requêtes/s, {figures['erreurs']} erreur(s)\n"
        f"  latence (ms) : médiane {latency['mediane']}, p90 {latency['p90']}, "
        f"p99 {latency['p99']}, max {latency['max']}"
    )
    for kind, row in figures["par_requete_ms"].items():
        print(f"  {kind:<28} n={row['n']:>5}  p50 {row['p50']:>7} ms  p95 {row['p95']:>7} ms")
    for kind, row in figures.get("ecritures_en_base", {}).items():
        print(
            f"  écritures {kind} : {row['acceptees']} acceptées, {row['en_base']} en base"
            f"{' — toutes présentes' if row['toutes_en_base'] else ' — MANQUANTES'}"
        )
    if figures["erreurs"]:
        print("  exemples d'erreurs :", figures["exemples_erreurs"])


def main() -> None:
    """Command line (French)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="Serveur déjà lancé (bouclage seulement).")
    parser.add_argument("--bases", default="sqlite,postgresql", help="sqlite, postgresql")
    parser.add_argument("--utilisateurs", type=int, default=200)
    parser.add_argument("--requetes", type=int, default=10, help="Requêtes par utilisateur.")
    parser.add_argument(
        "--ecriture-tous",
        type=int,
        default=5,
        help="Une écriture toutes les N requêtes (0 : aucune).",
    )
    parser.add_argument("--delai-max", type=float, default=300.0, help="Secondes au plus.")
    parser.add_argument("--fils", type=int, default=8, help="Fils du serveur lancé ici.")
    parser.add_argument("--etude", help="Dossier d'étude déjà calculé (sinon calculé au départ).")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.utilisateurs <= 1000 or not 1 <= args.requetes <= 100:
        raise SystemExit("Bornes : 1 à 1 000 utilisateurs, 1 à 100 requêtes chacun.")
    results: list[dict[str, Any]] = []
    if args.url:
        figures = run_load(
            args.url,
            args.utilisateurs,
            args.requetes,
            args.delai_max,
            write_every=args.ecriture_tous,
        )
        figures.pop("_marqueurs")
        figures["serveur"] = args.url
        results.append(figures)
    else:
        study: str | None = args.etude
        for base in [b.strip() for b in args.bases.split(",") if b.strip()]:
            if base not in {"sqlite", "postgresql"}:
                raise SystemExit(f"Base inconnue : {base} (sqlite ou postgresql).")
            figures, study = one_base(base, args, study)
            results.append(figures)
    if not args.json:
        for figures in results:
            _print(figures)
    print(json.dumps(results, ensure_ascii=False))
    complete = all(
        row["toutes_en_base"]
        for figures in results
        for row in figures.get("ecritures_en_base", {}).values()
    )
    if any(figures["erreurs"] for figures in results) or not complete:
        sys.exit(1)


if __name__ == "__main__":
    main()
