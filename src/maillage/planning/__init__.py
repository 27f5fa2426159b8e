"""Co-construction: what-if scenarios (:mod:`~maillage.planning.scenario`) and optimal
siting of services (:mod:`~maillage.planning.siting`)."""
