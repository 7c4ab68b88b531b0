"""The example facility files, the simulator's seed and the demo keys: package data `officepass_examples`.

In the repository this is config/; an installed wheel carries it too, so the simulator and its
demo work from any directory (simulator/examples.py finds it through importlib.resources).
"""
