"""Every reason a pass, a command or a check-in can be refused, with its Japanese and English text.

One catalogue so that the kiosk screen, the lock daemon's answers and the audit trail
all speak the same codes.
"""

from __future__ import annotations

from enum import Enum


class Worded(Enum):
    """An enum whose members carry a stable code and the words a person reads, in Japanese and English."""

    def __init__(self, code: str, ja: str, en: str, *extra: str) -> None:
        self.code = code
        self.ja = ja
        self.en = en

    def text(self, language: str = "ja") -> str:
        """The words in the given language ("ja" or "en")."""
        return self.en if language == "en" else self.ja


class Reason(Worded):
    """A refusal reason: a stable code plus the words shown to a person."""

    # Token checks, in the order docs/architecture.md verifies them.
    TOO_LARGE = (
        "too_large",
        "会員アプリのコードではありません",
        "This is not a code from the member app",
    )
    BAD_FORMAT = ("bad_format", "会員アプリの入館コードではありません", "This is not an entry code from the member app")
    UNSUPPORTED_VERSION = (
        "unsupported_version",
        "お使いの会員アプリが古いため、読み取れません",
        "This version of the app is no longer supported here",
    )
    WRONG_TYPE = ("wrong_type", "このコードは入館コードではありません", "This is not an entry code")
    UNKNOWN_KEY = (
        "unknown_key",
        "正規の会員アプリのコードか確認できません",
        "The code could not be confirmed as issued by the app",
    )
    KEY_REVOKED = (
        "key_revoked",
        "このコードは現在ご利用いただけません。会員アプリで新しい入館コードを表示してください",
        "The code's issuer is no longer valid",
    )
    KEY_NOT_VALID = (
        "key_not_valid",
        "このコードは有効期間外です。会員アプリで新しい入館コードを表示してください",
        "The code's issuer is outside its validity period",
    )
    BAD_SIGNATURE = (
        "bad_signature",
        "このコードは書き換えられているため、確認できません",
        "The code has been altered and cannot be confirmed",
    )
    NOT_YET_VALID = (
        "not_yet_valid",
        "スマートフォンの時刻が進んでいるため、コードを確認できません",
        "The code's time is ahead of this device's clock",
    )
    EXPIRED = ("expired", "コードの有効期限が切れています", "The code has expired")
    LIFETIME_TOO_LONG = (
        "lifetime_too_long",
        "このコードの有効期間が正しくありません",
        "The code claims to be valid for longer than allowed",
    )
    REPLAYED = ("replayed", "このコードはすでに使われています", "This code has already been used")
    ISSUED_BEFORE_STORE = (
        "issued_before_store",
        "この受付機の記録が始まる前に表示されたコードです",
        "The code was issued before this device's records began",
    )
    REVOKED = ("revoked", "この入館コードは現在ご利用いただけません", "This membership cannot be used at the moment")
    REVOCATIONS_UNKNOWN = (
        "revocations_unknown",
        "利用停止の情報をまだ確認できていないため、ただいまチェックインできません",
        "Withdrawn passes could not be checked yet, so nothing is accepted for now",
    )
    WRONG_FACILITY = ("wrong_facility", "ほかの施設の入館コードです", "The code is for another facility")
    NO_FACILITY = (
        "no_facility",
        "施設が選ばれていない入館コードです",
        "The code does not say which facility it is for",
    )
    WRONG_DOOR = ("wrong_door", "このドアへの解錠指示ではありません", "The command is for another door")
    RETAINED = ("retained", "保存されていた指示では解錠できません", "A retained message never opens a door")
    CLOCK_UNTRUSTED = (
        "clock_untrusted",
        "ドアの時刻が合っていないため、解錠できません",
        "The door's clock is not synchronised",
    )
    # Reservation checks (booking facilities and meeting rooms).
    NO_RESERVATION = ("no_reservation", "ご予約が見つかりません", "We could not find your booking")
    RESERVATION_CANCELLED = ("reservation_cancelled", "ご予約はキャンセルされています", "Your booking was cancelled")
    NOT_BOOKER = ("not_booker", "解錠できるのは、ご予約されたご本人のみです", "Only the member who booked can unlock")
    NOT_REPRESENTATIVE = (
        "not_representative",
        "チェックインできるのは、ご予約の代表者の方のみです",
        "Only the person who made the booking can check in",
    )
    WRONG_ROOM = ("wrong_room", "このお部屋のご予約ではありません", "The booking is for another room")
    TOO_EARLY = ("too_early", "ご予約の開始前です", "Your booking has not started yet")
    RESERVATION_OVER = ("reservation_over", "ご予約の時間は終了しています", "Your booking has ended")
    RESERVATIONS_STALE = ("reservations_stale", "ご予約の情報を確認できません", "Bookings could not be checked")
    BOOKING_TOO_EARLY = (
        "booking_too_early",
        "ご予約は開始の1週間前から承ります",
        "Bookings open one week before the start",
    )
    BOOKING_IN_PAST = ("booking_in_past", "開始時刻を過ぎたご予約はできません", "The start time has passed")
    TOO_MANY_GUESTS = ("too_many_guests", "ご利用人数がお部屋の定員を超えています", "More people than the room holds")
    ROOM_TAKEN = ("room_taken", "その時間はすでにご予約が入っています", "The room is already booked then")
    BOOKING_TOO_SHORT = (
        "booking_too_short",
        "ご予約の時間が短すぎます",
        "The booking is shorter than this facility allows",
    )
    BOOKING_OUTSIDE_HOURS = (
        "booking_outside_hours",
        "営業時間外のご予約はできません",
        "The booking is outside the facility's opening hours",
    )
    CANCEL_TOO_LATE = (
        "cancel_too_late",
        "開始2時間前を過ぎたため、キャンセルできません",
        "Cancellation closes 2 hours before the start",
    )
    # Facility rules (docs/domain.md).
    PLAN_NOT_ADMITTED = (
        "plan_not_admitted",
        "ご契約のプランではこの施設をご利用いただけません",
        "Your plan does not cover this facility",
    )
    CLOSED = ("closed", "ただいま営業時間外です", "The facility is closed now")
    AFTER_CUTOFF = ("after_cutoff", "本日の新規受付は終了しました", "New entries have closed for today")
    DAILY_LIMIT = ("daily_limit", "本日のご利用回数の上限に達しています", "You have reached today's check-in limit")
    FULL = ("full", "ただいま満席です", "No seats are free")
    NOT_DROP_IN = ("not_drop_in", "この施設はご予約制です", "This facility is open by booking only")
    CLOSED_FOR_UNLOCK = (
        "closed_for_unlock",
        "営業時間外のため、解錠できません。お部屋から出るときは、室内の退室ボタンを押してください",
        "The facility is closed, so the door stays locked (leave with the exit button inside)",
    )

    @classmethod
    def from_code(cls, code: str) -> Reason:
        """The reason with this stable code."""
        for reason in cls:
            if reason.code == code:
                return reason
        raise KeyError(code)
