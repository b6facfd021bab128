#!/usr/bin/env bash
# End-to-end runs of the console's genesys provider against a fake GWS on
# loopback with a real Bayeux server (cometd-nodejs-server from npm) behind
# its /api/v2/notifications. Needs Go, Node.js and npm; tmux for `tmux`,
# jq and curl for `check` and `scenario`.
#
#   providers/genesys/testdata/e2e.sh serve     [PORT]  the fake GWS in the foreground
#   providers/genesys/testdata/e2e.sh tmux      [PORT]  fake GWS + console + JSON stream in tmux
#   providers/genesys/testdata/e2e.sh scenario  [PORT]  drive a running fake: ring, reject, restart…
#   providers/genesys/testdata/e2e.sh check     [PORT]  scripted --json run with assertions
#
# RINGSIDE is the console command (default: go run . from the repository);
# the password is RINGSIDE_GENESYS_PASSWORD (default demo), the user agent.
set -euo pipefail
cd "$(dirname "$0")/../../.."

cmd=${1:-help}
port=${2:-8090}
base="http://127.0.0.1:$port"
export RINGSIDE_GENESYS_PASSWORD=${RINGSIDE_GENESYS_PASSWORD:-demo}
ringside=${RINGSIDE:-go run .}
gws_flags="--provider genesys --genesys-url $base --genesys-user agent"

fake() { # fake PATH [QUERY]: one control request to the running fake GWS
	curl -sS --fail-with-body -X POST "$base/fake/$1${2:+?$2}"
}

wait_fake() {
	for _ in $(seq 1 300); do
		if curl -fsS "$base/fake/help" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	echo "the fake GWS did not come up on $base" >&2
	return 1
}

case "$cmd" in
serve)
	exec go run ./providers/genesys/gwstest/cmd/fakegws -listen "127.0.0.1:$port"
	;;

tmux)
	session=ringside-genesys
	tmux new-session -d -s "$session" -n fake "go run ./providers/genesys/gwstest/cmd/fakegws -listen 127.0.0.1:$port; read"
	wait_fake
	tmux new-window -t "$session" -n console "$ringside $gws_flags --genesys-login; read"
	tmux split-window -t "$session:console" -v -l 12 "$ringside --json $gws_flags | jq -c '{type,status,agent,detail,id:.call.id,state:.call.state,caps:.call.capabilities,outcome:.call.outcome}'; read"
	tmux select-pane -t "$session:console.0"
	echo "tmux session $session: window 'fake' runs the fake GWS, window 'console' the console (top) and its JSON stream (bottom)."
	echo "make calls ring with:  $0 scenario $port   (or curl, see $base/fake/help)"
	exec tmux attach -t "$session"
	;;

scenario)
	wait_fake
	step() { printf '\n== %s\n' "$1"; }
	step "a queue call rings: the console offers answer and reject (no reason picker)"
	queue_id=$(fake ring "from=%2B14255550100&queue=9000" | jq -r .ID)
	echo "call $queue_id"
	sleep 3
	step "a direct call rings: answer only, no reject key"
	direct_id=$(fake ring "from=5005&direct=1" | jq -r .ID)
	echo "call $direct_id"
	sleep 3
	step "a colleague calls: Workspace attached her name, the switch times the ring at 20 s"
	fake ring "from=5006&direct=1&noanswer=20&name=Kristi+Sippola" | jq -r '"call \(.ID)"'
	sleep 3
	step "the device fails (ErrorMessage): the header warns until the device reports again"
	fake error "on=device&code=41&message=DN+is+not+registered"
	sleep 3
	step "the agent turns Ready, then Not Ready (Lunch) with DND"
	fake agent "state=Ready"
	sleep 2
	fake agent "state=NotReady&name=Lunch&dnd=1"
	sleep 2
	step "the next Answer is refused by GWS with statusCode 2: try 'a' on a ringing call"
	fake fail-next "op=Answer&code=2&message=Invalid+state+for+Answer"
	sleep 6
	step "the CSRF token rotates: the next action retries once and works"
	fake rotate-csrf
	sleep 4
	step "CometD restarts; meanwhile the direct call ends and a new one rings, unannounced"
	fake restart-cometd "down=3s" &
	sleep 1
	fake release "id=$direct_id&quiet=1"
	fake ring "from=%2B33155550123&queue=9000&quiet=1"
	wait
	echo "after the resync: $direct_id ended, the new call ringing"
	sleep 4
	step "the far end hangs up the first queue call"
	fake release "id=$queue_id"
	;;

