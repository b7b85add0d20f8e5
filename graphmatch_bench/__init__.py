"""The benchmark harness behind ``graphmatch bench`` (the ``graphmatch[bench]`` extra).

It sits above the library (and ``seed_data``) in the layers: graphmatch never imports it.
"""
