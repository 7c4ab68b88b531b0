"""Is the wall clock good enough to judge a token's validity window? Moved to facility/clocktrust.py (the kiosk's
retention asks it too); kept here so that lockd's importers keep working."""

from facility.clocktrust import CLOCK_FLOOR, TIME_ERROR, ClockTrust, kernel_synchronised

__all__ = ["CLOCK_FLOOR", "TIME_ERROR", "ClockTrust", "kernel_synchronised"]
