#!/usr/bin/env bash
# The README's test command (`npm test`): makes sure of what the tests need, then typecheck and vitest.
# - Chromium renders the HTML spend report (test/spend-html.test.ts).
# - PostgreSQL backs the store tests (test/store-contract.test.ts and others): a throwaway cluster for
#   the run, handed to the tests as PROMPTOPS_TEST_PG_URL and removed on exit, unless one is given.
# On Debian/Ubuntu it installs what is missing (as root, or with sudo); elsewhere it says what to
# install and stops. Arguments go to vitest (`npm test -- test/spend.test.ts`).
set -euo pipefail
cd "$(dirname "$0")/.."

need() { echo "npm test: $1 is needed by the tests and is not installed; $2" >&2; exit 1; }
apt_install() {
  local sudo=''
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || return 1
    sudo=sudo
  fi
  command -v apt-get >/dev/null || return 1
  echo "npm test: installing $* (apt-get)" >&2
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "$@" >/dev/null
}

if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  apt_install chromium || need Chromium 'install it (Debian/Ubuntu: apt-get install chromium) and run npm test again'
fi

if [ -z "${PROMPTOPS_TEST_PG_URL:-}" ]; then
  if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    apt_install postgresql || need PostgreSQL 'install it (Debian/Ubuntu: apt-get install postgresql), or set PROMPTOPS_TEST_PG_URL to a database the tests may use'
  fi
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  pgdir=$(mktemp -d)
  # initdb refuses to run as root: then the cluster runs as the postgres user, in a directory it owns.
  pgtool() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$pgbin/$1" "${@:2}"; else "$pgbin/$1" "${@:2}"; fi; }
  [ "$(id -u)" -ne 0 ] || chown postgres: "$pgdir"
  pgport=$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")
  pgtool initdb -D "$pgdir/data" -A trust -U postgres -E UTF8 --no-sync >/dev/null
  trap 'pgtool pg_ctl -D "$pgdir/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$pgdir"' EXIT
  pgtool pg_ctl -D "$pgdir/data" -l "$pgdir/log" -w -o "-k $pgdir -p $pgport -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
  export PROMPTOPS_TEST_PG_URL="postgres://postgres@127.0.0.1:$pgport/postgres"
fi

npm run -s typecheck
npx vitest run "$@"
