"""The example facility files, the simulator's seed and the demo keys: package data `officepass_examples`.

In the repository this is config/; an installed wheel carries it too, so the simulator, its demo and
the technician's doctor work from any directory (facility/packaged.py finds it).
"""
