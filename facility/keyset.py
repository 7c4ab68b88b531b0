"""The platform's signing keys, certified by a root key pinned at install: the signed key set, checked and kept.

A site that pins a root key (`[[tokens.root_keys]]`) trusts, beside its pinned keys, the keys of
the newest key set that root signed. The set reaches it over HTTPS (`GET /keyset`, every minute
with the revocations) and as a retained MQTT message (`{prefix}/{facility}/keyset`); both go
through `SiteKeys.offer`, which adopts a newer valid set, keeps the held one otherwise, and
audits and logs every refusal with its reason. The held set lives in the store's cache table,
so no restart can roll it back. The encoding and the rules: docs/tokens.md, 'The key set'.

`SiteKeys.keyring()` is the one answer to "which keys sign tokens here" for every program: with a
root, the pinned and certified keys; without one, the pinned keys and, where the program and the
facility allow it, the keys the platform publishes (`GET /keys`, kept by facility/trustcache.py). A
public demo key is trusted only on loopback, however it arrives.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ValidationError

from facility.clock import Clock
from facility.config import FacilityConfig
from facility.contract import KeysAnswer, KeySetContent, PublishedKey, SignedKeySet
from facility.reasons import Worded
from facility.store import SqliteStore
from facility.tally import RefusalTally
from facility.tokens import Keyring, SigningKey, key_id_of
from facility.tokens.demo import is_demo_key

log = logging.getLogger(__name__)
SIGNING_TAG = b"officepass/keyset/v1"
MAX_KEYSET_BYTES = 64 * 1024
CACHE_NAME = "keyset"
PUBLISHED_CACHE_NAME = "keys"  # the platform's published keys (GET /keys), kept by facility/trustcache.py
ROOT_PURPOSE = "keyset"
REMEMBERED_REFUSALS = 256  # distinct refused documents audited once each per process


class KeySetRefusal(Worded):
    """Why a key set was not adopted: a stable code (audited) and words for the technician."""

    UNREADABLE = ("keyset_unreadable", "署名付き鍵セットとして読み取れません", "This is not a signed key set")
    TOO_LARGE = ("keyset_too_large", "鍵セットが大きすぎます", "The key set is too large")
    UNKNOWN_ROOT = (
        "keyset_unknown_root",
        "この施設が信頼するルート鍵の署名ではありません",
        "The key set is not signed by a root key this site pins",
    )
    BAD_SIGNATURE = ("keyset_bad_signature", "鍵セットの署名が一致しません", "The key set's signature does not match")
    INCONSISTENT = ("keyset_inconsistent", "鍵セットの内容に矛盾があります", "The key set contradicts itself")
    ROLLBACK = ("keyset_rollback", "保持している鍵セットより古い版です", "The key set is older than the one held")
    CONFLICT = (
        "keyset_conflict",
        "同じ版で内容の異なる鍵セットです",
        "The key set has the held version but other contents",
    )
    NO_CURRENT_KEY = ("keyset_no_current_key", "いま有効な鍵がない鍵セットです", "No key of the key set is valid now")


def canonical_json(value: object) -> bytes:
    """The bytes a key set is signed as: JSON with sorted keys, no white space, UTF-8 (RFC 8785 for integers and
    strings, which is all a key set holds)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def signed_message(keyset: object) -> bytes:
    """What the root signs: len(tag) || tag || canonical JSON of the key set (as tokens frame their own tag)."""
    return bytes([len(SIGNING_TAG)]) + SIGNING_TAG + canonical_json(keyset)


def sign_keyset(content: KeySetContent | Mapping[str, object], root: SigningKey) -> dict:
    """The signed document (GET /keyset's body and the MQTT announcement) for a key set (the platform's side)."""
    keyset = content.model_dump(mode="json") if isinstance(content, KeySetContent) else dict(content)
    return {
        "keyset": keyset,
        "signed_by": root.key_id,
        "signature": base64.b64encode(root.sign(signed_message(keyset))).decode(),
    }


@dataclass(frozen=True)
class KeySet:
    """A key set whose root signature checked out, with the document as received (kept, and checked again at start)."""

    content: KeySetContent
    document: dict
    digest: str  # SHA-256 of the signed bytes: the same version with other contents is a conflict

    @property
    def version(self) -> int:
        """The set's version; a site never goes back to a lower one."""
        return self.content.version

    def current_keys(self, now: float) -> list[str]:
        """Key ids whose validity window holds `now`."""
        return [
            key.key_id
            for key in self.content.keys
            if (key.not_before is None or now >= key.not_before) and (key.not_after is None or now <= key.not_after)
        ]

    def summary(self) -> str:
        """One line for the log and the audit."""
        revoked = f"; revoked {', '.join(self.content.revoked)}" if self.content.revoked else ""
        return f"key set v{self.version}: keys {', '.join(key.key_id for key in self.content.keys)}{revoked}"


