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
        "会員アプリのチェックインカメラで読み取ってください",
        "Scan this code with the app's check-in camera",
    ),
    "or_show": (
        "または、会員アプリで入館コードを表示して、カメラにかざしてください",
        'Or open "Show 2D code" in the app and hold it up to the camera',
    ),
    "re_entry_only": (
        "再入館の方は、会員アプリの入館コードをカメラにかざしてください",
        "Members already checked in today: hold the app's 2D code up to the camera to come back in",
    ),
    "camera_wait": ("カメラの準備ができるまで、しばらくお待ちください", "Please wait while the camera gets ready"),
    "camera_preparing": ("カメラを準備しています", "The camera is getting ready"),
    "refresh_in": ("コードは{s}秒ごとに新しくなります（あと{left}秒）", "A new code every {s} s ({left} s left)"),
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
        "カメラを準備しています。受付コードを会員アプリで読み取ってください",
        "The camera is getting ready; please scan the desk code with the app",
    ),
    "camera_lost_no_desk": (
        "ただいまチェックインできません。受付スタッフにお声がけください",
        "Check-in is not possible just now; please ask the staff",
    ),
    "desk_code_off": (
        "ただいま受付コードはご利用いただけません。会員アプリの入館コードをカメラにかざしてください",
        "The desk code is not available now; hold the app's 2D code up to the camera",
    ),
    # The verdict.
    "welcome": ("ようこそ、{name}様", "Welcome, {name}"),
    "welcome_back": ("おかえりなさい、{name}様", "Welcome back, {name}"),
    "already": ("{name}様はチェックイン済みです", "{name}, you are already checked in"),
    "welcome_anonymous": ("ようこそ", "Welcome"),
    "welcome_back_anonymous": ("おかえりなさい", "Welcome back"),
    "already_anonymous": ("チェックイン済みです", "You are already checked in"),
    "until": ("ご利用は{time}までです", "Your visit runs until {time}"),
    "room_until": ("{room}を{time}までご利用いただけます", "{room} is yours until {time}"),
    "guests_free": (
        "ご同伴の方{n}名様も、会員登録なし・無料でご一緒にご入館いただけます",
        "Guests with you, free of charge and without membership: {n}",
    ),
    "no_end": ("ご利用時間に制限はありません", "Your visit has no time limit"),
    "to_counter": ("受付カウンターへお越しください", "Please come to the reception counter"),
    "see_staff": ("受付スタッフにお声がけください", "Please ask the staff at reception"),
    "fix_show_pass": (
        "会員アプリで入館コードを表示して、カメラにかざしてください",
        'Open "Show 2D code" in the app and hold it up to the camera',
    ),
    "fix_fresh_code": (
        "会員アプリで新しい入館コードを表示してください。保存した画像はご利用いただけません",
        "Show a fresh code in the app; saved pictures do not work",
    ),
    "fix_phone_clock": (
        "スマートフォンの日付と時刻を自動設定にしてから、入館コードを表示し直してください",
        "Set your phone's date and time to automatic, then show the code again",
    ),
    "fix_update_app": ("会員アプリを最新版に更新してから、もう一度お試しください", "Update the app, then try again"),
    "fix_scan_desk": (
        "この受付コードを会員アプリで読み取ってから、入館コードを表示し直してください",
        "Scan this desk's code with the app first, then show your code again",
    ),
    "fix_with_representative": (
        "ご予約の代表者の方とご一緒にご入館ください",
        "Please come in with the representative who booked",
    ),
    "repeat_note": (
        "1つのコードでチェックインできるのはお一人です。ご一緒の会員の方は、ご自身の会員アプリでチェックインしてください",
        "One code admits one person: anyone with you checks in with their own app",
    ),
    "strip_admitted": ("{name}様を受付しました", "{name} checked in"),
    # Problems for staff (never on the members' page).
    "camera_lost": (
        "カメラが接続されていません。ケーブルを確認してください（再接続を試みています）",
        "The camera is disconnected; check its cable. Reconnecting",
    ),
    "platform_down": (
        "本部と通信できません。受付は続けられます。未送信の{n}件は、通信が戻りしだい送信します",
        "The platform is unreachable; check-in goes on. Waiting to send: {n}",
    ),
    "platform_failing": (
        "本部が正しく応答していません。受付は続けられます。未送信の{n}件は、本部が復旧しだい送信します",
        "The platform answers with errors; check-in goes on. Waiting to send: {n}",
    ),
    "broker_down": (
        "施設内の通信サーバーにつながりません。受付コードは使えませんが、カメラでの受付は続けられます",
        "The site's message broker is unreachable: the desk code is off; the camera still works",
    ),
    "store_lost": (
        "受付記録が失われたため、新しく作り直しました。技術担当者へご連絡ください",
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
            "「{name}」の処理に失敗しています（失敗{failures}回、再起動{restarts}回）。"
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
        "本部が受け付けなかった受付記録が{n}件あります。「送信状況」タブをご確認ください",
        "Check-ins the platform refused: {n}. See the Sending tab",
    ),
    # The PIN.
    "pin_prompt": ("スタッフ用の暗証番号を入力してください", "Enter the staff PIN"),
    "pin_wrong": ("暗証番号が違います", "Wrong PIN"),
    "pin_locked": ("続けて間違えたため、{s}秒後にもう一度お試しください", "Too many wrong tries; try again in {s} s"),
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
    "exit": ("受付機を終了する", "Exit the kiosk"),
    "exit_question": (
        "受付機を終了すると、会員の方がチェックインできなくなります。終了しますか？",
        "Members cannot check in while the kiosk is closed. Exit?",
    ),
    "exit_confirm": ("終了する", "Exit"),
    "exit_cancel": ("やめる", "Cancel"),
    "check_out": ("選んだ方を退館にする", "Check out the chosen member"),
    "retry_dead": ("もう一度送る", "Send again"),
    "admit_manual": ("会員番号で受付する", "Admit by member number"),
    "override": ("直前に拒否された方を受付する", "Admit the member just refused"),
    "confirm_over": ("定員を超えて受付する", "Admit over capacity"),
    "cancel_over": ("やめる", "Cancel"),
    "companion_in": ("同伴者の入館（{fee}円）", "Companion in (¥{fee})"),
    "companion_out": ("同伴者の退館", "Companion out"),  # {fee} unused: both companion buttons take it
    "report": ("本日の利用レポートをUSBメモリに保存する", "Save today's usage report on a USB stick"),
    "report_saved": (
        "USBメモリ「{stick}」に保存しました（{file}）。USBメモリを抜いてお持ちください",
        "Saved on the USB stick {stick} as {file}. You can unplug it now",
    ),
    "plan_individual_basic": ("個人ベーシック", "Basic"),
    "plan_individual_premium": ("個人プレミアム", "Premium"),
    "plan_corporate": ("法人", "Corporate"),
    "reason_app_trouble": ("会員アプリの不具合", "App trouble"),
    "reason_phone_trouble": ("スマートフォンの電池切れ・故障", "Phone flat or broken"),
    "reason_confirmed": ("本部に確認済み", "Confirmed with HQ"),
    "member_id_hint": ("会員番号（数字キーで入力）", "Member no. (on the keypad)"),
    "name_hint": ("お名前（任意）", "Name (optional)"),
    "reason_hint": ("その他の理由（任意）", "Other reason (optional)"),
    "checks_none": ("確認待ちの事項はありません", "No desk checks waiting"),
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
    "entry_check_in": ("入館", "Check-in"),
    "entry_re_entry": ("再入館", "Re-entry"),
    "source_member_screen": ("カメラ", "Camera"),
    "source_desk_code": ("受付コード", "Desk code"),
    "source_staff": ("スタッフ", "Staff"),
    "checked_out": ("退館済み（{time}）", "Left at {time}"),
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
            "{time}　会員番号{member}：{why}。本部サポートに連絡し、原因が解消してから"
            "「もう一度送る」を押してください。\n（本部サポートへ伝えるコード：{code}）"
        ),
        (
            "{time} member {member}: {why}. Call platform support to have the cause fixed, then press Send again.\n"
            "(Code for platform support: {code})"
        ),
    ),
    "dead_none": ("送信できなかった受付記録はありません", "Nothing was refused by the platform"),
    "missing": ("次の項目を入力または選択してください：{what}", "Still needed: {what}"),
    "missing_member": ("会員番号", "member number"),
    "missing_plan": ("プラン", "plan"),
    "missing_reason": ("理由", "reason"),
    "nothing_to_override": (
        "受付し直せる方はいません。会員番号で受付してください",
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
    "choose_row": ("表から退館する方を選んでください", "Choose a row in the table first"),
    "checked_out_done": ("{who}を退館にしました", "Checked out {who}"),
    "already_out": ("その方はすでに退館済みです", "That member has already checked out"),
    "companion_in_done": (
        "同伴者の入館を記録しました。{fee}円をお受け取りください",
        "Companion recorded; collect ¥{fee}",
    ),
    "companion_out_done": ("同伴者の退館を記録しました", "Companion left"),
    "companion_none": ("館内に同伴者はいません", "No companion is in"),
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
        "その方は、部屋単位で数えるスペースの受付ではありません",
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
    # --- issue 26: status ---
    # Each link as the kiosk's state (kiosk/state.py) words it for staff and the panel.
    "link_platform_ok": ("本部と通信できています", "Platform reachable"),
    "link_platform_unreachable": ("本部と通信できません", "Platform unreachable"),
    "link_platform_errors": ("本部が正しく応答していません", "Platform answering with errors"),
    "link_platform_credentials": (
        "本部がこの施設の認証情報を受け付けません",
        "Platform refuses this facility's credentials",
    ),
    "link_broker_ok": ("施設内の通信サーバーにつながっています", "Site broker connected"),
    "link_broker_down": ("施設内の通信サーバーにつながりません", "Site broker unreachable"),
    "link_broker_none": ("施設内の通信サーバーは使っていません", "No site broker"),
    "link_camera_ok": ("カメラは映っています", "Camera working"),
    "link_camera_lost": ("カメラが映っていません", "Camera not working"),
    "link_sound_ok": ("音は出ています", "Sound working"),
    "link_sound_silent": ("音が出ません", "No sound"),
    "link_sound_missing": ("音が出ません（再生ソフトがありません）", "No sound: no player installed"),
    "no_sound": (
        "音が出ません。スピーカーとケーブルを確認してください。受付は続けられます",
        "No sound: check the speaker and its cable; check-in goes on",
    ),
    # What a member can do next, when the page cannot take them now.
    "door_paused": ("ただいまチェックインを停止しています", "Check-in paused"),
    "next_opening": ("次の営業開始：{when}", "Opens {when}"),
    "next_entry": ("新規のご入館は{when}からです", "New entries from {when}"),
    "full_until": (
        "{when}ごろに空きが出る見込みです。その頃にもう一度お試しください",
        "A place should free up around {when}; please try again then",
    ),
    "full_wait": (
        "空きが出しだいご利用いただけます。しばらくしてから、もう一度お試しください",
        "Places free up as members leave; please try again a little later",
    ),
    "when_today": ("{time}", "{time}"),
    "when_tomorrow": ("明日{time}", "tomorrow {time}"),
    "when_weekday": ("{weekday}{time}", "{weekday} {time}"),
    "when_date": ("{month}月{day}日{time}", "{month}/{day} {time}"),
    "day_name_0": ("月曜", "Monday"),
    "day_name_1": ("火曜", "Tuesday"),
    "day_name_2": ("水曜", "Wednesday"),
    "day_name_3": ("木曜", "Thursday"),
    "day_name_4": ("金曜", "Friday"),
    "day_name_5": ("土曜", "Saturday"),
    "day_name_6": ("日曜", "Sunday"),
    # --- issue 26: staff ---
    # The staff page's lock, and a half-done form kept across the PIN.
    "lock_warning": (
        "あと{s}秒で画面をロックします。続けるには画面に触れてください",
        "Locking in {s} s — touch the screen to stay",
    ),
    "draft_restored": ("ロック前の入力内容を元に戻しました", "Your unfinished form is back as you left it"),
    # Desk checks: those left from earlier days, and undoing a tick.
    "checks_earlier": (
        "前の営業日までに確認されないまま終わったもの：{n}件（記録には残っています）",
        "Not ticked on earlier days: {n} (kept in the records)",
    ),
    "ticked_heading": ("確認済み（{m}分以内なら取り消せます）", "Done (can be undone for {m} min)"),
    "ticked_row": (
        "{time}に確認：{name}様（会員番号{member}）：{check}",
        "Done at {time}: {name} (member {member}): {check}",
    ),
    "check_undo": ("取り消す", "Undo"),
    "check_undone": ("{name}様の「{check}」を未確認に戻しました", "{check} for {name} is waiting again"),
    "check_undo_late": (
        "確認から{m}分を過ぎたため、取り消せません",
        "More than {m} min have passed since it was ticked; it cannot be undone",
    ),
    # The platform's trouble when nothing waits to be sent.
    "platform_down_none": (
        "本部と通信できません。受付は続けられます。送信待ちの記録はありません",
        "The platform is unreachable; check-in goes on. Nothing is waiting to be sent",
    ),
    "platform_failing_none": (
        "本部が正しく応答していません。受付は続けられます。送信待ちの記録はありません",
        "The platform answers with errors; check-in goes on. Nothing is waiting to be sent",
    ),
    "credentials_none": (
        "本部がこの施設の認証情報を受け付けません。受付は続けられます。技術担当者へご連絡ください",
        "The platform refuses this facility's credentials; check-in goes on. Call the technician",
    ),
    "queue_empty": ("送信待ちの記録はありません", "Nothing is waiting to be sent"),
    "retried_none": ("もう一度送るものはありません", "Nothing to send again"),
    # Why the platform refused a check-in for good, in a sentence.
    "dead_why_bad_request": ("本部が記録の内容を受け付けませんでした", "the platform did not accept what it says"),
    "dead_why_conflict": (
        "同じ受付記録が、別の内容ですでに本部に届いています",
        "the platform already has this check-in with other details",
    ),
    "dead_why_too_large": ("記録が大きすぎて本部に送れません", "the record is too large to send"),
    "dead_why_not_found": ("本部にこの施設が登録されていません", "the platform does not know this facility"),
    "dead_why_invalid": (
        "この記録は、本部が受け付けられる形式になっていません",
        "the record is not in a form the platform accepts",
    ),
    "dead_why_other": ("本部が受け付けませんでした", "the platform refused it"),
    # The usage report: on a USB stick, or sent to the platform.
    "report_upload": ("本日の利用レポートを本部に送る", "Send today's usage report to the platform"),
    "report_no_stick": (
        "USBメモリが見つかりません。差し込んで数秒待ってから、もう一度押してください",
        "No USB stick found. Plug one in, wait a few seconds, then press again",
    ),
    "report_write_failed": (
        "USBメモリ「{stick}」に保存できませんでした（{error}）。別のUSBメモリでお試しください",
        "Could not save on the USB stick {stick} ({error}); try another stick",
    ),
    "report_sending": ("本部に送っています。しばらくお待ちください", "Sending to the platform; please wait"),
    "report_sent": (
        "本日の利用レポート（{n}件）を本部に送りました",
        "Today's usage report reached the platform (uses: {n})",
    ),
    "report_send_unreachable": (
        "本部と通信できないため送れませんでした。USBメモリに保存するか、後でもう一度送ってください",
        "The platform is unreachable; save the report on a USB stick, or send it again later",
    ),
    "report_send_failed": (
        (
            "本部が利用レポートを受け付けませんでした。USBメモリに保存して本部サポートへお渡しください"
            "（本部サポートへ伝えるコード：{code}）"
        ),
        "The platform did not take the report; save it on a USB stick for platform support (code: {code})",
    ),
    "report_too_large": (
        "本日の利用が{n}件と多いため、本部には送れません。USBメモリに保存してください",
        "Too many uses today to send (uses: {n}); save the report on a USB stick",
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
