#!/usr/bin/env bash
# Run ringside's graph provider end to end against the fake Microsoft side
# (providers/graph/graphtest/cmd/fakegraph), all on loopback.
#
#   providers/graph/testdata/e2e-fakegraph.sh json   # JSON stream, seed scenario, prints the lines
#   providers/graph/testdata/e2e-fakegraph.sh tmux   # the console in tmux; presses r b on the first call
#   providers/graph/testdata/e2e-fakegraph.sh transfer  # JSON stream; answers a call and transfers it
#                                                       # with the one-shot commands; prints its end
#
# Run it from the repository root. Ports: fake 127.0.0.1:9444, webhook
# 127.0.0.1:8443 (override with FAKE_ADDR / WEBHOOK_ADDR). The client secret
# is a made-up value both sides agree on; no real credential is involved.
set -euo pipefail

mode=${1:-json}
fake_addr=${FAKE_ADDR:-127.0.0.1:9444}
webhook_addr=${WEBHOOK_ADDR:-127.0.0.1:8443}
tenant=contoso-tenant
client_id=2891555a-92ff-42e6-80fa-6e1300c6b5c6
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [[ $mode == tmux ]]; then tmux kill-session -t ringside-e2e 2>/dev/null || true; fi
}
trap cleanup EXIT

go build -o "$work/ringside" .
go build -o "$work/fakegraph" ./providers/graph/graphtest/cmd/fakegraph

export RINGSIDE_GRAPH_CLIENT_SECRET=not-a-real-secret

# wait_for_fake returns once the fake accepts connections: ringside loads the
# signing keys from it at start, and serves notifications only after that.
wait_for_fake() {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/${fake_addr%:*}/${fake_addr##*:}") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "the fake Graph never came up on $fake_addr" >&2
  cat "$work/fake.log" >&2
  exit 1
}
ringside_args=(--provider graph
  --graph-listen "$webhook_addr" --graph-client-id "$client_id" --graph-tenant "$tenant"
  --graph-api-base "http://$fake_addr/v1.0"
  --graph-token-url "http://$fake_addr/{tenant}/oauth2/v2.0/token"
  --graph-openid-config "http://$fake_addr/v1/.well-known/OpenIdConfiguration")

case $mode in
json)
  # The fake first: ringside loads the signing keys from it at start.
  "$work/fakegraph" -listen "$fake_addr" -webhook "http://$webhook_addr/api/calls" \
    -client-id "$client_id" -tenant "$tenant" -client-secret "$RINGSIDE_GRAPH_CLIENT_SECRET" \
    -scenario seeds -pause 300ms -stay=false >"$work/fake.log" 2>&1 &
  fake=$!
  pids+=("$fake")
  wait_for_fake
  "$work/ringside" "${ringside_args[@]}" --json >"$work/stream.jsonl" 2>"$work/ringside.log" &
  pids+=("$!")
  wait "$fake"
  sleep 1
  echo "== JSON stream (ringside --provider graph --json)"
  cat "$work/stream.jsonl"
  echo "== fake Graph log"
  cat "$work/fake.log"
  ;;
tmux)
  "$work/fakegraph" -listen "$fake_addr" -webhook "http://$webhook_addr/api/calls" \
    -client-id "$client_id" -tenant "$tenant" -client-secret "$RINGSIDE_GRAPH_CLIENT_SECRET" \
    -scenario ring -pause 300ms >"$work/fake.log" 2>&1 &
  pids+=("$!")
  wait_for_fake
  tmux new-session -d -s ringside-e2e -x 160 -y 40 \
    "RINGSIDE_GRAPH_CLIENT_SECRET=$RINGSIDE_GRAPH_CLIENT_SECRET $work/ringside ${ringside_args[*]} 2>$work/ringside.log"
  # Wait for the four calls, then reject the selected (first) one as busy.
  for _ in $(seq 50); do
    grep -q 'scenario posted' "$work/fake.log" 2>/dev/null && break
    sleep 0.2
  done
  sleep 0.5
  echo "== console with four ringing calls"
  tmux capture-pane -p -t ringside-e2e
  tmux send-keys -t ringside-e2e r
  sleep 0.3
  tmux send-keys -t ringside-e2e b
  sleep 1.5
  echo "== console after r b"
  tmux capture-pane -p -t ringside-e2e
  echo "== the fake Graph received"
  grep 'Graph API request' "$work/fake.log" || { echo "no request reached the fake Graph"; exit 1; }
  grep -q 'action=reject .*reason=busy' "$work/fake.log" && echo "OK: busy reject reached the fake Graph"
  ;;
transfer)
  if ! "$work/ringside" transfer --help >/dev/null 2>&1; then
    echo "skipped: this build has no transfer command"
    exit 0
  fi
  "$work/fakegraph" -listen "$fake_addr" -webhook "http://$webhook_addr/api/calls" \
    -client-id "$client_id" -tenant "$tenant" -client-secret "$RINGSIDE_GRAPH_CLIENT_SECRET" \
    -scenario ring -pause 100ms >"$work/fake.log" 2>&1 &
  pids+=("$!")
  wait_for_fake
  "$work/ringside" "${ringside_args[@]}" --json >"$work/stream.jsonl" 2>"$work/ringside.log" &
  pids+=("$!")
  for _ in $(seq 100); do
    grep -q 'scenario posted' "$work/fake.log" 2>/dev/null && break
    sleep 0.2
  done
  # The second call of the ring scenario is in Graph's current shape.
  id=$(grep -o 'calls="[^"]*"' "$work/fake.log" | head -1 | tr -d '"' | cut -d' ' -f2)
  oneshot=(--provider graph --graph-client-id "$client_id" --graph-tenant "$tenant"
    --graph-api-base "http://$fake_addr/v1.0" --graph-token-url "http://$fake_addr/{tenant}/oauth2/v2.0/token")
  "$work/ringside" answer "${oneshot[@]}" "$id"
  for _ in $(seq 50); do
    grep -q "\"id\":\"$id\".*\"state\":\"active\"" "$work/stream.jsonl" && break
    sleep 0.1
  done
  # A Teams user by object id: Graph answers 202, then ends the call 0/7015.
  "$work/ringside" transfer "${oneshot[@]}" "$id" --to 550fae72-d251-43ec-868c-373732c2704f
  for _ in $(seq 50); do
    grep -q "\"id\":\"$id\".*\"state\":\"ended\"" "$work/stream.jsonl" && break
    sleep 0.1
  done
  echo "== the transferred call's last line in the JSON stream"
  grep "\"id\":\"$id\"" "$work/stream.jsonl" | tail -1
  grep "\"id\":\"$id\".*\"outcome\":\"transferred\"" "$work/stream.jsonl" >/dev/null &&
    echo "OK: the call ended as transferred (0/7015)"
  ;;
*)
  echo "usage: $0 json|tmux|transfer" >&2
  exit 2
  ;;
esac