@dataclass(frozen=True)
class Refused:
    """A key set turned away, and why."""

    reason: KeySetRefusal
    detail: str
    version: int | None = None

    def __str__(self) -> str:
        return f"{self.reason.code}: {self.detail}"


def root_keyring(cfg: FacilityConfig) -> Keyring:
    """The root keys a facility file pins, as a keyring for the one purpose they sign."""
    ring = Keyring()
    for root in cfg.tokens.root_keys:
        ring.trust(root.name, root.raw, {ROOT_PURPOSE})
    return ring


def open_keyset(data: bytes | str | object, roots: Keyring) -> KeySet | Refused:
    """A document that is a key set signed by one of `roots`, read strictly; else why not. Nothing is compared with
    the held set here (judge does that)."""
    if isinstance(data, (bytes, str)):
        if len(data) > MAX_KEYSET_BYTES:
            return Refused(KeySetRefusal.TOO_LARGE, f"{len(data)} bytes; at most {MAX_KEYSET_BYTES}")
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return Refused(KeySetRefusal.UNREADABLE, "not JSON (an HTML page, a proxy's answer?)")
    if not isinstance(data, dict) or not isinstance(data.get("keyset"), dict):
        return Refused(KeySetRefusal.UNREADABLE, f"a {type(data).__name__} without a keyset object")
    signed_by, signature = data.get("signed_by"), data.get("signature")
    if not isinstance(signed_by, str) or not isinstance(signature, str):
        return Refused(KeySetRefusal.UNREADABLE, "no signed_by or signature")
    root = roots.find(signed_by.lower(), ROOT_PURPOSE)
    if root is None:
        return Refused(
            KeySetRefusal.UNKNOWN_ROOT,
            f"signed by {signed_by[:16]!r}; roots pinned here: {', '.join(sorted(roots.keys)) or 'none'}",
        )
    try:
        raw_signature = base64.b64decode(signature, validate=True)
        message = signed_message(data["keyset"])
    except (binascii.Error, ValueError, RecursionError):
        return Refused(KeySetRefusal.UNREADABLE, "the signature or the set cannot be read")
    if not root.verifies(raw_signature, message):
        return Refused(KeySetRefusal.BAD_SIGNATURE, f"not root {signed_by.lower()}'s signature of this set")
    return _content(data, message, roots)


def _content(document: dict, message: bytes, roots: Keyring) -> KeySet | Refused:
    """The signed set read field by field, then checked for contradictions."""
    try:
        signed = SignedKeySet.model_validate(document, strict=True)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the set"
        return Refused(
            KeySetRefusal.INCONSISTENT, f"signed, but not a key set this site reads ({where}: {problem['msg']})"
        )
    content = signed.keyset
    ids = [key.key_id for key in content.keys]
    for key in content.keys:
        actual = key_id_of(base64.b64decode(key.public_key))
        if actual != key.key_id:
            return Refused(KeySetRefusal.INCONSISTENT, f"key {key.key_id} is really {actual}", content.version)
    if len(set(ids)) != len(ids):
        return Refused(KeySetRefusal.INCONSISTENT, "a key is listed twice", content.version)
    rooted = sorted(set(ids) & set(roots.keys))
    if rooted:  # a root certifies keys and signs no token (as a facility file may not pin one for tokens either)
        return Refused(
            KeySetRefusal.INCONSISTENT,
            f"root key {rooted[0]} is listed to sign tokens; a root signs key sets only",
            content.version,
        )
    both = sorted(set(ids) & set(content.revoked))
    if both:
        return Refused(KeySetRefusal.INCONSISTENT, f"key {both[0]} is both certified and revoked", content.version)
    return KeySet(content, document, hashlib.sha256(message).hexdigest())


