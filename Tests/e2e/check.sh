#!/bin/bash
# End-to-end checks of trailwatch under a real systemd 252, run by e2e.service inside the container that
# scripts/systemd-e2e boots. Writes one PASS:/FAIL: line per check to $OUT/results.txt, diagnostics next
# to it, and ends the container with `systemctl exit <failures>`.
exec 2>&1
SRC=/opt/e2e/src
OUT=/opt/e2e/out
UNIT=trailwatch.service
RESULTS=$OUT/results.txt
: >"$RESULTS"
passed=0 failed=0

# ---- trailwatch specifics: what the daemon reads, writes and says (adjust here if it changes) ----------
CONFIG_DIR=/etc/trailwatch                       # the unit runs: trailwatch run --config $CONFIG_DIR/trailwatch.json
EVENTS=/var/log/at/audit.jsonl                   # matches the source glob in trailwatch.json
ALERTS=/var/log/trailwatch/alerts.jsonl          # the file sink (LogsDirectory=trailwatch)
STATE_DIR=/var/lib/trailwatch                    # StateDirectory=trailwatch
RELOADED_STATUS='reload'                         # StatusText after a SIGHUP reload contains this
COUNTERS_STATUS='3 events'                       # StatusText after the first batch contains this
REJECTED_STATUS='1 rejected'                     # StatusText after the malformed line contains this
SOURCE_NAME=at                                   # the source's name in trailwatch.json (journal SOURCE=)

