"""The reception kiosk at drop-in offices (PySide6)."""
