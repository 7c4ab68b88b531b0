"""The door lock daemon at booking facilities."""
