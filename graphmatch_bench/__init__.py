"""The benchmark harness behind ``graphmatch bench`` (the ``graphmatch[bench]`` extra).

It sits above the library (and ``seed_data``) in the layers: graphmatch never imports it; the
command joins ``graphmatch`` through the ``graphmatch.commands`` entry point. One module per
concern:

- :mod:`~graphmatch_bench.data`: the named and synthetic graphs, and where their files are;
- :mod:`~graphmatch_bench.baselines`: networkx, scipy, igraph and NetworKit implementations;
- :mod:`~graphmatch_bench.timing`: memory, percentiles, interleaved and back-to-back timing;
- :mod:`~graphmatch_bench.measure`: the operations measured on one graph;
- :mod:`~graphmatch_bench.run`: one graph, or graphs in turn in child processes;
- :mod:`~graphmatch_bench.table`: :class:`~graphmatch_bench.table.Row` and the text table;
- :mod:`~graphmatch_bench.cli`: the ``bench`` command.
"""
