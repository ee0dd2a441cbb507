#!/usr/bin/env bash
# `make demo`: a broadcast end to end, offline, on SQLite, in ./demo.
#
# It starts the sandbox (a local emulator of Meta's Cloud API) and the daemon, creates a workspace with a number,
# imports contacts, creates a template and has it approved, loads prices and credits, plans and sends a campaign
# with live progress, lets simulated users reply, and ends with the report and the usage summary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.venv/bin"
aimstors="$bin/aimstors"
demo="$root/demo"

free_port() { "$bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
step() { printf '\n\033[1;36m$ %s\033[0m\n' "${*/#$aimstors/aimstors}"; "$@"; }
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

rm -rf "$demo"
mkdir -p "$demo"
cd "$demo"
sandbox_port=$(free_port)
daemon_port=$(free_port)
export AIMSTORS_CONFIG="$demo/aimstors.toml"
export AIMSTORS_DATABASE_URL="sqlite+aiosqlite:///$demo/aimstors.db"
export AIMSTORS_META_GRAPH_URL="http://127.0.0.1:$sandbox_port"
export AIMSTORS_META_APP_SECRET="demo-app-secret"
export AIMSTORS_SANDBOX_URL="http://127.0.0.1:$sandbox_port"
export AIMSTORS_ADMIN_PASSWORD="demo-admin-password"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

say "1. Set up: config, database, platform, admin"
step "$aimstors" init --admin-email admin@demo.local

say "2. Start the sandbox (Meta, emulated, at 200 msg/s) and the daemon (webhooks, API, workers)"
"$aimstors" sandbox serve --port "$sandbox_port" --throughput 200 \
  --webhook-url "http://127.0.0.1:$daemon_port/webhooks/whatsapp" >"$demo/sandbox.log" 2>&1 &
pids+=($!)
"$aimstors" serve --port "$daemon_port" >"$demo/daemon.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  if curl -fs "http://127.0.0.1:$daemon_port/readyz" >/dev/null 2>&1 \
     && curl -fs "http://127.0.0.1:$sandbox_port/_sandbox/webhooks" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
echo "sandbox on :$sandbox_port, daemon on :$daemon_port (logs in demo/*.log)"

say "3. A workspace with a WhatsApp number"
step "$aimstors" tenant create bakery --name "Corner Bakery"
step "$aimstors" whatsapp connect bakery --waba-id 102290129340398 --phone-number-id 106540352242922 \
  --token sandbox-token

say "4. Contacts: the file has a bad row, so the import refuses it whole..."
step "$aimstors" contacts import "$root/examples/contacts.csv" --tenant bakery --tags spring --no-progress || true
say "...and with --skip-invalid it imports the good rows and reports the bad one"
step "$aimstors" contacts import "$root/examples/contacts.csv" --tenant bakery --tags spring --skip-invalid \
  --attr first_name --attr city --tag-column tags

say "5. A template: lint, submit, approved by (emulated) Meta"
step "$aimstors" templates create "$root/examples/templates/spring_offer.yaml" --tenant bakery
step "$aimstors" templates submit spring_offer --tenant bakery
step "$aimstors" sandbox template approve spring_offer
sleep 1
step "$aimstors" templates sync --tenant bakery
step "$aimstors" templates show spring_offer --tenant bakery

say "6. Prices and credits"
step "$aimstors" billing ratecard load "$root/examples/ratecard.csv" --plan standard
step "$aimstors" billing plan assign bakery --plan standard
step "$aimstors" credits topup bakery 50
step "$aimstors" credits balance bakery

say "7. The campaign: plan first (nothing is sent), then send with live progress"
campaign=$("$aimstors" campaign create --tenant bakery --name "Spring offer" --template spring_offer \
  --audience tag:spring --param 1=attr.first_name --json | "$bin/python" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
step "$aimstors" campaign plan "$campaign" --tenant bakery
step "$aimstors" campaign send "$campaign" --tenant bakery

say "8. Simulated customers answer"
step "$aimstors" sandbox say "+1 650 555 1000" "Can I reserve a box for Saturday?" --name "Maria A."
step "$aimstors" sandbox say "+1 650 555 1003" "Yes please!" --name "Olu D."
sleep 2

say "9. How it went"
step "$aimstors" campaign report "$campaign" --tenant bakery
step "$aimstors" usage rollup
step "$aimstors" usage --tenant bakery --since "$(date -u +%F)"
step "$aimstors" credits balance bakery

cat <<MSG

Done. Everything lives in $demo (aimstors.toml, aimstors.db, sandbox.log, daemon.log).
Look around with the same settings:
  export AIMSTORS_CONFIG=$demo/aimstors.toml AIMSTORS_DATABASE_URL=sqlite+aiosqlite:///$demo/aimstors.db
  $aimstors campaign list --tenant bakery
  $aimstors contacts list --tenant bakery --tag vip
  $aimstors campaign export $campaign --tenant bakery > recipients.csv
  $aimstors --help
MSG