install_config() {
    mkdir -p "$CONFIG_DIR/rules" "$(dirname "$EVENTS")"
    cp "$SRC/trailwatch.json" "$CONFIG_DIR/"
    cp "$SRC"/rules/*.json "$CONFIG_DIR/rules/"
    : >"$EVENTS"
    chmod -R a+rX "$CONFIG_DIR" "$(dirname "$EVENTS")"
}
append_events() { cat "$SRC/events/$1" >>"$EVENTS"; }
# The alerts in the sink as sorted "rule event-id" lines, one per event behind each alert.
alert_pairs() { jq -r '.rule as $r | .events[] | "\($r) \(.)"' "$ALERTS" 2>/dev/null | sort; }
# True when the sink holds exactly these alerts, each once (no loss, no duplicate, nothing else).
alerts_are() { [ "$(alert_pairs)" = "$(printf '%s\n' "$@" | sort)" ]; }
duplicate_alert_ids() { jq -r .id "$ALERTS" 2>/dev/null | sort | uniq -d; }
# The daemon's own journal entries (native protocol, not systemd's lines about the unit), as a JSON array.
own_journal() { journalctl -u "$UNIT" -o json --no-pager 2>/dev/null | jq -s "map($native)"; }
native='select(.SYSLOG_IDENTIFIER == "trailwatch" and ._TRANSPORT == "journal")'
# True when the journal holds a warning (or worse) for line $1 of the events file, with its source as fields.
rejection_logged() {
    [ "$(own_journal | jq --arg source "$SOURCE_NAME" --arg file "$EVENTS" --arg line "$1" \
        'map(select((.PRIORITY // "7" | tonumber) <= 4 and .SOURCE == $source and .FILE == $file and .LINE == $line)) | length')" -gt 0 ]
}
# "id rule severity" of each alert: in the sink, and as logged (info, MESSAGE=alert…, RULE=, SEVERITY=, ALERT=).
sink_alerts() { jq -r '"\(.id) \(.rule) \(.severity)"' "$ALERTS" 2>/dev/null | sort -u; }
journal_alerts() {
    jq -r "$native"' | select(.PRIORITY == "6" and (.MESSAGE | startswith("alert")) and .RULE and .SEVERITY and .ALERT)
        | "\(.ALERT) \(.RULE) \(.SEVERITY)"' "$OUT/journal.json" 2>/dev/null | sort -u
}

# ---- helpers ------------------------------------------------------------------------------------------
check() {
    local result=FAIL
    if eval "$2"; then result=PASS; passed=$((passed + 1)); else failed=$((failed + 1)); fi
    echo "$result: $1" | tee -a "$RESULTS"
}
prop() { systemctl show -p "$1" --value "$UNIT"; }
# wait_for SECONDS CONDITION: polls every 0.1 s; false when the time runs out.
wait_for() {
    local deadline=$((SECONDS + $1))
    until eval "$2"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}
running() { [ "$(prop ActiveState)/$(prop SubState)" = active/running ]; }
finish() {
    {
        systemctl status --no-pager "$UNIT"
        echo; journalctl -b --no-pager -o short-monotonic -u "$UNIT"
    } >"$OUT/journal.txt" 2>&1
    cp "$ALERTS" "$OUT/alerts.jsonl" 2>/dev/null
    systemd-analyze security --no-pager "$UNIT" >"$OUT/security.txt" 2>&1
    echo "--- check.sh: $passed passed, $failed failed"
    echo "DONE $passed $failed" >>"$RESULTS"
    systemctl exit "$failed"
}

# ---- start: active only once READY=1 arrived --------------------------------------------------------
install_config
systemctl start "$UNIT"; rc=$?
check "start returns 0 (Type=notify: READY=1 received)" '[ $rc -eq 0 ]'
check "active/running after start" 'running'
check "StatusText set at start: '$(prop StatusText)'" '[ -n "$(prop StatusText)" ]'
check "state directory populated before READY" '[ -n "$(ls -A $STATE_DIR 2>/dev/null)" ]'
check "watchdog armed (WatchdogUSec=2s from the test drop-in)" '[ "$(prop WatchdogUSec)" = 2s ]'
pid=$(prop MainPID)

# ---- events in, alerts out ------------------------------------------------------------------------
append_events 1-before-reload.jsonl
check "alerts for appended events (deletes e1, e3)" 'wait_for 15 "alerts_are \"deletes e1\" \"deletes e3\""'
check "StatusText counts events ('$COUNTERS_STATUS')" 'wait_for 5 "prop StatusText | grep -q \"$COUNTERS_STATUS\""'

# ---- reload: new rules, same process ----------------------------------------------------------------
cp "$SRC/reload/e2e.json" "$CONFIG_DIR/rules/e2e.json"
systemctl reload "$UNIT"; rc=$?
check "reload returns 0" '[ $rc -eq 0 ]'
check "StatusText after reload contains '$RELOADED_STATUS'" 'wait_for 10 "prop StatusText | grep -q \"$RELOADED_STATUS\""'
check "active/running after reload" 'wait_for 5 running'
append_events 2-after-reload.jsonl
check "reloaded rules applied (creates e4, deletes e5)" \
    'wait_for 15 "alerts_are \"deletes e1\" \"deletes e3\" \"creates e4\" \"deletes e5\""'
check "same MainPID after reload" '[ "$pid" != 0 ] && [ "$(prop MainPID)" = "$pid" ]'
check "NRestarts 0 after reload" '[ "$(prop NRestarts)" = 0 ]'

# ---- watchdog: pinged, never fires ---------------------------------------------------------------
ping1=$(prop WatchdogTimestampMonotonic)
sleep 5
check "WATCHDOG=1 pings arrive" '[ "$(prop WatchdogTimestampMonotonic)" != "$ping1" ] && [ "$(prop WatchdogTimestampMonotonic)" != 0 ]'
check "watchdog (2s) did not fire in 5s" \
    'running && [ "$(prop MainPID)" = "$pid" ] && [ "$(prop NRestarts)" = 0 ] && ! journalctl -b -u $UNIT | grep -q "Watchdog timeout"'

# ---- kill -9: restarted by systemd, resumes without loss or duplicates -----------------------------
append_events 3-before-kill.jsonl
pid=$(prop MainPID)
# Guarded: `kill -9 0` would kill this checker's own process group.
check "SIGKILL sent to MainPID $pid" '[ "$pid" -gt 0 ] && kill -9 "$pid"'
check "restarted after SIGKILL (NRestarts 1)" 'wait_for 15 "[ \"\$(prop NRestarts)\" = 1 ] && running"'
check "new MainPID after restart" '[ "$(prop MainPID)" != "$pid" ] && [ "$(prop MainPID)" != 0 ]'
append_events 4-after-restart.jsonl
check "each alert exactly once across the crash" \
    'wait_for 20 "alerts_are \"deletes e1\" \"deletes e3\" \"creates e4\" \"deletes e5\" \"deletes e6\" \"creates e7\" \"deletes e8\""'

# ---- a malformed line: rejected with its place in the journal, and the daemon goes on ------------------
bad_line=$(( $(wc -l <"$EVENTS") + 1 ))
pid=$(prop MainPID)
echo '{"id": "e-bad", "eventTime": "2026-03-01T10:00:09Z", "action": "db.user.del' >>"$EVENTS"
append_events 5-after-rejected.jsonl
check "event after a malformed line still alerts (deletes e9)" \
    'wait_for 20 "alerts_are \"deletes e1\" \"deletes e3\" \"creates e4\" \"deletes e5\" \"deletes e6\" \"creates e7\" \"deletes e8\" \"deletes e9\""'
check "malformed line logged as a warning with SOURCE=$SOURCE_NAME FILE=$EVENTS LINE=$bad_line" \
    'wait_for 10 "rejection_logged $bad_line"'
check "StatusText counts it ('$REJECTED_STATUS'), same process" \
    'wait_for 10 "prop StatusText | grep -q \"$REJECTED_STATUS\"" && running && [ "$(prop MainPID)" = "$pid" ]'
check "alert ids unique" '[ -s "$ALERTS" ] && [ -z "$(duplicate_alert_ids)" ]'

# ---- stop: clean exit on SIGTERM -------------------------------------------------------------------
systemctl stop "$UNIT"; rc=$?
check "stop returns 0" '[ $rc -eq 0 ]'
check "inactive after stop" '[ "$(prop ActiveState)" = inactive ]'
check "Result=success" '[ "$(prop Result)" = success ]'
check "ExecMainStatus=0 (exit 0 on SIGTERM)" '[ "$(prop ExecMainCode)" = 1 ] && [ "$(prop ExecMainStatus)" = 0 ]'

# ---- journal: structured entries, not text on stderr ------------------------------------------------
journalctl -b -o json _SYSTEMD_UNIT="$UNIT" >"$OUT/journal.json"
check "journal entries with SYSLOG_IDENTIFIER=trailwatch, PRIORITY and CODE_FILE" \
    '[ "$(jq -s "map($native | select(.PRIORITY != null and .CODE_FILE != null)) | length" "$OUT/journal.json")" -gt 0 ]'
check "metadata as journal fields (MESSAGE=ready with CONFIG=)" \
    '[ "$(jq -s "map($native | select(.MESSAGE == \"ready\" and .CONFIG == \"$CONFIG_DIR/trailwatch.json\")) | length" "$OUT/journal.json")" -gt 0 ]'
check "each alert logged (info, MESSAGE=alert) with RULE=, SEVERITY=, ALERT= as in the sink" \
    '[ -n "$(sink_alerts)" ] && [ "$(journal_alerts)" = "$(sink_alerts)" ]'
check "nothing logged as plain text (stderr detected as the journal)" \
    '[ "$(jq -s "map(select(._TRANSPORT == \"stdout\")) | length" "$OUT/journal.json")" = 0 ]'

finish
