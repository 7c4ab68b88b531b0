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
    TOO_LARGE = ("too_large", "コードが大きすぎます", "The code is too large")
    BAD_FORMAT = ("bad_format", "コードを読み取れません", "The code is not a valid pass")
    UNSUPPORTED_VERSION = ("unsupported_version", "対応していないコードの版です", "Unsupported code version")
    WRONG_TYPE = ("wrong_type", "この用途のコードではありません", "This code is for another purpose")
    UNKNOWN_KEY = ("unknown_key", "発行元を確認できません", "The issuing key is not trusted")
    KEY_REVOKED = ("key_revoked", "発行元の鍵は無効化されています", "The issuing key has been revoked")
    KEY_NOT_VALID = ("key_not_valid", "発行元の鍵の有効期間外です", "The issuing key is outside its validity period")
    BAD_SIGNATURE = ("bad_signature", "署名が正しくありません", "The signature does not match")
    NOT_YET_VALID = ("not_yet_valid", "まだ有効ではありません", "The code is not valid yet")
    EXPIRED = ("expired", "有効期限が切れています。アプリで再表示してください", "The code has expired; refresh it in the app")
    LIFETIME_TOO_LONG = ("lifetime_too_long", "有効期間が長すぎます", "The code claims too long a validity")
    REPLAYED = ("replayed", "このコードは使用済みです", "This code has already been used")
    ISSUED_BEFORE_STORE = ("issued_before_store", "このコードは端末の記録より前に発行されました。アプリで再表示してください",
                           "The code was issued before this device's records began; refresh it in the app")
    REVOKED = ("revoked", "このパスは無効化されています", "This pass has been revoked")
    WRONG_FACILITY = ("wrong_facility", "この施設のコードではありません", "The code is for another facility")
    NO_FACILITY = ("no_facility", "施設が指定されていないコードです。受付の2次元コードを読み取ってから表示してください",
                   "The code names no facility; scan this desk's code in the app first")
    WRONG_DOOR = ("wrong_door", "このドアの解錠指示ではありません", "The command is for another door")
    RETAINED = ("retained", "保持メッセージでは解錠しません", "A retained message never opens a door")
    CLOCK_UNTRUSTED = ("clock_untrusted", "時計が同期されていません", "The door's clock is not synchronised")
    # Reservation checks (booking facilities and meeting rooms).
    NO_RESERVATION = ("no_reservation", "予約が見つかりません", "No such reservation")
    RESERVATION_CANCELLED = ("reservation_cancelled", "予約はキャンセルされています", "The reservation was cancelled")
    NOT_BOOKER = ("not_booker", "予約者本人のみ解錠できます", "Only the member who booked can unlock")
    NOT_REPRESENTATIVE = ("not_representative", "受付は予約した代表者の方のみです。代表者とご一緒にお入りください",
                          "Only the representative who booked checks in; please come in with them")
    WRONG_ROOM = ("wrong_room", "この部屋の予約ではありません", "The reservation is for another room")
    TOO_EARLY = ("too_early", "予約時間の前です", "The reservation has not started yet")
    RESERVATION_OVER = ("reservation_over", "予約時間を過ぎています", "The reservation has ended")
    RESERVATIONS_STALE = ("reservations_stale", "予約情報を更新できません", "Reservations could not be refreshed")
    BOOKING_TOO_EARLY = ("booking_too_early", "予約は1週間前から可能です", "Bookings open one week before the start")
    BOOKING_IN_PAST = ("booking_in_past", "開始時刻を過ぎた予約はできません", "The start time has passed")
    TOO_MANY_GUESTS = ("too_many_guests", "ご利用人数が部屋の定員を超えています", "More people than the room holds")
    ROOM_TAKEN = ("room_taken", "その時間は予約済みです", "The room is already booked then")
    BOOKING_TOO_SHORT = ("booking_too_short", "予約時間が短すぎます", "The booking is shorter than this facility allows")
    BOOKING_OUTSIDE_HOURS = ("booking_outside_hours", "営業時間外の予約はできません",
                             "The booking is outside the facility's opening hours")
    CANCEL_TOO_LATE = ("cancel_too_late", "開始2時間前を過ぎたためキャンセルできません", "Cancellation closes 2 hours before the start")
    # Facility rules (docs/domain.md).
    PLAN_NOT_ADMITTED = ("plan_not_admitted", "ご利用のプランはこの施設で使えません", "Your plan is not admitted at this facility")
    CLOSED = ("closed", "営業時間外です", "The facility is closed now")
    AFTER_CUTOFF = ("after_cutoff", "本日の新規入店受付は終了しました", "No new entry after today's cut-off")
    DAILY_LIMIT = ("daily_limit", "本日の利用回数の上限に達しました", "Today's check-in limit is reached")
    FULL = ("full", "満席です", "No seats are free")
    NOT_DROP_IN = ("not_drop_in", "この施設は予約制です", "This facility admits by booking only")
    CLOSED_FOR_UNLOCK = ("closed_for_unlock", "営業時間外のため解錠できません（退出は室内の退出ボタンで）",
                         "The facility is closed, so the door stays locked (leave with the exit button inside)")

    @classmethod
    def from_code(cls, code: str) -> Reason:
        """The reason with this stable code."""
        for reason in cls:
            if reason.code == code:
                return reason
        raise KeyError(code)
