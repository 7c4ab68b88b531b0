<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_GB">
<context>
    <name>kiosk</name>
    <message>
        <source>admit_manual</source>
        <translation>Admit manually</translation>
    </message>
    <message>
        <source>all_good</source>
        <translation></translation>
    </message>
    <message>
        <source>already</source>
        <translation>{name}, you are already checked in</translation>
    </message>
    <message>
        <source>back</source>
        <translation>Back to reception</translation>
    </message>
    <message>
        <source>camera_lost</source>
        <translation>The camera is disconnected; reconnecting…</translation>
    </message>
    <message>
        <source>check_out</source>
        <translation>Check out</translation>
    </message>
    <message>
        <source>column_kind</source>
        <translation>Kind</translation>
    </message>
    <message>
        <source>column_member</source>
        <translation>Member</translation>
    </message>
    <message>
        <source>column_name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>column_source</source>
        <translation>Source</translation>
    </message>
    <message>
        <source>column_time</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>column_until</source>
        <translation>Until</translation>
    </message>
    <message>
        <source>companion_in</source>
        <translation>Companion in (¥{fee})</translation>
    </message>
    <message>
        <source>companion_not_sold</source>
        <translation>Companion drop-in is not sold here</translation>
    </message>
    <message>
        <source>companion_out</source>
        <translation>Companion out</translation>
    </message>
    <message>
        <source>credentials</source>
        <translation>The platform refuses this facility's credentials; check-in goes on ({n} waiting to send). Call the technician</translation>
    </message>
    <message>
        <source>dead_letters</source>
        <translation>{n} check-ins could not be sent</translation>
    </message>
    <message>
        <source>dead_title</source>
        <translation>Check-ins that could not be sent</translation>
    </message>
    <message>
        <source>done</source>
        <translation>Done</translation>
    </message>
    <message>
        <source>exit</source>
        <translation>Exit kiosk</translation>
    </message>
    <message>
        <source>guests_free</source>
        <translation>Your {n} guest(s) come in with you, free of charge</translation>
    </message>
    <message>
        <source>loop_failing</source>
        <translation>Background task {name} is failing ({failures} failures, {restarts} restarts): {error}</translation>
    </message>
    <message>
        <source>member_id</source>
        <translation>Member no.</translation>
    </message>
    <message>
        <source>name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>no_end</source>
        <translation>Your visit has no time limit</translation>
    </message>
    <message>
        <source>nothing_to_override</source>
        <translation>No refusal to override</translation>
    </message>
    <message>
        <source>occupancy</source>
        <translation>{members} members and {companions} companions in</translation>
    </message>
    <message>
        <source>or_show</source>
        <translation>Or hold the app's 2D code up to the camera</translation>
    </message>
    <message>
        <source>other_language</source>
        <translation>日本語</translation>
    </message>
    <message>
        <source>override</source>
        <translation>Override last refusal</translation>
    </message>
    <message>
        <source>pin_locked</source>
        <translation>Too many tries; wait {s} s</translation>
    </message>
    <message>
        <source>pin_prompt</source>
        <translation>Staff PIN</translation>
    </message>
    <message>
        <source>pin_wrong</source>
        <translation>Wrong PIN</translation>
    </message>
    <message>
        <source>platform_down</source>
        <translation>The platform is unreachable; check-in goes on ({n} waiting to send)</translation>
    </message>
    <message>
        <source>queue</source>
        <translation>{queued} waiting to send, {dead} failed</translation>
    </message>
    <message>
        <source>reason</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>reason_needed</source>
        <translation>Enter a reason</translation>
    </message>
    <message>
        <source>refresh_in</source>
        <translation>Changes every {s} s ({left} s left)</translation>
    </message>
    <message>
        <source>refused</source>
        <translation>Entry refused</translation>
    </message>
    <message>
        <source>report</source>
        <translation>Save today's usage report</translation>
    </message>
    <message>
        <source>report_saved</source>
        <translation>Saved: {path}</translation>
    </message>
    <message>
        <source>retry_dead</source>
        <translation>Resend failed</translation>
    </message>
    <message>
        <source>room_until</source>
        <translation>{room} is yours until {time}</translation>
    </message>
    <message>
        <source>scan_desk</source>
        <translation>Scan this code with the app's check-in camera</translation>
    </message>
    <message>
        <source>see_staff</source>
        <translation>Please ask the staff</translation>
    </message>
    <message>
        <source>staff</source>
        <translation>Staff</translation>
    </message>
    <message>
        <source>staff_checks</source>
        <translation>For staff</translation>
    </message>
    <message>
        <source>store_lost</source>
        <translation>The check-in records were lost and begun anew; call the technician</translation>
    </message>
    <message>
        <source>task_kiosk-occupancy</source>
        <translation>reporting occupancy</translation>
    </message>
    <message>
        <source>task_kiosk-outbox</source>
        <translation>sending check-ins</translation>
    </message>
    <message>
        <source>task_kiosk-screen</source>
        <translation>refreshing the screen</translation>
    </message>
    <message>
        <source>task_reservation-sync</source>
        <translation>syncing bookings</translation>
    </message>
    <message>
        <source>task_retention</source>
        <translation>clearing old records</translation>
    </message>
    <message>
        <source>task_trust-refresh</source>
        <translation>fetching revocations and keys</translation>
    </message>
    <message>
        <source>until</source>
        <translation>Your visit runs until {time}</translation>
    </message>
    <message>
        <source>welcome</source>
        <translation>Welcome, {name}</translation>
    </message>
    <message>
        <source>welcome_back</source>
        <translation>Welcome back, {name}</translation>
    </message>
</context>
</TS>
