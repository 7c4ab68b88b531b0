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
        "officepassのコードではありません（大きすぎます）",
        "This is not an officepass code (it is too large)",
    )
    BAD_FORMAT = ("bad_format", "officepassの入館コードではありません", "This is not an officepass entry code")
    UNSUPPORTED_VERSION = (
        "unsupported_version",
        "このアプリの版のコードには対応していません",
        "This app version's code is not supported here",
    )
    WRONG_TYPE = ("wrong_type", "入館用のコードではありません", "This is not an entry code")
    UNKNOWN_KEY = (
        "unknown_key",
        "このコードが正規のアプリのものか確認できません",
        "The code could not be confirmed as issued by the app",
    )
    KEY_REVOKED = (
        "key_revoked",
        "このコードは、いまは使えない発行元のものです",
        "The code's issuer is no longer valid",
    )
    KEY_NOT_VALID = (
        "key_not_valid",
        "このコードの発行元は、いまは有効ではありません",
        "The code's issuer is outside its validity period",
    )
    BAD_SIGNATURE = (
        "bad_signature",
        "コードが書き換えられているため確認できません",
        "The code has been altered and cannot be confirmed",
    )
    NOT_YET_VALID = ("not_yet_valid", "コードの時刻が進んでいます", "The code's time is ahead")
    EXPIRED = ("expired", "コードの有効期限が切れています", "The code has expired")
    LIFETIME_TOO_LONG = (
        "lifetime_too_long",
        "有効期間が正しくないコードです",
        "The code claims an invalid validity period",
    )
    REPLAYED = ("replayed", "このコードはすでに使われています", "This code has already been used")
    ISSUED_BEFORE_STORE = (
        "issued_before_store",
        "この受付機の記録が始まる前に表示されたコードです",
        "The code was issued before this device's records began",
    )
    REVOKED = ("revoked", "この会員証は現在ご利用いただけません", "This membership pass cannot be used at present")
    REVOCATIONS_UNKNOWN = (
        "revocations_unknown",
        "利用停止の情報をまだ確認できていないため、受け付けできません",
        "Withdrawn passes could not be checked yet, so nothing is accepted for now",
    )
    WRONG_FACILITY = ("wrong_facility", "ほかの施設向けのコードです", "The code is for another facility")
    NO_FACILITY = ("no_facility", "施設が選ばれていないコードです", "The code names no facility")
    WRONG_DOOR = ("wrong_door", "このドアあての解錠指示ではありません", "The command is for another door")
    RETAINED = ("retained", "保存された指示では解錠しません", "A retained message never opens a door")
    CLOCK_UNTRUSTED = (
        "clock_untrusted",
        "ドアの時計が合っていないため解錠できません",
        "The door's clock is not synchronised",
    )
    # Reservation checks (booking facilities and meeting rooms).
    NO_RESERVATION = ("no_reservation", "ご予約が見つかりません", "No such reservation")
    RESERVATION_CANCELLED = ("reservation_cancelled", "ご予約はキャンセルされています", "The reservation was cancelled")
    NOT_BOOKER = ("not_booker", "解錠できるのはご予約者ご本人のみです", "Only the member who booked can unlock")
    NOT_REPRESENTATIVE = (
        "not_representative",
        "受付はご予約の代表者の方のみです",
        "Only the representative who booked checks in",
    )
    WRONG_ROOM = ("wrong_room", "この部屋のご予約ではありません", "The reservation is for another room")
    TOO_EARLY = ("too_early", "ご予約の開始前です", "The reservation has not started yet")
    RESERVATION_OVER = ("reservation_over", "ご予約の時間は終了しています", "The reservation has ended")
    RESERVATIONS_STALE = ("reservations_stale", "予約情報を確認できません", "Reservations could not be refreshed")
    BOOKING_TOO_EARLY = (
        "booking_too_early",
        "ご予約は開始の1週間前から承ります",
        "Bookings open one week before the start",
    )
    BOOKING_IN_PAST = ("booking_in_past", "開始時刻を過ぎたご予約はできません", "The start time has passed")
    TOO_MANY_GUESTS = ("too_many_guests", "ご利用人数が部屋の定員を超えています", "More people than the room holds")
    ROOM_TAKEN = ("room_taken", "その時間はすでに予約されています", "The room is already booked then")
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
        "開始2時間前を過ぎたためキャンセルできません",
        "Cancellation closes 2 hours before the start",
    )
    # Facility rules (docs/domain.md).
    PLAN_NOT_ADMITTED = (
        "plan_not_admitted",
        "ご契約のプランではこの施設をご利用いただけません",
        "Your plan is not admitted at this facility",
    )
    CLOSED = ("closed", "ただいま営業時間外です", "The facility is closed now")
    AFTER_CUTOFF = ("after_cutoff", "本日の新規のご入場受付は終了しました", "No new entry after today's cut-off")
    DAILY_LIMIT = ("daily_limit", "本日のご利用回数の上限に達しています", "Today's check-in limit is reached")
    FULL = ("full", "ただいま満席です", "No seats are free")
    NOT_DROP_IN = ("not_drop_in", "この施設はご予約制です", "This facility admits by booking only")
    CLOSED_FOR_UNLOCK = (
        "closed_for_unlock",
        "営業時間外のため解錠できません。退出は室内の退出ボタンをご利用ください",
        "The facility is closed, so the door stays locked (leave with the exit button inside)",
    )

    @classmethod
    def from_code(cls, code: str) -> Reason:
        """The reason with this stable code."""
        for reason in cls:
            if reason.code == code:
                return reason
        raise KeyError(code)
