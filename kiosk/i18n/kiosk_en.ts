<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_GB">
<context>
    <name>kiosk</name>
    <message>
        <source>admit_manual</source>
        <translation>Admit by member number</translation>
    </message>
    <message>
        <source>admitted_by_staff</source>
        <translation>Checked in {who} until {time}</translation>
    </message>
    <message>
        <source>already</source>
        <translation>{name}, you are already checked in</translation>
    </message>
    <message>
        <source>already_anonymous</source>
        <translation>You are already checked in</translation>
    </message>
    <message>
        <source>already_out</source>
        <translation>That member has already checked out</translation>
    </message>
    <message>
        <source>back</source>
        <translation>Back to reception</translation>
    </message>
    <message>
        <source>broker_down</source>
        <translation>The site's message broker is unreachable: the desk code is off; the camera still works</translation>
    </message>
    <message>
        <source>camera_lost</source>
        <translation>The camera is disconnected; check its cable. Reconnecting</translation>
    </message>
    <message>
        <source>camera_lost_member</source>
        <translation>The camera is getting ready; please scan the desk code with the app</translation>
    </message>
    <message>
        <source>camera_lost_no_desk</source>
        <translation>Check-in is not possible just now; please ask the staff</translation>
    </message>
    <message>
        <source>camera_preparing</source>
        <translation>The camera is getting ready</translation>
    </message>
    <message>
        <source>camera_wait</source>
        <translation>Please wait while the camera gets ready</translation>
    </message>
    <message>
        <source>cancel_over</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>check_done</source>
        <translation>Done</translation>
    </message>
    <message>
        <source>check_out</source>
        <translation>Check out the chosen member</translation>
    </message>
    <message>
        <source>check_row</source>
        <translation>{time}  {name} (member {member}): {check}</translation>
    </message>
    <message>
        <source>check_ticked</source>
        <translation>Recorded for {name}: {check}</translation>
    </message>
    <message>
        <source>check_undo</source>
        <translation>Undo</translation>
    </message>
    <message>
        <source>check_undo_late</source>
        <translation>More than {m} min have passed since it was ticked; it cannot be undone</translation>
    </message>
    <message>
        <source>check_undone</source>
        <translation>{check} for {name} is waiting again</translation>
    </message>
    <message>
        <source>checked_out</source>
        <translation>Left at {time}</translation>
    </message>
    <message>
        <source>checked_out_done</source>
        <translation>Checked out {who}</translation>
    </message>
    <message>
        <source>checks_earlier</source>
        <translation>Not ticked on earlier days: {n} (kept in the records)</translation>
    </message>
    <message>
        <source>checks_none</source>
        <translation>No desk checks waiting</translation>
    </message>
    <message>
        <source>choose_row</source>
        <translation>Choose a row in the table first</translation>
    </message>
    <message>
        <source>closed_note</source>
        <translation>The facility is closed, so check-in is not possible now</translation>
    </message>
    <message>
        <source>closed_today</source>
        <translation>Closed today</translation>
    </message>
    <message>
        <source>column_kind</source>
        <translation>Entry</translation>
    </message>
    <message>
        <source>column_member</source>
        <translation>Member no.</translation>
    </message>
    <message>
        <source>column_name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>column_room</source>
        <translation>Room</translation>
    </message>
    <message>
        <source>column_source</source>
        <translation>How</translation>
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
        <source>companion_in_done</source>
        <translation>Companion recorded; collect ¥{fee}</translation>
    </message>
    <message>
        <source>companion_none</source>
        <translation>No companion is in</translation>
    </message>
    <message>
        <source>companion_out</source>
        <translation>Companion out</translation>
    </message>
    <message>
        <source>companion_out_done</source>
        <translation>Companion left</translation>
    </message>
    <message>
        <source>confirm_over</source>
        <translation>Admit over capacity</translation>
    </message>
    <message>
        <source>credentials</source>
        <translation>The platform refuses this facility's credentials; check-in goes on (waiting to send: {n}). Call the technician</translation>
    </message>
    <message>
        <source>credentials_none</source>
        <translation>The platform refuses this facility's credentials; check-in goes on. Call the technician</translation>
    </message>
    <message>
        <source>day_name_0</source>
        <translation>Monday</translation>
    </message>
    <message>
        <source>day_name_1</source>
        <translation>Tuesday</translation>
    </message>
    <message>
        <source>day_name_2</source>
        <translation>Wednesday</translation>
    </message>
    <message>
        <source>day_name_3</source>
        <translation>Thursday</translation>
    </message>
    <message>
        <source>day_name_4</source>
        <translation>Friday</translation>
    </message>
    <message>
        <source>day_name_5</source>
        <translation>Saturday</translation>
    </message>
    <message>
        <source>day_name_6</source>
        <translation>Sunday</translation>
    </message>
    <message>
        <source>dead_letters</source>
        <translation>Check-ins the platform refused: {n}. See the Sending tab</translation>
    </message>
    <message>
        <source>dead_none</source>
        <translation>Nothing was refused by the platform</translation>
    </message>
    <message>
        <source>dead_row</source>
        <translation>{time} member {member}: {why}. Call platform support to have the cause fixed, then press Send again.
