#!/usr/bin/env bash
# Install what the tests need (Python dev dependencies, front-end packages, Debian's chromium for the
# Playwright browser tests) and run the whole suite on SQLite, then on PostgreSQL whenever one is
# configured (DATABASE_URL=postgres://…) or answers on 127.0.0.1:5432. With BALLOTGUARD_REQUIRE_POSTGRES=1
# (as in CI) a missing PostgreSQL is a failure, never a silent skip. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev

if ! command -v chromium >/dev/null 2>&1; then
  echo "==> Installing Debian's chromium for the browser tests"
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

echo "==> Architecture contracts (import-linter)"
.venv/bin/lint-imports --no-cache

pg_url="${DATABASE_URL:-}"
case "$pg_url" in postgres*) ;; *) pg_url="" ;; esac
if [ -z "$pg_url" ] && command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_url="postgres://postgres@127.0.0.1:5432/ballotguard"
fi
if [ -z "$pg_url" ] && [ "${BALLOTGUARD_REQUIRE_POSTGRES:-0}" = 1 ]; then
  echo "PostgreSQL is required (BALLOTGUARD_REQUIRE_POSTGRES=1) but none answers on 127.0.0.1:5432 and DATABASE_URL is not a postgres:// URL." >&2
  exit 1
fi

echo "==> Test suite on SQLite"
DATABASE_URL="sqlite:///$PWD/var/test/unused.sqlite3" .venv/bin/pytest "$@"

if [ -n "$pg_url" ]; then
  echo "==> Test suite on PostgreSQL ($(echo "$pg_url" | sed -E 's#//[^@]*@#//#'))"
  DATABASE_URL="$pg_url" .venv/bin/pytest "$@"
else
  echo "==> No PostgreSQL configured or answering on 127.0.0.1:5432: PostgreSQL run skipped."
fi
