"""Signed tokens: member passes, front-desk codes and unlock commands (Ed25519, Base45)."""

from facility.tokens.formats import (
    DeskCode,
    MemberPass,
    UnlockCommand,
    display_name,
    facility_tag,
    family_name,
    mint,
    mint_pass_v1,
    new_id,
)
from facility.tokens.keys import Keyring, SigningKey, key_id_of
from facility.tokens.verify import (
    NO_REVOCATIONS,
    UNKNOWN_REVOCATIONS,
    Refusal,
    Revocations,
    authenticate_unlock_command,
    judge_unlock_command,
    peek,
    verify_desk_code,
    verify_member_pass,
    verify_unlock_command,
)

__all__ = [
    "NO_REVOCATIONS",
    "UNKNOWN_REVOCATIONS",
    "DeskCode",
    "Keyring",
    "MemberPass",
    "Refusal",
    "Revocations",
    "SigningKey",
    "UnlockCommand",
    "authenticate_unlock_command",
    "display_name",
    "facility_tag",
    "family_name",
    "judge_unlock_command",
    "key_id_of",
    "mint",
    "mint_pass_v1",
    "new_id",
    "peek",
    "verify_desk_code",
    "verify_member_pass",
    "verify_unlock_command",
]
