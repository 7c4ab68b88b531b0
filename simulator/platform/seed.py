"""The stand-in platform's starting data, from a TOML seed file (validated like facility files)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import Field, ValidationError

from facility.config import FacilityConfig, load_config
from facility.config.models import Identifier, PublicKeyB64, Strict
from facility.errors import ConfigError, ConfigProblem, KeyFileError
from facility.models import Plan
from facility.tokens import SigningKey


class SeedKiosk(Strict):
    """A kiosk whose front-desk codes the platform accepts."""

    facility: Identifier = Field(description="Facility id the kiosk stands in.")
    kiosk: Identifier = Field(description="Kiosk id, as in its facility file.")
    public_key: PublicKeyB64 = Field(description="The kiosk's raw Ed25519 public key, base64.")


class SeedMember(Strict):
    """A member of the network."""

    id: int = Field(ge=1, le=2**63, description="Member number.")
    name: str = Field(min_length=1, max_length=30, description="Display name shown at reception.")
    plan: Plan = Field(description="Membership plan.")
    chains_visited: list[Identifier] = Field(default_factory=list, description="Chains already signed up with.")


class SeedReservation(Strict):
    """A booking present when the platform starts, placed relative to the start time."""

    member: int = Field(description="Booker's member number.")
    facility: Identifier = Field(description="Facility id.")
    room: Identifier = Field(description="Room id in that facility.")
    starts_in_minutes: int = Field(ge=-24 * 60, le=7 * 24 * 60, description="Start, minutes after the platform starts.")
    minutes: int = Field(ge=15, le=24 * 60, description="Length of the booking.")
    guests: int = Field(default=0, ge=0, le=50, description="Guests coming along (meeting rooms).")


class Seed(Strict):
    """The whole seed file; paths are relative to the file."""

    platform_key_file: Path = Field(description="The platform's Ed25519 signing key (PEM).")
    root_key_file: Path | None = Field(
        default=None,
        description="The root key that certifies the platform's "
        "signing keys in its signed key set (PEM); omitted: no GET /keyset.",
    )
    facilities: list[Path] = Field(min_length=1, description="Facility files the platform serves.")
    kiosks: list[SeedKiosk] = Field(default_factory=list)
    members: list[SeedMember] = Field(default_factory=list)
    reservations: list[SeedReservation] = Field(default_factory=list)


class LoadedSeed:
    """A validated seed with its facility files and signing key loaded."""

    def __init__(
        self,
        seed: Seed,
        facilities: dict[str, FacilityConfig],
        platform_key: SigningKey,
        root_key: SigningKey | None = None,
    ) -> None:
        self.seed = seed
        self.facilities = facilities
        self.platform_key = platform_key
        self.root_key = root_key


def load_seed(path: str | Path) -> LoadedSeed:
    """Read and check a seed file; raises ConfigError naming each problem."""
    base = Path(path).parent
    try:
        seed = Seed.model_validate(tomllib.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(str(path), [ConfigProblem("", str(exc))]) from None
    except ValidationError as exc:
        raise ConfigError(
            str(path), [ConfigProblem(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
        ) from None
    facilities = {cfg.facility.id: cfg for cfg in (load_config(base / f) for f in seed.facilities)}
    try:
        key = SigningKey.load(base / seed.platform_key_file)
    except KeyFileError as exc:
        raise ConfigError(str(path), [ConfigProblem("platform_key_file", str(exc))]) from None
    try:
        root = SigningKey.load(base / seed.root_key_file) if seed.root_key_file else None
    except KeyFileError as exc:
        raise ConfigError(str(path), [ConfigProblem("root_key_file", str(exc))]) from None
    return LoadedSeed(seed, facilities, key, root)
