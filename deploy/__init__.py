"""What a board installs beside the programs: systemd units, the Mosquitto file, the udev rule, the alert rules.

Package data `officepass_deploy` (this folder), so that `officepass-site setup` and the Debian packages
take them from the installed programs themselves (facility/packaged.py finds it).
"""
