"""Scale: many départements, or all of France, partitioned and run on Dask.

The diagnostic of a large territory is split into **partitions** (one per département by
default). Each partition computes the per-commune travel times of its own communes —
nearest service of every type in both seasons, and the origin × service pairs within the
opening-hours budget — from the services within ``radius_km`` of them (its ring); the
partitions run as Dask tasks (:mod:`maillage.scale.cluster`), and
:func:`maillage.scale.merge.merge_partitions` puts them together and recomputes every
territory-level table (access per zone, enjeux ranks, E2SFCA, bassins...) from the merged
per-commune tables, with the same functions as :func:`~maillage.indicators.diagnostic.
run_diagnostic`. The result equals a single run over the union (see ``docs/echelle.md``).

* :mod:`~maillage.scale.partition` — plan the partitions, run one (the Dask task);
* :mod:`~maillage.scale.merge` — merge, check, complete and aggregate;
* :mod:`~maillage.scale.cluster` — Dask client (local cluster or ``--scheduler``), retries,
  progress;
* :mod:`~maillage.scale.run` — the whole chain: :func:`~maillage.scale.run.
  partitioned_diagnostic`.
"""
