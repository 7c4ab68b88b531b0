"""Where the data shipped with the programs is, in the repository or an installed wheel alike.

`officepass_examples` (the repository's config/): the example facility files, the simulator's seed and
the demo keys (the doctor knows them to refuse them). `officepass_deploy` (deploy/): what a board
installs beside the programs, such as the site broker's Mosquitto file that `officepass-site setup` writes.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

EXAMPLES = Path(str(files("officepass_examples")))  # real folders: the wheel installs unzipped
SEED = EXAMPLES / "simulator" / "seed.toml"
DEMO_KEYS = EXAMPLES / "demo-keys"
DEPLOY = Path(str(files("officepass_deploy")))
SITE_BROKER_FILE = DEPLOY / "mosquitto" / "officepass.conf"