def judge(candidate: KeySet, held: KeySet | None, now: float) -> Refused | None:
    """Whether a genuine set may replace the held one: never older (versions, not clocks: a stepped clock cannot
    bring an old set back), never the same version with other contents, and never a set with no key valid now."""
    if held is not None and candidate.version < held.version:
        return Refused(KeySetRefusal.ROLLBACK, f"v{candidate.version} offered, v{held.version} held", candidate.version)
    if held is not None and candidate.version == held.version and candidate.digest != held.digest:
        return Refused(KeySetRefusal.CONFLICT, f"two different sets claim v{held.version}", candidate.version)
    if not candidate.current_keys(now):
        return Refused(
            KeySetRefusal.NO_CURRENT_KEY,
            f"v{candidate.version}: every key's window excludes "
            f"{now:.0f} (expired, or not begun: check this site's clock)",
            candidate.version,
        )
    return None


Outcome = Literal["adopted", "held", "stale", "refused"]


@dataclass(frozen=True)
class Offer:
    """What became of a key set offered to a site."""

    outcome: Outcome
    version: int | None = None
    refusal: Refused | None = None


Audit = Callable[[str, str, str], None]  # action, reason code, detail


@dataclass
class SiteKeys:
    """The keys a site trusts to sign tokens: pinned ones, and with a root, those of the newest genuine key set."""

    cfg: FacilityConfig
    store: SqliteStore
    clock: Clock
    audit: Audit = lambda action, reason, detail: None
    listeners: list[Callable[[KeySet], None]] = field(default_factory=list)  # after each adoption, outside the lock
    # The one purpose this program also trusts the platform's published keys for, where the facility allows them
    # and pins no root (the kiosk: member passes); None: never (lockd trusts pinned and certified keys only).
    published_for: str | None = None

    def __post_init__(self) -> None:
        self.pinned = Keyring.from_config(self.cfg.tokens.trusted_keys)
        self.roots = root_keyring(self.cfg)
        self._held: KeySet | None = None
        self._ring = self.pinned
        self._loaded = False
        self._refused_before: dict[tuple[str, str], int] = {}
        self._tally = RefusalTally(self.clock.monotonic)
        self._lock = threading.RLock()

    @property
    def rooted(self) -> bool:
        """True when the facility file pins a root key (else the site behaves as it did before key sets)."""
        return bool(self.cfg.tokens.root_keys)

    @property
    def held(self) -> KeySet | None:
        """The key set adopted last (None before the first)."""
        self.load()
        return self._held

    def load(self) -> SiteKeys:
        """Read the held set from the store and check it again (the root may have changed since); once.

        Only this first read and offer() take the lock: keyring() is read while a caller may hold its store's
        lock (the kiosk judges a pass inside a transaction), and offer() takes the store's lock under this one."""
        if self._loaded:
            return self
        with self._lock:
            if self._loaded:
                return self
            self._loaded = True
            document = self.store.cached(CACHE_NAME, None) if self.rooted else None
            if document is None:
                return self
            opened = open_keyset(document, self.roots)
            if isinstance(opened, Refused):
                log.error(
                    "the key set kept in %s no longer checks out (%s); trusting the pinned keys until a new "
                    "set arrives",
                    self.store.path,
                    opened,
                )
                self.audit("keyset_refused", opened.reason.code, f"held set, from the store: {opened.detail}")
                return self
            self._held, self._ring = opened, self._compose(opened)
            log.info("holding %s", opened.summary())
            return self

    def keyring(self) -> Keyring:
        """Pinned keys, then the held set's keys (the root's word on a key is the latest), minus what it revokes;
        without a root, the pinned keys and, where this program and the facility allow them, the published ones."""
        self.load()
        if self.rooted or self.published_for is None or not self.cfg.tokens.fetch_platform_keys:
            return self._ring
        return self._with_published(self.published_for)

    def trusted_here(self, key_id: str) -> bool:
        """False for a public demo key at a site not on this machine: whoever vouches for it (a key set, the
        platform's list), anyone can sign with it."""
        return not is_demo_key(key_id) or self.cfg.on_loopback

    @property
    def held_digest(self) -> str:
        """The held set's digest ("" for none): a fetch notes it when it asks, to see whether it was overtaken."""
        held = self.held
        return held.digest if held is not None else ""

    def offer(self, data: bytes | str | object, source: str, held_when_asked: str | None = None) -> Offer:
        """A key set from the platform (`source`: "https" or "mqtt"): adopted if genuine, valid and newer; kept
        durably before it is used; every refusal logged, and audited once per distinct document.

        `held_when_asked` (a fetch's held_digest before it asked): an older set answered to a fetch that a newer
        announced set overtook in flight is "stale", dropped quietly; the same older set with nothing adopted
        meanwhile is a rollback, refused."""
        if not self.rooted:
            return Offer("refused", None, Refused(KeySetRefusal.UNKNOWN_ROOT, "this site pins no root key"))
        self.load()
        with self._lock:
            opened = open_keyset(data, self.roots)
            refusal = opened if isinstance(opened, Refused) else judge(opened, self._held, self.clock.now().timestamp())
            if (
                refusal is not None
                and refusal.reason is KeySetRefusal.ROLLBACK
                and held_when_asked is not None
                and held_when_asked != self.held_digest
            ):
                log.info("key set from %s overtaken in flight (%s); dropped", source, refusal.detail)
                return Offer("stale", refusal.version)
            if refusal is not None:
                self._refuse(refusal, data, source)
                return Offer("refused", refusal.version, refusal)
            assert isinstance(opened, KeySet)
            if self._held is not None and opened.digest == self._held.digest:
                return Offer("held", opened.version)
            self.store.cache(CACHE_NAME, opened.document)  # durable before any token is judged by it
            previous, self._held, self._ring = self._held, opened, self._compose(opened)
        log.warning(
            "adopted %s (over %s) from %s", opened.summary(), f"v{previous.version}" if previous else "none", source
        )
        self.audit("keyset_adopted", "", f"{opened.summary()}; from {source}")
        for listener in self.listeners:
            listener(opened)
        return Offer("adopted", opened.version)

    def announced(self, payload: bytes) -> None:
        """The key set announced over MQTT (retained): offered like a fetched one."""
        self.offer(payload, "mqtt")

    def _refuse(self, refusal: Refused, data: object, source: str) -> None:
        """Audit a refused document the first time it comes (a retained or re-fetched copy is the same), and of
        those at most one row per reason a minute, each carrying the count of the ones it stands for: whoever may
        publish a key set cannot grow the audit trail one row per message."""
        digest = hashlib.sha256(data if isinstance(data, bytes) else repr(data).encode()).hexdigest()
        seen = (refusal.reason.code, digest)
        if seen in self._refused_before:
            log.debug("key set from %s refused again: %s", source, refusal)
            return
        if len(self._refused_before) >= REMEMBERED_REFUSALS:
            self._refused_before.clear()
        self._refused_before[seen] = 1
        tallied = self._tally.note(refusal.reason.code)
        if not tallied.audit_now:
            log.debug("key set from %s refused: %s", source, refusal)
            return
        log.warning("key set from %s refused: %s", source, tallied.detail(str(refusal)))
        self.audit("keyset_refused", refusal.reason.code, tallied.detail(f"{refusal.detail}; from {source}"))

    def write_tally(self) -> None:
        """Audit the refusals counted since their reason's last row (at a stop: no count is lost)."""
        for reason, count in sorted(self._tally.drain().items()):
            self.audit("keyset_refused", reason, f"{count} more key set(s) refused, not audited one by one")

    def _compose(self, held: KeySet) -> Keyring:
        """The keyring for a held set; a demo key is left out unless the site is on this machine."""
        ring = Keyring(dict(self.pinned.keys))
        for key in held.content.keys:
            if not self.trusted_here(key.key_id):
                log.error(
                    "key set v%d certifies the public demo key %s: not trusted off loopback", held.version, key.key_id
                )
                continue
            ring.trust(
                f"platform {key.key_id} (key set v{held.version})",
                base64.b64decode(key.public_key),
                set(key.purposes),
                key.not_before,
                key.not_after,
            )
        return Keyring(ring.keys, revoked=frozenset(held.content.revoked))

    def _with_published(self, purpose: str) -> Keyring:
        """The pinned keys plus the platform's published keys for `purpose`, as last fetched (read on each call: a
        fetch may have brought new ones); a pinned key keeps its own entry."""
        ring = Keyring(dict(self.pinned.keys))
        for key in cached_keys(self.store):
            if purpose not in key.purposes or key.key_id in ring.keys:
                continue
            raw = base64.b64decode(key.public_key)
            if self.trusted_here(key_id_of(raw)):  # a platform that publishes a demo key is not trusted for it
                ring.trust(f"platform {key.key_id}", raw, {purpose})
        return ring


def cached_keys(store: SqliteStore) -> list[PublishedKey]:
    """The platform's published keys last fetched (validated when kept; kept as a list, as earlier versions did)."""
    try:
        return store.cached_as(PUBLISHED_CACHE_NAME, [], lambda raw: KeysAnswer.model_validate({"keys": raw}).keys)
    except ValueError as exc:
        log.error("the cached platform keys are unreadable (%s); trusting the pinned keys only", exc)
        return []