check)
	wait_fake
	out=$(mktemp)
	trap 'rm -f "$out"' EXIT
	$ringside --json $gws_flags >"$out" 2>/dev/null &
	console=$!
	trap 'kill "$console" 2>/dev/null; rm -f "$out"' EXIT
	# expect SECONDS FILTER WHAT: wait until a line of the stream matches.
	# One boolean over all lines: jq -e on select() alone judges only the
	# last line (and passes on an empty stream).
	expect() {
		for _ in $(seq 1 $(($1 * 5))); do
			jq -en --arg id "${id:-}" "any(inputs; $2)" "$out" >/dev/null 2>&1 && return 0
			sleep 0.2
		done
		echo "FAIL: $3"
		cat "$out"
		exit 1
	}
	expect 30 '.type=="status" and .status=="live"' "the console did not go live"
	id=$(fake ring "from=%2B14255550100&queue=9000" | jq -r .ID)
	expect 10 '.type=="call" and .call.id==$id and .call.state=="ringing" and (.call.capabilities|index("reject"))' \
		"call $id never rang with reject offered"
	# The one-shot command, as a second process beside the running console.
	$ringside reject $gws_flags "$id"
	expect 10 '.type=="call" and .call.id==$id and .call.state=="ended"' "call $id did not end after the reject"
	direct=$(fake ring "from=5005&direct=1" | jq -r .ID)
	sleep 1
	if $ringside reject $gws_flags "$direct" 2>/dev/null; then
		echo "FAIL: a direct call was rejected"
		exit 1
	fi
	rejected=$id
	timed=$(fake ring "from=5006&direct=1&noanswer=20&name=Kristi+Sippola" | jq -r .ID)
	id=$timed
	expect 10 '.type=="call" and .call.id==$id and .call.from.name=="Kristi Sippola" and
		((.call.answer_by|sub("\\.[0-9]+";"")|fromdateiso8601) - (.call.arrived|sub("\\.[0-9]+";"")|fromdateiso8601) == 20)' \
		"call $timed did not show the attached name and the switch's 20 s ring timeout"
	fake error "on=device&code=41&message=DN+is+not+registered" >/dev/null
	expect 10 '.type=="status" and (.warning // "" | contains("DN is not registered")) and (.detail | contains("errorCode 41"))' \
		"the device's failure did not reach the status"
	controls=""
	if $ringside hold --help >/dev/null 2>&1; then
		# Hold, resume and transfer with the one-shot commands. The console
		# beside them did not send the transfer, so its stream shows the
		# call released, not transferred: only the console that asked knows.
		id=$direct
		$ringside answer $gws_flags "$id"
		expect 10 '.type=="call" and .call.id==$id and .call.state=="active" and (.call.capabilities|index("transfer"))' \
			"call $id was not offered a transfer once answered"
		$ringside hold $gws_flags "$id"
		expect 10 '.type=="call" and .call.id==$id and .call.state=="held" and (.call.capabilities|index("resume"))' \
			"call $id did not go on hold"
		$ringside resume $gws_flags "$id"
		expect 10 '.type=="call" and .call.id==$id and .call.state=="active" and (.call.capabilities|index("hold"))' \
			"call $id did not come off hold"
		$ringside transfer $gws_flags "$id" --to 5002
		expect 10 '.type=="call" and .call.id==$id and .call.state=="ended"' "call $id did not end after its transfer"
		controls="; $direct answered, held, resumed and transferred"
	fi
	echo "PASS: ringing → rejected → ended for $rejected; reject refused for direct call $direct; switch timeout, name and device error shown$controls"
	;;

*)
	sed -n '2,14p' "$0"
	;;
esac
