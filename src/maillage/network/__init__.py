"""Road travel times: OpenStreetMap graph, snapping, nearest services, matrices.

* :mod:`maillage.network.graph` — :func:`~maillage.network.graph.build_graph` reads an
  ``.osm.pbf`` extract into a cached :class:`~maillage.network.graph.RoadGraph`;
  variants with closed ways (winter passes) with ``RoadGraph.without_ways``.
* :mod:`maillage.network.snapping` — points joined to the graph, off-network leg.
* :mod:`maillage.network.nearest` — nearest service of every type, and the origin ×
  service matrix within a cutoff.
* :mod:`maillage.network.straight_line` — the labelled straight-line estimate used
  when no road network is given.
"""
