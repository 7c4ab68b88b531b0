"""Stand-ins for the camera, the door hardware, the platform and members' phones."""
