"""Load test of the web app's public pages: N concurrent users on loopback, bounded.

Without ``--url``, starts ``maillage web`` itself (waitress) on a free loopback port with a
throwaway data folder (the first start computes the Maurienne diagnostic), then stops it.
Every user is a thread with its own keep-alive connection; all start together (a barrier)
and each requests the public pages in turn. Counts errors (status other than 200, or no
answer), prints requests per second and latency percentiles. Only loopback addresses are
accepted, and the run is bounded (``--utilisateurs`` × ``--requetes``, ``--delai-max``).

    python benchmarks/charge_web.py                     # 200 users × 10 requests
    python benchmarks/charge_web.py --url http://127.0.0.1:8000 --utilisateurs 50
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
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
from typing import Any

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


@contextmanager
def own_server(threads: int) -> Iterator[str]:
    """Start ``maillage web`` on a free loopback port (throwaway data folder)."""
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
    ]
    env = {**os.environ, "MAILLAGE_LIMITE_FORMULAIRES": "20"}
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
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def run_load(url: str, users: int, requests: int, timeout_s: float) -> dict[str, Any]:
    """Run the load and return its figures."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if not _loopback(host):
        raise SystemExit(f"Refusé : {host} n'est pas une adresse de bouclage (127.0.0.1).")
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(users)
    deadline = time.monotonic() + timeout_s

    def user(index: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        barrier.wait()
        for step in range(requests):
            if time.monotonic() > deadline:
                with lock:
                    errors.append("délai maximal dépassé")
                return
            path = PAGES[(index + step) % len(PAGES)]
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Accept-Encoding": "identity"})
                response = connection.getresponse()
                response.read()
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    if response.status != 200:
                        errors.append(f"{response.status} {path}")
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    errors.append(f"{type(error).__name__} {path}")
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=60)
        connection.close()

    workers = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    duration = time.perf_counter() - started
    ordered = sorted(latencies)

    def percentile(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {
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


def main() -> None:
    """Command line (French)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="Serveur déjà lancé (bouclage seulement).")
    parser.add_argument("--utilisateurs", type=int, default=200)
    parser.add_argument("--requetes", type=int, default=10, help="Requêtes par utilisateur.")
    parser.add_argument("--delai-max", type=float, default=300.0, help="Secondes au plus.")
    parser.add_argument("--fils", type=int, default=8, help="Fils du serveur lancé ici.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.utilisateurs <= 1000 or not 1 <= args.requetes <= 100:
        raise SystemExit("Bornes : 1 à 1 000 utilisateurs, 1 à 100 requêtes chacun.")
    if args.url:
        figures = run_load(args.url, args.utilisateurs, args.requetes, args.delai_max)
        figures["serveur"] = args.url
    else:
        with own_server(args.fils) as url:
            figures = run_load(url, args.utilisateurs, args.requetes, args.delai_max)
        figures["serveur"] = f"maillage web (waitress, {args.fils} fils), SQLite"
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    latency = figures["latence_ms"]
    print(
        f"{figures['utilisateurs_simultanes']} utilisateurs simultanés, "
        f"{figures['requetes']} requêtes en {figures['duree_s']} s : "
        f"{figures['requetes_par_s']} requêtes/s, {figures['erreurs']} erreur(s)\n"
        f"latence (ms) : médiane {latency['mediane']}, p90 {latency['p90']}, "
        f"p99 {latency['p99']}, max {latency['max']} — {figures['serveur']}"
    )
    if figures["erreurs"]:
        print("exemples :", figures["exemples_erreurs"])
        sys.exit(1)


if __name__ == "__main__":
    main()
