"""Run partitions on Dask distributed: a local cluster, or an existing one.

One Dask task per partition, keyed by the partition's key: a task lost with its worker is
run again by the scheduler (``retries`` more times if it fails) and its result is stored
under the same key, so a commune is never lost nor counted twice
(:func:`maillage.scale.merge.check_coverage` checks it anyway). Results are gathered as
they complete, with a terminal progress bar; the link to the Dask dashboard is printed.

Dask is an optional dependency (``pip install "maillage[scale]"``), imported only here,
when a partitioned run starts.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from maillage._errors import MaillageError
from maillage._progress import enabled

T = TypeVar("T")
R = TypeVar("R")

#: Workers of the default local cluster (one process per core of a 2-core machine).
DEFAULT_WORKERS = 2


def import_distributed() -> Any:
    """The ``distributed`` module, or a French error saying how to install it.

    Examples
    --------
    >>> import importlib.util
    >>> (importlib.util.find_spec("distributed") is None) or bool(import_distributed())
    True
    """
    try:
        import distributed
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise MaillageError(
            "le calcul réparti demande Dask (paquet « distributed »), absent. Correction : "
            'pip install "maillage[scale]" (ou pip install "dask[distributed]")'
        ) from err
    return distributed


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None,
    *,
    n_workers: int = DEFAULT_WORKERS,
    memory_limit: str | None = None,
    echo: Callable[[str], None] | None = None,
) -> Iterator[Any]:
    """A Dask client: to ``scheduler`` (``tcp://…``) when given, else to a local cluster.

    The local cluster has ``n_workers`` processes of one thread each (the searches hold
    the GIL only briefly, but one process per core keeps their memory apart). The
    dashboard's link is passed to ``echo`` (stderr by default). Both are closed on exit
    when created here.
    """
    distributed = import_distributed()
    say = echo or (lambda line: print(line, file=sys.stderr, flush=True))
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout="30s")
        except OSError as err:
            raise MaillageError(
                f"ordonnanceur Dask injoignable à l'adresse {scheduler} ({err}). Correction : "
                "vérifiez l'adresse (tcp://hôte:8786) et que « dask scheduler » tourne"
            ) from err
        say(f"Dask : ordonnanceur {scheduler}, tableau de bord {client.dashboard_link}")
        try:
            yield client
        finally:
            client.close()
        return
    cluster = distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        memory_limit=memory_limit or "auto",
    )
    client = distributed.Client(cluster)
    say(f"Dask : grappe locale de {n_workers} processus, tableau de bord {client.dashboard_link}")
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def map_partitions(
    function: Callable[..., R],
    items: Mapping[str, T],
    *,
    client: Any,
    retries: int = 3,
    name: str = "partition",
    description: str = "Partitions",
    on_result: Callable[[str, R], None] | None = None,
    **kwargs: Any,
) -> dict[str, R]:
    """Run ``function(item, **kwargs)`` for every item on the cluster; results by key.

    Parameters
    ----------
    function
        A module-level function (workers import it).
    items
        The partitions, by key (unique).
    client
        A ``distributed.Client`` (:func:`dask_client`).
    retries
        Extra attempts of a task that fails; a task lost with its worker is rescheduled
        by Dask (up to its ``allowed-failures`` setting).
    name
        Prefix of the task keys (``{name}-{key}``).
    description
        Label of the progress bar (French).
    on_result
        Called with each key and result as it arrives (tests, logs).
    kwargs
        Passed to every call.

    Returns
    -------
    dict
        The result of every item, by key, in the order of ``items``.
    """
    distributed = import_distributed()
    futures = {
        client.submit(
            function, item, key=f"{name}-{key}", retries=retries, pure=False, **kwargs
        ): key
        for key, item in items.items()
    }
    results: dict[str, R] = {}
    bar = _bar(len(futures), description)
    try:
        for future in distributed.as_completed(list(futures)):
            key = futures[future]
            # Keyed by partition: a rescheduled task overwrites, never duplicates.
            results[key] = future.result()
            if bar is not None:
                bar.update(1)
            if on_result is not None:
                on_result(key, results[key])
    finally:
        if bar is not None:
            bar.close()
        for future in futures:
            future.release()
    return {key: results[key] for key in items}


def _bar(total: int, description: str) -> Any:
    if not enabled():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="partition", file=sys.stderr)
