"""A kiosk without its window, for the kill trials: the production reception, store and outbox in their own process.

    python tests/faults/kiosk_worker.py SITE.toml DATA_DIR PLATFORM_URL [PASSES.txt | --drain]

Prints "READY" once its store, trust refresh and outbox run (before the first pass), then "KEPT <pass id>" once a
check-in is committed. With --drain it sends what is queued and exits 0.
"""

from __future__ import annotations

import sys
import threading
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from facility.clock import SystemClock
from facility.config import load_config
from facility.platform import PlatformClient
from facility.trustcache import TrustRefresh
from kiosk.outbox import OutboxSender
from kiosk.reception import Reception
from kiosk.store import KioskStore


def main(site: str, data: str, platform_url: str, work: str) -> int:
    """Present the passes (or drain the outbox), as the kiosk would."""
    cfg = load_config(site)
    cfg = cfg.model_copy(update={"platform": cfg.platform.model_copy(update={"base_url": platform_url})})
    store = KioskStore(Path(data) / "kiosk.db")
    reception = Reception(cfg, store, SystemClock())
    trust = TrustRefresh(PlatformClient(cfg.platform), store, SystemClock(), cfg.tokens.fetch_platform_keys)
    reception.await_revocations = partial(trust.current, 10.0)  # as kiosk/assembly.py wires it
    trust.start()
    drained = threading.Event()
    outbox = OutboxSender(
        store, PlatformClient(cfg.platform), SystemClock(), lambda status: status.queued == 0 and drained.set()
    )
    outbox.start()
    if work == "--drain":
        outbox.wake()
        return 0 if drained.wait(60) else 1
    print("READY", flush=True)
    for line in Path(work).read_text().splitlines():
        verdict = reception.present(line)
        if verdict.admitted and not verdict.repeat:
            print(f"KEPT {store.checkins()[-1].pass_id}", flush=True)
        outbox.wake()
    drained.wait(60)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
