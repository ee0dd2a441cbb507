#!/usr/bin/env bash
# `make demo`: an offline run in ./demo on SQLite. For now it shows the foundation (init, tenants, credits);
# the broadcast demo with the sandbox and the daemon comes with the campaign engine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
aimstors="$root/.venv/bin/aimstors"
demo="$root/demo"
rm -rf "$demo"
mkdir -p "$demo"
cd "$demo"
export AIMSTORS_CONFIG="$demo/aimstors.toml"
export AIMSTORS_DATABASE_URL="sqlite+aiosqlite:///$demo/aimstors.db"

step() { printf '\n\033[1;36m$ %s\033[0m\n' "$*"; "$@"; }

step "$aimstors" init --admin-email admin@demo.local
step "$aimstors" init
step "$aimstors" tenant create acme-reseller --kind reseller --name "Acme Agency"
step "$aimstors" tenant create bakery --parent acme-reseller --name "Corner Bakery"
step "$aimstors" credits topup acme-reseller 500
step "$aimstors" credits allocate acme-reseller bakery 120
step "$aimstors" credits balance bakery
step "$aimstors" tenant list
step "$aimstors" user create owner@bakery.local --password "bakery-owner-pw" --tenant bakery --role workspace_admin
step "$aimstors" --as owner@bakery.local tenant list
step "$aimstors" jobs stats

cat <<MSG

Look around: the demo lives in $demo (config aimstors.toml, database aimstors.db).
  export AIMSTORS_CONFIG=$demo/aimstors.toml AIMSTORS_DATABASE_URL=sqlite+aiosqlite:///$demo/aimstors.db
  $aimstors --help
MSG