(Code for platform support: {code})</translation>
    </message>
    <message>
        <source>dead_why_bad_request</source>
        <translation>the platform did not accept what it says</translation>
    </message>
    <message>
        <source>dead_why_conflict</source>
        <translation>the platform already has this check-in with other details</translation>
    </message>
    <message>
        <source>dead_why_invalid</source>
        <translation>the record is not in a form the platform accepts</translation>
    </message>
    <message>
        <source>dead_why_not_found</source>
        <translation>the platform does not know this facility</translation>
    </message>
    <message>
        <source>dead_why_other</source>
        <translation>the platform refused it</translation>
    </message>
    <message>
        <source>dead_why_too_large</source>
        <translation>the record is too large to send</translation>
    </message>
    <message>
        <source>desk_code_off</source>
        <translation>The desk code is not available now; hold the app's 2D code up to the camera</translation>
    </message>
    <message>
        <source>door_after_cutoff</source>
        <translation>No new entry for today</translation>
    </message>
    <message>
        <source>door_closed</source>
        <translation>Closed now</translation>
    </message>
    <message>
        <source>door_few_left</source>
        <translation>Few seats left</translation>
    </message>
    <message>
        <source>door_few_left_rooms</source>
        <translation>Few rooms left</translation>
    </message>
    <message>
        <source>door_full</source>
        <translation>Full at the moment</translation>
    </message>
    <message>
        <source>door_full_rooms</source>
        <translation>All rooms taken</translation>
    </message>
    <message>
        <source>door_open</source>
        <translation>Open for check-in</translation>
    </message>
    <message>
        <source>door_paused</source>
        <translation>Check-in paused</translation>
    </message>
    <message>
        <source>door_vacant</source>
        <translation>Seats free</translation>
    </message>
    <message>
        <source>door_vacant_rooms</source>
        <translation>Rooms free</translation>
    </message>
    <message>
        <source>draft_restored</source>
        <translation>Your unfinished form is back as you left it</translation>
    </message>
    <message>
        <source>entry_check_in</source>
        <translation>Check-in</translation>
    </message>
    <message>
        <source>entry_re_entry</source>
        <translation>Re-entry</translation>
    </message>
    <message>
        <source>exit</source>
        <translation>Exit the kiosk</translation>
    </message>
    <message>
        <source>exit_cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>exit_confirm</source>
        <translation>Exit</translation>
    </message>
    <message>
        <source>exit_question</source>
        <translation>Members cannot check in while the kiosk is closed. Exit?</translation>
    </message>
    <message>
        <source>fix_fresh_code</source>
        <translation>Show a fresh code in the app; saved pictures do not work</translation>
    </message>
    <message>
        <source>fix_phone_clock</source>
        <translation>Set your phone's date and time to automatic, then show the code again</translation>
    </message>
    <message>
        <source>fix_scan_desk</source>
        <translation>Scan this desk's code with the app first, then show your code again</translation>
    </message>
    <message>
        <source>fix_show_pass</source>
        <translation>Open "Show 2D code" in the app and hold it up to the camera</translation>
    </message>
    <message>
        <source>fix_update_app</source>
        <translation>Update the app, then try again</translation>
    </message>
    <message>
        <source>fix_with_representative</source>
        <translation>Please come in with the representative who booked</translation>
    </message>
    <message>
        <source>full_until</source>
        <translation>A place should free up around {when}; please try again then</translation>
    </message>
    <message>
        <source>full_wait</source>
        <translation>Places free up as members leave; please try again a little later</translation>
    </message>
    <message>
        <source>guests_free</source>
        <translation>Guests with you, free of charge and without membership: {n}</translation>
    </message>
    <message>
        <source>hold</source>
        <translation>Hold a room</translation>
    </message>
    <message>
        <source>hold_cancel</source>
        <translation>Cancel hold</translation>
    </message>
    <message>
        <source>hold_cancelled</source>
        <translation>Hold for {who} cancelled</translation>
    </message>
    <message>
        <source>hold_done</source>
        <translation>Room held for {who}: {when}, {length}</translation>
    </message>
    <message>
        <source>hold_gone</source>
        <translation>That hold was already used, lapsed or cancelled</translation>
    </message>
    <message>
        <source>hold_length</source>
        <translation>Length: {length}</translation>
    </message>
    <message>
        <source>hold_longer</source>
        <translation>+30 min</translation>
    </message>
    <message>
        <source>hold_minus_day</source>
        <translation>−1 day</translation>
    </message>
    <message>
        <source>hold_minus_hour</source>
        <translation>−1 h</translation>
    </message>
    <message>
        <source>hold_minus_quarter</source>
        <translation>−15 min</translation>
    </message>
    <message>
        <source>hold_name_hint</source>
        <translation>Name as told on the phone (optional)</translation>
    </message>
    <message>
        <source>hold_name_only</source>
        <translation>{name}</translation>
    </message>
    <message>
        <source>hold_plus_day</source>
        <translation>+1 day</translation>
    </message>
    <message>
        <source>hold_plus_hour</source>
        <translation>+1 h</translation>
    </message>
    <message>
        <source>hold_plus_quarter</source>
        <translation>+15 min</translation>
    </message>
    <message>
        <source>hold_refused_closed</source>
        <translation>The space is closed at that time</translation>
    </message>
    <message>
        <source>hold_refused_for_whom</source>
        <translation>Enter a member number or a name</translation>
    </message>
    <message>
        <source>hold_refused_length</source>
        <translation>A hold lasts from 30 min to 12 h</translation>
    </message>
    <message>
        <source>hold_refused_no_holds</source>
        <translation>This space takes no phone holds</translation>
    </message>
    <message>
        <source>hold_refused_no_room</source>
        <translation>Every room is already held at that time</translation>
    </message>
    <message>
        <source>hold_refused_past</source>
        <translation>That start time has passed</translation>
    </message>
    <message>
        <source>hold_refused_too_far</source>
        <translation>Rooms can be held up to a week ahead</translation>
    </message>
    <message>
        <source>hold_row</source>
        <translation>{when} for {length}  {who}  {space}  held until {until}</translation>
    </message>
    <message>
        <source>hold_shorter</source>
        <translation>−30 min</translation>
    </message>
    <message>
        <source>hold_start</source>
        <translation>Starts: {when}</translation>
    </message>
    <message>
        <source>hold_when</source>
        <translation>{weekday} {day}/{month} {time}</translation>
    </message>
    <message>
        <source>holds_hint</source>
        <translation>Hold a room booked by phone. It counts as in use from {early} min before the start, and is released if nobody checks in within {lapse} min of the start</translation>
    </message>
    <message>
        <source>holds_none</source>
        <translation>No rooms held</translation>
    </message>
    <message>
        <source>hours_24h</source>
        <translation>Open 24 hours</translation>
    </message>
    <message>
        <source>hours_today</source>
        <translation>Open today {hours}</translation>
    </message>
    <message>
        <source>key_clear</source>
        <translation>Clear</translation>
    </message>
    <message>
        <source>key_ok</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>length_hours</source>
        <translation>{h} h</translation>
    </message>
    <message>
        <source>length_hours_minutes</source>
        <translation>{h} h {m} min</translation>
    </message>
    <message>
        <source>length_minutes</source>
        <translation>{m} min</translation>
    </message>
    <message>
        <source>link_broker_down</source>
        <translation>Site broker unreachable</translation>
    </message>
    <message>
        <source>link_broker_none</source>
        <translation>No site broker</translation>
    </message>
    <message>
        <source>link_broker_ok</source>
        <translation>Site broker connected</translation>
    </message>
    <message>
        <source>link_camera_lost</source>
        <translation>Camera not working</translation>
    </message>
    <message>
        <source>link_camera_ok</source>
        <translation>Camera working</translation>
    </message>
    <message>
        <source>link_platform_credentials</source>
        <translation>Platform refuses this facility's credentials</translation>
    </message>
    <message>
        <source>link_platform_errors</source>
        <translation>Platform answering with errors</translation>
    </message>
    <message>
        <source>link_platform_ok</source>
        <translation>Platform reachable</translation>
    </message>
    <message>
        <source>link_platform_unreachable</source>
        <translation>Platform unreachable</translation>
    </message>
    <message>
        <source>link_sound_missing</source>
        <translation>No sound: no player installed</translation>
    </message>
    <message>
        <source>link_sound_ok</source>
        <translation>Sound working</translation>
    </message>
    <message>
        <source>link_sound_silent</source>
        <translation>No sound</translation>
    </message>
    <message>
        <source>lock_warning</source>
        <translation>Locking in {s} s — touch the screen to stay</translation>
    </message>
    <message>
        <source>loop_failing</source>
        <translation>Background task {name} is failing (failures: {failures}, restarts: {restarts}); if it goes on, call the technician. Detail: {error}</translation>
    </message>
    <message>
        <source>member_id_hint</source>
        <translation>Member no. (on the keypad)</translation>
    </message>
    <message>
        <source>member_id_invalid</source>
        <translation>That member number is not valid; enter it again</translation>
    </message>
    <message>
        <source>member_named</source>
        <translation>{name} (member {member})</translation>
    </message>
    <message>
        <source>member_unnamed</source>
        <translation>member {member}</translation>
    </message>
    <message>
        <source>missing</source>
        <translation>Still needed: {what}</translation>
    </message>
    <message>
        <source>missing_member</source>
        <translation>member number</translation>
    </message>
    <message>
        <source>missing_plan</source>
        <translation>plan</translation>
    </message>
    <message>
        <source>missing_reason</source>
        <translation>reason</translation>
    </message>
    <message>
        <source>name_hint</source>
        <translation>Name (optional)</translation>
    </message>
    <message>
        <source>next_entry</source>
        <translation>New entries from {when}</translation>
    </message>
    <message>
        <source>next_opening</source>
        <translation>Opens {when}</translation>
    </message>
    <message>
        <source>no_end</source>
        <translation>Your visit has no time limit</translation>
    </message>
    <message>
        <source>no_sound</source>
        <translation>No sound: check the speaker and its cable; check-in goes on</translation>
    </message>
    <message>
        <source>nothing_to_override</source>
        <translation>No refusal to override; admit by member number</translation>
    </message>
    <message>
        <source>occupancy</source>
        <translation>In now: members {members}, companions {companions}</translation>
    </message>
    <message>
        <source>or_show</source>
        <translation>Or open "Show 2D code" in the app and hold it up to the camera</translation>
    </message>
    <message>
        <source>other_language</source>
        <translation>日本語</translation>
    </message>
    <message>
        <source>over_capacity</source>
        <translation>The facility is full. Admit {who} over capacity?</translation>
    </message>
    <message>
        <source>override</source>
        <translation>Admit the member just refused</translation>
    </message>
    <message>
        <source>pin_locked</source>
        <translation>Too many wrong tries; try again in {s} s</translation>
    </message>
    <message>
        <source>pin_prompt</source>
        <translation>Enter the staff PIN</translation>
    </message>
    <message>
        <source>pin_wrong</source>
        <translation>Wrong PIN</translation>
    </message>
    <message>
        <source>plan_corporate</source>
        <translation>Corporate</translation>
    </message>
    <message>
        <source>plan_individual_basic</source>
        <translation>Basic</translation>
    </message>
    <message>
        <source>plan_individual_premium</source>
        <translation>Premium</translation>
    </message>
    <message>
        <source>platform_down</source>
        <translation>The platform is unreachable; check-in goes on. Waiting to send: {n}</translation>
    </message>
    <message>
        <source>platform_down_none</source>
        <translation>The platform is unreachable; check-in goes on. Nothing is waiting to be sent</translation>
    </message>
    <message>
        <source>platform_failing</source>
        <translation>The platform answers with errors; check-in goes on. Waiting to send: {n}</translation>
    </message>
    <message>
        <source>platform_failing_none</source>
        <translation>The platform answers with errors; check-in goes on. Nothing is waiting to be sent</translation>
    </message>
    <message>
        <source>queue</source>
        <translation>Waiting to send: {queued}. Refused by the platform: {dead}</translation>
    </message>
    <message>
        <source>queue_empty</source>
        <translation>Nothing is waiting to be sent</translation>
    </message>
    <message>
        <source>re_entry_only</source>
        <translation>Members already checked in today: hold the app's 2D code up to the camera to come back in</translation>
    </message>
    <message>
        <source>reason_app_trouble</source>
        <translation>App trouble</translation>
    </message>
    <message>
        <source>reason_confirmed</source>
        <translation>Confirmed with HQ</translation>
    </message>
    <message>
        <source>reason_hint</source>
        <translation>Other reason (optional)</translation>
    </message>
    <message>
        <source>reason_phone_trouble</source>
        <translation>Phone flat or broken</translation>
    </message>
    <message>
        <source>refresh_in</source>
        <translation>A new code every {s} s ({left} s left)</translation>
    </message>
    <message>
        <source>refusal_member</source>
        <translation>Refused at {time}: {name} (member {member}), because: {reason}</translation>
    </message>
    <message>
        <source>refusal_none</source>
        <translation>No one has been refused just now</translation>
    </message>
    <message>
        <source>refusal_unknown</source>
        <translation>Refused at {time}: {reason}. The pass did not say who; admit by member number</translation>
    </message>
    <message>
        <source>repeat_note</source>
        <translation>One code admits one person: anyone with you checks in with their own app</translation>
    </message>
    <message>
        <source>report</source>
        <translation>Save today's usage report on a USB stick</translation>
    </message>
    <message>
        <source>report_no_stick</source>
        <translation>No USB stick found. Plug one in, wait a few seconds, then press again</translation>
    </message>
    <message>
        <source>report_saved</source>
        <translation>Saved on the USB stick {stick} as {file}. You can unplug it now</translation>
    </message>
    <message>
        <source>report_send_failed</source>
        <translation>The platform did not take the report; save it on a USB stick for platform support (code: {code})</translation>
    </message>
    <message>
        <source>report_send_unreachable</source>
        <translation>The platform is unreachable; save the report on a USB stick, or send it again later</translation>
    </message>
    <message>
        <source>report_sending</source>
        <translation>Sending to the platform; please wait</translation>
    </message>
    <message>
        <source>report_sent</source>
        <translation>Today's usage report reached the platform (uses: {n})</translation>
    </message>
    <message>
        <source>report_too_large</source>
        <translation>Too many uses today to send (uses: {n}); save the report on a USB stick</translation>
    </message>
    <message>
        <source>report_upload</source>
        <translation>Send today's usage report to the platform</translation>
    </message>
    <message>
        <source>report_write_failed</source>
        <translation>Could not save on the USB stick {stick} ({error}); try another stick</translation>
    </message>
    <message>
        <source>retried</source>
        <translation>Sending {n} again</translation>
    </message>
    <message>
        <source>retried_none</source>
        <translation>Nothing to send again</translation>
    </message>
    <message>
        <source>retry_dead</source>
        <translation>Send again</translation>
    </message>
    <message>
        <source>room_group</source>
        <translation>group {n}</translation>
    </message>
    <message>
        <source>room_join</source>
        <translation>Into another's room</translation>
    </message>
    <message>
        <source>room_join_cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>room_join_here</source>
        <translation>Into this member's room</translation>
    </message>
    <message>
        <source>room_join_pick</source>
        <translation>Choose the member whose room {who} joins, then press Into this member's room</translation>
    </message>
    <message>
        <source>room_joined</source>
        <translation>{who} now shares a room with {other}</translation>
    </message>
    <message>
        <source>room_new</source>
        <translation>A room of their own</translation>
    </message>
    <message>
        <source>room_new_done</source>
        <translation>{who} now has a room of their own</translation>
    </message>
    <message>
        <source>room_not_counted</source>
        <translation>That check-in is not in a space counted by rooms</translation>
    </message>
    <message>
        <source>room_until</source>
        <translation>{room} is yours until {time}</translation>
    </message>
    <message>
        <source>rooms_in_use</source>
        <translation>{name}: rooms in use: {used} of {total} (held by phone: {held})</translation>
    </message>
    <message>
        <source>scan_desk</source>
        <translation>Scan this code with the app's check-in camera</translation>
    </message>
    <message>
        <source>see_staff</source>
        <translation>Please ask the staff at reception</translation>
    </message>
    <message>
        <source>source_desk_code</source>
        <translation>Desk code</translation>
    </message>
    <message>
        <source>source_member_screen</source>
        <translation>Camera</translation>
    </message>
    <message>
        <source>source_staff</source>
        <translation>Staff</translation>
    </message>
    <message>
        <source>space_booked</source>
        <translation>{name}: by booking only</translation>
    </message>
    <message>
        <source>space_closed</source>
        <translation>{name}: closed</translation>
    </message>
    <message>
        <source>space_few_left_rooms</source>
        <translation>{name}: few rooms left: {n}</translation>
    </message>
    <message>
        <source>space_few_left_seats</source>
        <translation>{name}: few seats left: {n}</translation>
    </message>
    <message>
        <source>space_full_rooms</source>
        <translation>{name}: all rooms taken</translation>
    </message>
    <message>
        <source>space_full_seats</source>
        <translation>{name}: full</translation>
    </message>
    <message>
        <source>space_vacant_rooms</source>
        <translation>{name}: rooms free: {n}</translation>
    </message>
    <message>
        <source>space_vacant_seats</source>
        <translation>{name}: seats free: {n}</translation>
    </message>
    <message>
        <source>staff</source>
        <translation>Staff</translation>
    </message>
    <message>
        <source>staff_badge</source>
        <translation>Staff ({n})</translation>
    </message>
    <message>
        <source>staff_error</source>
        <translation>That did not work; if it happens again, call the technician. Detail: {error}</translation>
    </message>
    <message>
        <source>store_lost</source>
        <translation>The check-in records were lost and begun anew; call the technician</translation>
    </message>
    <message>
        <source>strip_admitted</source>
        <translation>{name} checked in</translation>
    </message>
    <message>
        <source>tab_admit</source>
        <translation>Admit</translation>
    </message>
    <message>
        <source>tab_checks</source>
        <translation>Desk checks</translation>
    </message>
    <message>
        <source>tab_checks_n</source>
        <translation>Desk checks ({n})</translation>
    </message>
    <message>
        <source>tab_holds</source>
        <translation>Phone holds</translation>
    </message>
    <message>
        <source>tab_more</source>
        <translation>More</translation>
    </message>
    <message>
        <source>tab_queue</source>
        <translation>Sending</translation>
    </message>
    <message>
        <source>tab_today</source>
        <translation>Today</translation>
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
        <source>ticked_heading</source>
        <translation>Done (can be undone for {m} min)</translation>
    </message>
    <message>
        <source>ticked_row</source>
        <translation>Done at {time}: {name} (member {member}): {check}</translation>
    </message>
    <message>
        <source>to_counter</source>
        <translation>Please come to the reception counter</translation>
    </message>
    <message>
        <source>until</source>
        <translation>Your visit runs until {time}</translation>
    </message>
    <message>
        <source>weekday_0</source>
        <translation>Mon</translation>
    </message>
    <message>
        <source>weekday_1</source>
        <translation>Tue</translation>
    </message>
    <message>
        <source>weekday_2</source>
        <translation>Wed</translation>
    </message>
    <message>
        <source>weekday_3</source>
        <translation>Thu</translation>
    </message>
    <message>
        <source>weekday_4</source>
        <translation>Fri</translation>
    </message>
    <message>
        <source>weekday_5</source>
        <translation>Sat</translation>
    </message>
    <message>
        <source>weekday_6</source>
        <translation>Sun</translation>
    </message>
    <message>
        <source>welcome</source>
        <translation>Welcome, {name}</translation>
    </message>
    <message>
        <source>welcome_anonymous</source>
        <translation>Welcome</translation>
    </message>
    <message>
        <source>welcome_back</source>
        <translation>Welcome back, {name}</translation>
    </message>
    <message>
        <source>welcome_back_anonymous</source>
        <translation>Welcome back</translation>
    </message>
    <message>
        <source>when_date</source>
        <translation>{month}/{day} {time}</translation>
    </message>
    <message>
        <source>when_today</source>
        <translation>{time}</translation>
    </message>
    <message>
        <source>when_tomorrow</source>
        <translation>tomorrow {time}</translation>
    </message>
    <message>
        <source>when_weekday</source>
        <translation>{weekday} {time}</translation>
    </message>
</context>
</TS>
