#!/usr/bin/env bash
# Set up, load the demo, and start Ballotguard on http://127.0.0.1:8000 with its background task worker.
# The database is SQLite in WAL mode at var/ballotguard.sqlite3 unless DATABASE_URL says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
set -a; . var/secrets.env; set +a
export DJANGO_SETTINGS_MODULE=ballotguard.settings
bg=.venv/bin/ballotguard
$bg migrate --no-input -v 0
$bg demo "$@"
$bg db_worker --queue-name '*' --interval 1 >var/worker.log 2>&1 &
worker=$!
# The safety net for check-in alerts: every minute, send whatever is due and not yet sent.
$bg checkin-sweep --loop 60 >var/checkin-sweep.log 2>&1 &
sweeper=$!
# The candidates' survey: every hour, queue invitations and reminders for the worker (docs/survey.md).
$bg survey-sweep --loop 3600 >var/survey-sweep.log 2>&1 &
surveys=$!
# Coordinated campaigns over the database: the worker's chain runs every 15 minutes; this restarts a lost chain.
# The two analyses run at low priority (nice): the first pass over the demo takes minutes of CPU, and
# pages must answer meanwhile.
nice -n 10 $bg detect-campaigns-db --loop 300 >var/campaign-detection.log 2>&1 &
detector=$!
# The Taskforce's figures: computed now, then every 5 minutes only where their inputs changed.
nice -n 10 $bg refresh-insights --loop 300 >var/insights.log 2>&1 &
insights=$!
# Live Bluesky: a local Jetstream of demo posts, and the real connector following it (no internet needed).
$bg demo-jetstream --port "${BALLOTGUARD_DEMO_JETSTREAM_PORT:-6008}" >var/demo-jetstream.log 2>&1 &
jetstream=$!
BALLOTGUARD_BLUESKY_JETSTREAM_URL="ws://127.0.0.1:${BALLOTGUARD_DEMO_JETSTREAM_PORT:-6008}/subscribe" \
BALLOTGUARD_BLUESKY_RESOLVER_URL="http://127.0.0.1:${BALLOTGUARD_DEMO_JETSTREAM_PORT:-6008}" \
  $bg stream-bluesky >var/stream-bluesky.log 2>&1 &
streamer=$!
# Tell administrators by e-mail (the console, in the demo) when a live source stalls.
# It starts after a minute: a source that has only just been started has not been heard from yet.
(sleep 60; exec $bg check-sources --loop 60) >var/check-sources.log 2>&1 &
checker=$!
trap 'kill $worker $sweeper $surveys $detector $insights $jetstream $streamer $checker 2>/dev/null || true' EXIT INT TERM
echo "Background task worker running (pid $worker, log var/worker.log); check-in sweep every minute (var/checkin-sweep.log)."
echo "Live Bluesky demo: stream-bluesky follows a local Jetstream of demo posts (var/stream-bluesky.log); see Live message sources as the administrator."
echo "Ballotguard is starting on http://127.0.0.1:8000 — press Ctrl+C to stop."
# --preload imports the application once, before forking the workers: on a busy two-core machine the
# import takes seconds, and done in each worker it could run past the worker timeout.
.venv/bin/gunicorn ballotguard.wsgi:application --preload --bind 127.0.0.1:8000 --workers 2 --timeout 60 --access-logfile - \
  --access-logformat '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
