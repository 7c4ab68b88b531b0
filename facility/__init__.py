"""Shared facility core: configuration, signed tokens, the network's rules and use counting.

Pure Python: nothing here imports Qt, OpenCV, paho or GPIO code, so the kiosk, the lock
daemon and the simulator all decide with the same code.
"""
