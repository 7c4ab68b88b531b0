"""The reception kiosk at drop-in offices (PySide6)."""

from importlib.util import find_spec

# What the kiosk's extra (officepass-edge[kiosk]) brings; this package's __init__ imports none of it.
KIOSK_LIBRARIES = ("PySide6", "cv2", "zxingcpp")
KIOSK_EXTRA = "pip install 'officepass-edge[kiosk]' (the Debian package officepass-kiosk brings it)"


def kiosk_libraries_installed() -> bool:
    """True when Qt, OpenCV and zxing-cpp are importable (a door board has none of them)."""
    return all(find_spec(module) for module in KIOSK_LIBRARIES)
