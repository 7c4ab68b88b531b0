"""Every word the kiosk shows, in Japanese (first) and English, served through Qt's translation system.

TEXTS is the source: scripts/make_translations.py writes kiosk/i18n/kiosk_{ja,en}.ts from it and
compiles them to .qm files, which t() reads with QTranslator (the key is the source text).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QTranslator

CONTEXT = "kiosk"
I18N = Path(__file__).resolve().parent / "i18n"
log = logging.getLogger(__name__)

TEXTS: dict[str, tuple[str, str]] = {
    "scan_desk": ("アプリのチェックインカメラでこのコードを読み取ってください", "Scan this code with the app's check-in camera"),
    "or_show": ("または、アプリの「2次元コードを表示」をカメラにかざしてください", "Or hold the app's 2D code up to the camera"),
    "refresh_in": ("{s}秒ごとに更新されます(あと{left}秒)", "Changes every {s} s ({left} s left)"),
    "welcome": ("ようこそ、{name} 様", "Welcome, {name}"),
    "welcome_back": ("おかえりなさい、{name} 様", "Welcome back, {name}"),
    "already": ("{name} 様は受付済みです", "{name}, you are already checked in"),
    "until": ("ご利用は {time} までです", "Your visit runs until {time}"),
    "room_until": ("{room}をご利用いただけます。{time}までです", "{room} is yours until {time}"),
    "guests_free": ("ご同行の方{n}名様は会員登録なしでご一緒にどうぞ（料金はかかりません）",
                    "Your {n} guest(s) come in with you, free of charge"),
    "no_end": ("ご利用時間の制限はありません", "Your visit has no time limit"),
    "staff_checks": ("スタッフ確認事項", "For staff"),
    "refused": ("ご利用いただけません", "Entry refused"),
    "see_staff": ("スタッフにお声がけください", "Please ask the staff"),
    "camera_lost": ("カメラが接続されていません。再接続しています…", "The camera is disconnected; reconnecting…"),
    "platform_down": ("本部と通信できません。受付は続けられます(未送信 {n} 件)",
                      "The platform is unreachable; check-in goes on ({n} waiting to send)"),
    "store_lost": ("受付記録が失われたため作り直しました。技術担当者へ連絡してください",
                   "The check-in records were lost and begun anew; call the technician"),
    "credentials": ("本部がこの施設の認証情報を受け付けません。受付は続けられます（未送信{n}件）。技術担当者へ連絡してください",
                    "The platform refuses this facility's credentials; check-in goes on ({n} waiting to send). Call the technician"),
    "loop_failing": ("バックグラウンド処理「{name}」が失敗しています（失敗{failures}回、再起動{restarts}回）：{error}",
                     "Background task {name} is failing ({failures} failures, {restarts} restarts): {error}"),
    "task_kiosk-outbox": ("受付記録の送信", "sending check-ins"),
    "task_trust-refresh": ("失効情報・鍵の取得", "fetching revocations and keys"),
    "task_kiosk-occupancy": ("在席状況の報告", "reporting occupancy"),
    "task_reservation-sync": ("予約情報の同期", "syncing bookings"),
    "task_retention": ("古い記録の整理", "clearing old records"),
    "task_kiosk-screen": ("画面の更新", "refreshing the screen"),
    "dead_letters": ("送信できなかった受付が {n} 件あります", "{n} check-ins could not be sent"),
    "all_good": ("", ""),
    "staff": ("スタッフ", "Staff"),
    "other_language": ("English", "日本語"),
    "pin_prompt": ("スタッフ暗証番号", "Staff PIN"),
    "pin_wrong": ("暗証番号が違います", "Wrong PIN"),
    "pin_locked": ("しばらくお待ちください({s}秒)", "Too many tries; wait {s} s"),
    "occupancy": ("在席 {members} 名・同伴 {companions} 名", "{members} members and {companions} companions in"),
    "queue": ("未送信 {queued} 件・送信不能 {dead} 件", "{queued} waiting to send, {dead} failed"),
    "back": ("受付に戻る", "Back to reception"),
    "exit": ("キオスクを終了", "Exit kiosk"),
    "check_out": ("退出処理", "Check out"),
    "retry_dead": ("送信不能分を再送", "Resend failed"),
    "admit_manual": ("手動で受付", "Admit manually"),
    "override": ("直前の拒否を取り消して受付", "Override last refusal"),
    "reason": ("理由", "Reason"),
    "reason_needed": ("理由を入力してください", "Enter a reason"),
    "companion_in": ("同伴者 入店 (¥{fee})", "Companion in (¥{fee})"),
    "companion_not_sold": ("同伴者の利用は販売していません", "Companion drop-in is not sold here"),
    "companion_out": ("同伴者 退店", "Companion out"),
    "report": ("本日の利用レポートを保存", "Save today's usage report"),
    "report_saved": ("保存しました: {path}", "Saved: {path}"),
    "member_id": ("会員番号", "Member no."),
    "name": ("氏名", "Name"),
    "done": ("処理しました", "Done"),
    "dead_title": ("送信不能の受付", "Check-ins that could not be sent"),
    "column_time": ("時刻", "Time"),
    "column_member": ("会員番号", "Member"),
    "column_name": ("氏名", "Name"),
    "column_kind": ("種別", "Kind"),
    "column_until": ("終了", "Until"),
    "column_source": ("受付方法", "Source"),
    "nothing_to_override": ("取り消せる拒否はありません", "No refusal to override"),
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
    """The text in the language ("ja" or "en"), with values filled in."""
    language = "en" if language == "en" else "ja"
    compiled = translator(language)
    text = compiled.translate(CONTEXT, key) if compiled is not None else ""
    if not text:  # never show a key to a member: fall back to the source table
        text = TEXTS[key][1 if language == "en" else 0]
    return text.format(**values)
