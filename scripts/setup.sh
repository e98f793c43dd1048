#!/usr/bin/env bash
# Set up everything Ballotguard needs on a fresh machine: a virtual environment with the pinned Python
# dependencies, GOV.UK Frontend from the npm lockfile, and (first run only) generated development
# secrets in var/secrets.env. Safe to run again: each step is skipped when already up to date.
#   scripts/setup.sh          runtime dependencies
#   scripts/setup.sh --dev    plus what the tests need
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0; [ "${1:-}" = "--dev" ] && dev=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

python=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python=$candidate; break
  fi
done
[ -n "$python" ] || { echo "Ballotguard needs Python 3.11 or newer." >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  say "Creating the virtual environment (.venv) with $($python --version)"
  "$python" -m venv .venv
fi

reqs=requirements.txt; [ $dev = 1 ] && reqs=requirements-dev.txt
digest=$(cat requirements.txt requirements-dev.txt pyproject.toml | sha1sum | cut -c1-12)
stamp=".venv/.installed-$digest-$dev"
# The development set includes the runtime set: after `make test`, `make run` has nothing to install.
if [ ! -f "$stamp" ] && [ ! -f ".venv/.installed-$digest-1" ]; then
  say "Installing Python dependencies ($reqs)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$reqs"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  rm -f .venv/.installed-*; touch "$stamp"
fi

npm_stamp="node_modules/.installed-$(sha1sum package-lock.json | cut -c1-12)"
if [ ! -f "$npm_stamp" ]; then
  command -v npm >/dev/null 2>&1 || { echo "Ballotguard needs Node.js and npm for GOV.UK Frontend." >&2; exit 1; }
  say "Installing front-end packages from package-lock.json (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$npm_stamp"
fi

mkdir -p var
if [ ! -f var/secrets.env ]; then
  say "Generating development secrets in var/secrets.env (never commit this file)"
  umask 077
  .venv/bin/python - <<'PY' > var/secrets.env
import base64, os, secrets
print(f"BALLOTGUARD_SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"BALLOTGUARD_FIELD_KEYS=k{secrets.token_hex(3)}:{base64.b64encode(os.urandom(32)).decode()}")
print(f"BALLOTGUARD_MATCH_KEY={secrets.token_urlsafe(32)}")
PY
fi
