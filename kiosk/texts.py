"""Every word the kiosk shows, in Japanese (first) and English, served through Qt's translation system.

TEXTS is the source: scripts/make_translations.py writes kiosk/i18n/kiosk_{ja,en}.ts from it and
compiles them to .qm files, which t() reads with QTranslator (the key is the source text).

The values filled into a text are outside text as often as not (a member's name, a room, the platform's error):
t() passes every one through the display rule (facility/plaintext.py), a name cut to NAME_COLUMNS and a room to
ROOM_COLUMNS, so no value can break a line, reorder the words around it or run off the screen. The texts are plain
text (kiosk/widgets.py's Plain labels): no markup is composed here.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QTranslator

from facility.plaintext import NAME_COLUMNS, ROOM_COLUMNS, TEXT_COLUMNS, displayed

CONTEXT = "kiosk"
I18N = Path(__file__).resolve().parent / "i18n"
log = logging.getLogger(__name__)
VALUE_COLUMNS = {"name": NAME_COLUMNS, "room": ROOM_COLUMNS}  # a value's room on screen by its name; else TEXT_COLUMNS

TEXTS: dict[str, tuple[str, str]] = {
    # The reception page.
    "scan_desk": (
        "アプリのチェックインカメラで、このコードを読み取ってください",
        "Scan this code with the app's check-in camera",
    ),
    "or_show": (
        "アプリの「2次元コードを表示」を開いて、カメラにかざしてください",
        'Or open "Show 2D code" in the app and hold it up to the camera',
    ),
    "re_entry_only": (
        "ご利用中の方の再入場は、アプリの2次元コードをカメラにかざしてください",
        "Members already checked in today: hold the app's 2D code up to the camera to come back in",
    ),
    "camera_wait": ("カメラの準備ができるまでお待ちください", "Please wait while the camera gets ready"),
    "camera_preparing": ("カメラを準備しています", "The camera is getting ready"),
    "refresh_in": ("{s}秒ごとに新しいコードになります（あと{left}秒）", "A new code every {s} s ({left} s left)"),
    "door_open": ("受付中", "Open for check-in"),
    "door_vacant": ("空席あり", "Seats free"),
    "door_few_left": ("残りわずか", "Few seats left"),
    "door_full": ("ただいま満席です", "Full at the moment"),
    "door_after_cutoff": ("本日の新規受付は終了しました", "No new entry for today"),
    "door_closed": ("営業時間外です", "Closed now"),
    "door_vacant_rooms": ("空室あり", "Rooms free"),
    "door_few_left_rooms": ("残りわずか", "Few rooms left"),
    "door_full_rooms": ("ただいま満室です", "All rooms taken"),
    # Each space's vacancy, where a facility has several (a space's name, then its state).
    "space_closed": ("{name}：営業時間外", "{name}: closed"),
    "space_vacant_seats": ("{name}：空席あり（残り{n}席）", "{name}: seats free: {n}"),
    "space_few_left_seats": ("{name}：残りわずか（残り{n}席）", "{name}: few seats left: {n}"),
    "space_full_seats": ("{name}：満席", "{name}: full"),
    "space_vacant_rooms": ("{name}：空室あり（残り{n}室）", "{name}: rooms free: {n}"),
    "space_few_left_rooms": ("{name}：残りわずか（残り{n}室）", "{name}: few rooms left: {n}"),
    "space_full_rooms": ("{name}：満室", "{name}: all rooms taken"),
    "space_booked": ("{name}：ご予約の方のみ", "{name}: by booking only"),
    "hours_today": ("本日の営業時間　{hours}", "Open today {hours}"),
    "hours_24h": ("24時間営業", "Open 24 hours"),
    "closed_today": ("本日は休業日です", "Closed today"),
    "closed_note": (
        "ただいま営業時間外のため、チェックインできません",
        "The facility is closed, so check-in is not possible now",
    ),
    "staff": ("スタッフ", "Staff"),
    "staff_badge": ("スタッフ（{n}件）", "Staff ({n})"),
    "other_language": ("English", "日本語"),
    "camera_lost_member": (
        "カメラを準備しています。受付のコードをアプリで読み取ってください",
        "The camera is getting ready; please scan the desk code with the app",
    ),
    "camera_lost_no_desk": (
        "ただいまチェックインできません。受付スタッフにお声がけください",
        "Check-in is not possible just now; please ask the staff",
    ),
    "desk_code_off": (
        "ただいま受付のコードは使えません。アプリの2次元コードをカメラにかざしてください",
        "The desk code is not available now; hold the app's 2D code up to the camera",
    ),
    # The verdict.
    "welcome": ("ようこそ、{name}様", "Welcome, {name}"),
    "welcome_back": ("おかえりなさい、{name}様", "Welcome back, {name}"),
    "already": ("{name}様は受付済みです", "{name}, you are already checked in"),
    "welcome_anonymous": ("ようこそ", "Welcome"),
    "welcome_back_anonymous": ("おかえりなさい", "Welcome back"),
    "already_anonymous": ("受付済みです", "You are already checked in"),
    "until": ("ご利用は{time}までです", "Your visit runs until {time}"),
    "room_until": ("{room}を{time}までご利用いただけます", "{room} is yours until {time}"),
    "guests_free": (
        "ご同行の方{n}名様も、会員登録なしでご一緒にお入りいただけます。料金はかかりません",
        "Guests with you, free of charge and without membership: {n}",
    ),
    "no_end": ("ご利用時間に制限はありません", "Your visit has no time limit"),
    "to_counter": ("受付カウンターへお越しください", "Please come to the reception counter"),
    "see_staff": ("受付スタッフにお声がけください", "Please ask the staff at reception"),
    "fix_show_pass": (
        "アプリの「2次元コードを表示」を開いて、カメラにかざしてください",
        'Open "Show 2D code" in the app and hold it up to the camera',
    ),
    "fix_fresh_code": (
        "アプリで新しいコードを表示してください。保存した画像は使えません",
        "Show a fresh code in the app; saved pictures do not work",
    ),
    "fix_phone_clock": (
        "スマートフォンの日付と時刻を自動設定にしてから、コードを表示し直してください",
        "Set your phone's date and time to automatic, then show the code again",
    ),
    "fix_update_app": ("アプリを最新版に更新してから、もう一度お試しください", "Update the app, then try again"),
    "fix_scan_desk": (
        "受付のコードをアプリで読み取ってから、コードを表示し直してください",
        "Scan this desk's code with the app first, then show your code again",
    ),
    "fix_with_representative": (
        "ご予約の代表者の方とご一緒にお入りください",
        "Please come in with the representative who booked",
    ),
    "repeat_note": (
        "同じコードでもう一人は入れません。お連れの方はご自身のアプリでチェックインしてください",
        "One code admits one person: anyone with you checks in with their own app",
    ),
    "strip_admitted": ("{name}様を受付しました", "{name} checked in"),
    # Problems for staff (never on the members' page).
    "camera_lost": (
        "カメラが接続されていません。ケーブルを確認してください。再接続を続けています",
        "The camera is disconnected; check its cable. Reconnecting",
    ),
    "platform_down": (
        "本部と通信できません。受付は続けられます。未送信{n}件は通信が戻りしだい送ります",
        "The platform is unreachable; check-in goes on. Waiting to send: {n}",
    ),
    "platform_failing": (
        "本部が正しく応答していません。受付は続けられます。未送信{n}件は応答が戻りしだい送ります",
        "The platform answers with errors; check-in goes on. Waiting to send: {n}",
    ),
    "broker_down": (
        "施設内の通信サーバーにつながりません。受付のコードは使えません。カメラでの受付は続けられます",
        "The site's message broker is unreachable: the desk code is off; the camera still works",
    ),
    "store_lost": (
        "受付記録が失われたため作り直しました。技術担当者へご連絡ください",
        "The check-in records were lost and begun anew; call the technician",
    ),
    "credentials": (
        "本部がこの施設の認証情報を受け付けません。受付は続けられます（未送信{n}件）。技術担当者へご連絡ください",
        (
            "The platform refuses this facility's credentials; check-in goes on (waiting to send: {n}). "
            "Call the technician"
        ),
    ),
    "loop_failing": (
        (
            "「{name}」の処理が失敗しています（失敗{failures}回、再起動{restarts}回）。"
            "続く場合は技術担当者へご連絡ください。詳細：{error}"
        ),
        (
            "Background task {name} is failing (failures: {failures}, restarts: {restarts}); "
            "if it goes on, call the technician. Detail: {error}"
        ),
    ),
    "task_kiosk-outbox": ("受付記録の送信", "sending check-ins"),
    "task_trust-refresh": ("失効情報・鍵の取得", "fetching revocations and keys"),
    "task_kiosk-occupancy": ("在席状況の報告", "reporting occupancy"),
    "task_reservation-sync": ("予約情報の同期", "syncing bookings"),
    "task_retention": ("古い記録の整理", "clearing old records"),
    "task_kiosk-screen": ("画面の更新", "refreshing the screen"),
    "dead_letters": (
        "本部に受け付けられなかった受付が{n}件あります。「送信状況」をご確認ください",
        "Check-ins the platform refused: {n}. See the Sending tab",
    ),
    # The PIN.
    "pin_prompt": ("スタッフ用の暗証番号を入力してください", "Enter the staff PIN"),
    "pin_wrong": ("暗証番号が違います", "Wrong PIN"),
    "pin_locked": ("入力を続けて間違えたため、{s}秒お待ちください", "Too many wrong tries; try again in {s} s"),
    "back": ("受付画面に戻る", "Back to reception"),
    "key_clear": ("消去", "Clear"),
    "key_ok": ("OK", "OK"),
    # The staff page.
    "occupancy": (
        "ご利用中：会員{members}名・同伴者{companions}名",
        "In now: members {members}, companions {companions}",
    ),
    "rooms_in_use": (
        "{name}：使用中{used}室（うち電話予約{held}室）／全{total}室",
        "{name}: rooms in use: {used} of {total} (held by phone: {held})",
    ),
    "queue": (
        "未送信：{queued}件　送信できなかったもの：{dead}件",
        "Waiting to send: {queued}. Refused by the platform: {dead}",
    ),
    "tab_today": ("本日の受付", "Today"),
    "tab_checks": ("確認事項", "Desk checks"),
    "tab_checks_n": ("確認事項（{n}件）", "Desk checks ({n})"),
    "tab_admit": ("手動受付", "Admit"),
    "tab_holds": ("電話予約", "Phone holds"),
    "tab_queue": ("送信状況", "Sending"),
    "tab_more": ("その他", "More"),
    "exit": ("キオスクを終了する", "Exit the kiosk"),
    "exit_question": (
        "キオスクを終了すると、会員は受付できなくなります。終了しますか？",
        "Members cannot check in while the kiosk is closed. Exit?",
    ),
    "exit_confirm": ("終了する", "Exit"),
    "exit_cancel": ("やめる", "Cancel"),
    "check_out": ("選んだ方を退出にする", "Check out the chosen member"),
    "retry_dead": ("もう一度送る", "Send again"),
    "admit_manual": ("番号の会員を受付する", "Admit by member number"),
    "override": ("直前に拒否された方を受付する", "Admit the member just refused"),
    "confirm_over": ("定員を超えて受付する", "Admit over capacity"),
    "cancel_over": ("やめる", "Cancel"),
    "companion_in": ("同伴者の入店（{fee}円）", "Companion in (¥{fee})"),
    "companion_out": ("同伴者の退店", "Companion out"),  # {fee} unused: both companion buttons take it
    "report": ("本日の利用レポートを保存する", "Save today's usage report"),
    "report_saved": ("保存しました：{path}", "Saved: {path}"),
    "plan_individual_basic": ("個人ベーシック", "Basic"),
    "plan_individual_premium": ("個人プレミアム", "Premium"),
    "plan_corporate": ("法人", "Corporate"),
    "reason_app_trouble": ("アプリの不具合", "App trouble"),
    "reason_phone_trouble": ("スマートフォンの電池切れ・故障", "Phone flat or broken"),
    "reason_confirmed": ("本部に確認済み", "Confirmed with HQ"),
    "member_id_hint": ("会員番号（数字キーで入力）", "Member no. (on the keypad)"),
    "name_hint": ("お名前（任意）", "Name (optional)"),
    "reason_hint": ("その他の理由（任意）", "Other reason (optional)"),
    "checks_none": ("確認待ちはありません", "No desk checks waiting"),
    "check_row": ("{time}　{name}様（会員番号{member}）：{check}", "{time}  {name} (member {member}): {check}"),
    "check_done": ("確認しました", "Done"),
    "check_ticked": ("{name}様の「{check}」を記録しました", "Recorded for {name}: {check}"),
    "column_time": ("時刻", "Time"),
    "column_member": ("会員番号", "Member no."),
    "column_name": ("お名前", "Name"),
    "column_kind": ("種別", "Entry"),
    "column_until": ("終了", "Until"),
    "column_source": ("受付方法", "How"),
    "column_room": ("部屋", "Room"),
    "room_group": ("{n}組目", "group {n}"),
    "entry_check_in": ("入店", "Check-in"),
    "entry_re_entry": ("再入店", "Re-entry"),
    "source_member_screen": ("カメラ", "Camera"),
    "source_desk_code": ("受付のコード", "Desk code"),
    "source_staff": ("スタッフ", "Staff"),
    "checked_out": ("（退出済み）", " (checked out)"),
    "refusal_none": ("直前に拒否された方はいません", "No one has been refused just now"),
    "refusal_unknown": (
        "{time}に拒否：{reason}。どなたか分からないため、会員番号で受付してください",
        "Refused at {time}: {reason}. The pass did not say who; admit by member number",
    ),
    "refusal_member": (
        "{time}に拒否：{name}様（会員番号{member}）、理由：{reason}",
        "Refused at {time}: {name} (member {member}), because: {reason}",
    ),
    "dead_row": (
        (
            "{time}　会員番号{member}：本部が受け付けませんでした。"
            "内容を確かめて本部サポートへご連絡のうえ、「もう一度送る」を押してください。詳細：{error}"
        ),
        (
            "{time} member {member}: the platform refused it. Check it with platform support, then press Send again. "
            "Detail: {error}"
        ),
    ),
    "dead_none": ("送信できなかった受付はありません", "Nothing was refused by the platform"),
    "missing": ("次を入力・選択してください：{what}", "Still needed: {what}"),
    "missing_member": ("会員番号", "member number"),
    "missing_plan": ("プラン", "plan"),
    "missing_reason": ("理由", "reason"),
    "nothing_to_override": (
        "受付できる拒否はありません。会員番号で受付してください",
        "No refusal to override; admit by member number",
    ),
    "over_capacity": (
        "満席です。{who}を定員を超えて受付しますか？",
        "The facility is full. Admit {who} over capacity?",
    ),
    "admitted_by_staff": ("{who}を受付しました。ご利用は{time}までです", "Checked in {who} until {time}"),
    "member_named": ("{name}様（会員番号{member}）", "{name} (member {member})"),
    "member_unnamed": ("会員番号{member}の方", "member {member}"),
    "member_id_invalid": (
        "会員番号が正しくありません。もう一度入力してください",
        "That member number is not valid; enter it again",
    ),
    "staff_error": (
        "処理できませんでした。続く場合は技術担当者へご連絡ください。詳細：{error}",
        "That did not work; if it happens again, call the technician. Detail: {error}",
    ),
    "choose_row": ("表から退出する方を選んでください", "Choose a row in the table first"),
    "checked_out_done": ("{who}を退出にしました", "Checked out {who}"),
    "already_out": ("その方はすでに退出済みです", "That member has already checked out"),
    "companion_in_done": (
        "同伴者の入店を記録しました。{fee}円をお受け取りください",
        "Companion recorded; collect ¥{fee}",
    ),
    "companion_out_done": ("同伴者の退店を記録しました", "Companion left"),
    "companion_none": ("店内に同伴者はいません", "No companion is in"),
    "retried": ("{n}件をもう一度送ります", "Sending {n} again"),
    # Rooms a group shares: staff give a member a room of their own, or move them into another's.
    "room_new": ("別の部屋にする", "A room of their own"),
    "room_join": ("同じ部屋に移す", "Into another's room"),
    "room_join_here": ("この方の部屋に移す", "Into this member's room"),
    "room_join_cancel": ("やめる", "Cancel"),
    "room_join_pick": (
        "{who}を移す先の部屋の方を表から選んで、「この方の部屋に移す」を押してください",
        "Choose the member whose room {who} joins, then press Into this member's room",
    ),
    "room_new_done": ("{who}を別の部屋にしました", "{who} now has a room of their own"),
    "room_joined": ("{who}を{other}と同じ部屋にしました", "{who} now shares a room with {other}"),
    "room_not_counted": (
        "その方の受付は部屋単位で数えるスペースのものではありません",
        "That check-in is not in a space counted by rooms",
    ),
    # Rooms held for bookings taken by phone.
    "holds_hint": (
        (
            "電話で予約を受けたお部屋を確保します。開始{early}分前から使用中として数え、"
            "開始から{lapse}分たってもチェックインがなければ自動で解除します"
        ),
        (
            "Hold a room booked by phone. It counts as in use from {early} min before the start, and is released "
            "if nobody checks in within {lapse} min of the start"
        ),
    ),
    "hold_name_hint": ("お名前（電話で伺ったもの・任意）", "Name as told on the phone (optional)"),
    "hold_start": ("開始：{when}", "Starts: {when}"),
    "hold_length": ("ご利用時間：{length}", "Length: {length}"),
    "hold_when": ("{month}月{day}日（{weekday}）{time}", "{weekday} {day}/{month} {time}"),
    "length_hours": ("{h}時間", "{h} h"),
    "length_minutes": ("{m}分", "{m} min"),
    "length_hours_minutes": ("{h}時間{m}分", "{h} h {m} min"),
    "weekday_0": ("月", "Mon"),
    "weekday_1": ("火", "Tue"),
    "weekday_2": ("水", "Wed"),
    "weekday_3": ("木", "Thu"),
    "weekday_4": ("金", "Fri"),
    "weekday_5": ("土", "Sat"),
    "weekday_6": ("日", "Sun"),
    "hold_minus_day": ("−1日", "−1 day"),
    "hold_minus_hour": ("−1時間", "−1 h"),
    "hold_minus_quarter": ("−15分", "−15 min"),
    "hold_plus_quarter": ("＋15分", "+15 min"),
    "hold_plus_hour": ("＋1時間", "+1 h"),
    "hold_plus_day": ("＋1日", "+1 day"),
    "hold_shorter": ("−30分", "−30 min"),
    "hold_longer": ("＋30分", "+30 min"),
    "hold": ("部屋を確保する", "Hold a room"),
    "hold_cancel": ("取り消す", "Cancel hold"),
    "hold_row": (
        "{when}から{length}　{who}　{space}　{until}まで確保",
        "{when} for {length}  {who}  {space}  held until {until}",
    ),
    "hold_name_only": ("{name}様", "{name}"),
    "holds_none": ("確保中のお部屋はありません", "No rooms held"),
    "hold_done": ("{who}のお部屋を{when}から{length}確保しました", "Room held for {who}: {when}, {length}"),
    "hold_cancelled": ("{who}のお部屋の確保を取り消しました", "Hold for {who} cancelled"),
    "hold_gone": (
        "その確保は、すでに使われたか、期限が切れたか、取り消されています",
        "That hold was already used, lapsed or cancelled",
    ),
    "hold_refused_no_holds": ("このスペースでは電話予約を受け付けていません", "This space takes no phone holds"),
    "hold_refused_for_whom": ("会員番号かお名前を入力してください", "Enter a member number or a name"),
    "hold_refused_length": ("ご利用時間は30分から12時間までです", "A hold lasts from 30 min to 12 h"),
    "hold_refused_past": ("その開始時刻はすでに過ぎています", "That start time has passed"),
    "hold_refused_too_far": ("確保できるのは1週間先までです", "Rooms can be held up to a week ahead"),
    "hold_refused_closed": ("その時刻は営業時間外です", "The space is closed at that time"),
    "hold_refused_no_room": (
        "その時間はすでに全室を確保しています",
        "Every room is already held at that time",
    ),
}


@lru_cache(maxsize=4)
def translator(language: str) -> QTranslator | None:
    """The compiled translation for a language, or None if it cannot be loaded."""
    loaded = QTranslator()
    if loaded.load(str(I18N / f"kiosk_{language}.qm")):
        return loaded
    log.error("no compiled translation for %s in %s; run scripts/make_translations.py", language, I18N)
    return None


def t(key: str, language: str, **values: object) -> str:
    """The text in the language ("ja" or "en"), with values filled in (each shown as facility/plaintext.py says)."""
    language = "en" if language == "en" else "ja"
    compiled = translator(language)
    text = compiled.translate(CONTEXT, key) if compiled is not None else ""
    if not text:  # never show a key to a member: fall back to the source table
        text = TEXTS[key][1 if language == "en" else 0]
    return text.format(**{name: _value(name, value) for name, value in values.items()})


def _value(name: str, value: object) -> object:
    """A value as a text may show it: numbers as they are, anything else through the display rule."""
    if isinstance(value, int | float):
        return value
    return displayed(value, VALUE_COLUMNS.get(name, TEXT_COLUMNS))
