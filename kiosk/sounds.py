"""The verdict's sound: a rising chime for admitted, two short mid tones for 'try again', a low falling tone for
refused.

Generated here as WAV (no files to ship or lose) and played by ALSA's `aplay`, because the
system beep is silent under cage and Qt's multimedia module is not part of PySide6-Essentials.
"""

from __future__ import annotations

import io
import logging
import math
import shutil
import struct
import subprocess
import wave
from functools import lru_cache

from kiosk.verdicts import Look

log = logging.getLogger(__name__)
_SAID: set[str] = set()  # the sound problems this process has logged already (a demo runs two kiosks)
RATE = 22050
# (frequency in Hz, seconds) per note; 0 Hz is a rest.
MELODIES: dict[Look, tuple[tuple[float, float], ...]] = {
    Look.ADMITTED: ((1047.0, 0.12), (1319.0, 0.22)),  # C6 then E6: bright and rising
    Look.RETRY: ((784.0, 0.12), (0.0, 0.08), (784.0, 0.12)),  # G5 twice: "once more"
    Look.REFUSED: ((392.0, 0.25), (262.0, 0.40)),  # G4 down to C4: low, unmistakably not a welcome
}


def _note(frequency: float, seconds: float) -> list[int]:
    """One note as 16-bit samples, faded in and out so it does not click."""
    count = int(RATE * seconds)
    fade = max(1, int(RATE * 0.01))
    samples = []
    for i in range(count):
        envelope = min(1.0, i / fade, (count - i) / fade)
        samples.append(int(12000 * envelope * math.sin(2 * math.pi * frequency * i / RATE)) if frequency else 0)
    return samples


@lru_cache(maxsize=len(MELODIES))
def wav_bytes(look: Look) -> bytes:
    """The sound for a look, as a mono 16-bit WAV file in memory."""
    samples = [sample for frequency, seconds in MELODIES[look] for sample in _note(frequency, seconds)]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return buffer.getvalue()


class Chime:
    """Plays a verdict's sound without blocking the screen; a kiosk without a player, or whose player fails (no
    sound device), stays silent, says so once in the log and keeps saying it in `condition` (staff see it)."""

    def __init__(self, player: str | None = "aplay") -> None:
        self.player = shutil.which(player) if player else None
        self.played: list[Look] = []  # the latest sounds asked for (the tests and the staff page read it)
        self._playing: subprocess.Popen | None = None
        self.condition = "ok"  # ok, silent (the player fails), missing (no player): kiosk/state.py's sound link
        self.problem = ""  # the failure in words, for the log and technicians
        if player and self.player is None:
            missing = f"no {player} on this machine: verdicts will be silent (apt-get install alsa-utils)"
            self._silent("missing", missing)

    def _silent(self, condition: str, problem: str) -> None:
        """The kiosk cannot be heard: logged once per machine (not after every verdict, nor per kiosk of a demo)
        and kept for staff."""
        if self.condition == "ok" and condition not in _SAID:
            log.warning("%s", problem)
            _SAID.add(condition)
        self.condition, self.problem = condition, problem

    def play(self, look: Look) -> None:
        """Start the look's sound, cutting short one still playing."""
        self.played = [*self.played[-9:], look]
        if self.player is None:
            return
        self.stop()
        try:
            self._playing = subprocess.Popen(
                [self.player, "-q", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            assert self._playing.stdin is not None
            self._playing.stdin.write(wav_bytes(look))
            self._playing.stdin.close()
        except OSError as exc:  # no sound card, a player that died (a broken pipe): the verdict still shows
            self._silent("silent", f"{self.player} cannot play the verdicts' sounds ({exc}): check the sound device")

    def stop(self) -> None:
        """End a sound still playing and reap its process; a player that failed makes the kiosk silent, one that
        played makes it heard again."""
        if self._playing is not None:
            killed = self._playing.poll() is None
            if killed:
                self._playing.kill()
            status = self._playing.wait()
            if status > 0:
                self._silent(
                    "silent",
                    f"{self.player} failed (status {status}): verdicts are silent; check the sound device (aplay -l)",
                )
            elif status == 0 and self.condition == "silent":
                log.info("%s plays again: verdicts are heard", self.player)
                self.condition, self.problem = "ok", ""
                _SAID.discard("silent")  # a device that fails again is said again
            self._playing = None

    def check(self) -> None:
        """Reap a sound that has finished, so a failing player is noticed before the next verdict (every second)."""
        if self._playing is not None and self._playing.poll() is not None:
            self.stop()
