#!/usr/bin/env bash
# City benchmark: start the portal as in production (gunicorn, several workers, DEBUG off, PostgreSQL,
# Redis), log in many distinct parents, drive locust headless on 127.0.0.1, print per-page tables.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city bench/run_load.sh [scenario...]
#
# Scenarios (default: all, in this order):
#   unloaded   1 parent, no think time: latency of home, month calendar, invoices list (tag core)
#   saturated  many parents, no think time, the whole read mix: throughput
#   saturated-html  the same without the invoice PDF (the HTML pages alone)
#   race       100 parents booking the same Wednesdays (book, recap, commit; cancel; again), then the
#              Occupancy check (counters = bookings, none over capacity)
#   ratios     the reference page (bench/reference.py), the month calendar and the home page, each alone and
#              saturated, twice in turn: each page's requests/s as a share of the reference's
#   race-holidays  150 parents on a holiday booking window: « Journée » every day of the first holiday week
#              (120 places), then the same check
#   opening    the morning bookings open (issue 17): parents NOT logged in arrive at 2, 5 and 10 a second
#              (scaled by the reference page's req/s against 480), log in through the form, tick 2–4 Wednesdays
#              and confirm with think time; arrival → confirmation, login and commit p95, errors, counters check
# Every locust run is bounded (-t); gunicorn is stopped on exit. Results: bench-results/*.csv, *.md.
#
# Knobs: WORKERS (gunicorn workers, default 2), THREADS (threads per worker, default 2; 1: sync workers), ACCESS_LOG (1: gunicorn access log), PORT (8077), UNLOADED_TIME (45s), SATURATED_USERS (40),
# SATURATED_TIME (60s), RACE_TIME (45s), RACERS (100), HOLIDAY_RACERS (150), READERS (2000);
# opening: OPENING_RATES ("2 5 10" arrivals a second on the issue's 480 req/s machine), OPENING_SCALE (default:
# reference req/s ÷ 480, measured first), OPENING_ARRIVALS (arrival time, 45 s), OPENING_TAIL (90 s to finish).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PY:-$ROOT/.venv/bin/python}
LOCUST=${LOCUST:-$ROOT/.venv/bin/locust}
GUNICORN=${GUNICORN:-$ROOT/.venv/bin/gunicorn}
export PORT=${PORT:-8077}  # exported: bench/cpu_split.py tells this run's gunicorn from others by it
# 2 workers of 2 threads on 2 cores: the most pages/s and commits/s of the layouts measured (BENCHMARKS.md,
# fourth session): a thread waiting on PostgreSQL (a query, a counter lock) leaves the core to the other.
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-2}
OUT=${OUT:-$ROOT/bench-results}
SCENARIOS=${*:-unloaded ratios saturated saturated-html race race-holidays}

[ -x "$LOCUST" ] || "$PY" -m pip install --quiet -r requirements/bench.txt  # the load tool, never in production
case "${DATABASE_URL:-}" in
  *@127.0.0.1:*|*@localhost:*) ;;
  *) echo "DATABASE_URL must point to the local city database, e.g. postgres://postgres@127.0.0.1:5432/portal_city" >&2; exit 2 ;;
esac

# Production settings, on the loopback only (no TLS here: a reverse proxy would terminate it).
export DEBUG=False
export DJANGO_SETTINGS_MODULE=bench.settings  # production settings + the reference page
export SECRET_KEY=${SECRET_KEY:-bench-only-secret-key-not-for-production-0123456789abcdef}
export ALLOWED_HOSTS=127.0.0.1
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/5}
export SECURE_SSL_REDIRECT=False SECURE_COOKIES=False SECURE_HSTS_SECONDS=0
export CONN_MAX_AGE=${CONN_MAX_AGE:-60}
export LOG_LEVEL=WARNING
export EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
# Behind one trusted proxy, as in production: the opening scenario's parents each come from their own address
# (X-Forwarded-For); the other scenarios send none, and REMOTE_ADDR is used.
export TRUSTED_PROXY_COUNT=${TRUSTED_PROXY_COUNT:-1}
export PYTHONDONTWRITEBYTECODE=1
mkdir -p "$OUT"

echo "== machine"
echo "nproc: $(nproc); RAM: $(free -g | awk '/Mem:/{print $2}') GB; CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
psql "$DATABASE_URL" -tAc "select version()" | cut -c1-60
"$PY" -c "import django, locust, gunicorn; print('Django', django.get_version(), '· locust', locust.__version__, '· gunicorn', gunicorn.__version__)"

echo "== static files (manifest storage, DEBUG off)"
export STATIC_ROOT="$OUT/static"  # apart from the checkout's staticfiles/, which a test run may be reading
"$PY" manage.py collectstatic --noinput -v0
echo "== sessions"
"$PY" bench/prepare.py --readers "${READERS:-2000}" --racers "${RACERS:-100}" \
  --holiday-racers "${HOLIDAY_RACERS:-150}" --out "$OUT/users.json"
if [[ " $SCENARIOS " == *" saturated "* ]]; then  # the only scenario that downloads invoice PDFs
  echo "== invoice PDFs stored as production has them (rendered at issue; only the missing ones are rendered)"
  "$PY" bench/render_pdfs.py --prepare-load --processes 2 | tail -2
fi

echo "== gunicorn: $WORKERS workers of $THREADS thread(s) on 127.0.0.1:$PORT"
# No access log by default, as gunicorn's own default (the reverse proxy logs requests; writing one line
# a request costs the workers ≈ 2 % of their CPU). ACCESS_LOG=1 writes the status codes to gunicorn_access.log.
# More than one thread turns gunicorn's sync workers into gthread ones.
"$GUNICORN" portal.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WORKERS" --threads "$THREADS" \
  --timeout 60 --log-level warning ${ACCESS_LOG:+--access-logfile - --access-logformat '%(s)s'} \
  > "$OUT/gunicorn_access.log" 2> "$OUT/gunicorn_error.log" &
GPID=$!
cleanup() { kill "$GPID" 2>/dev/null || true; wait "$GPID" 2>/dev/null || true; redis-cli -n "${REDIS_URL##*/}" flushdb >/dev/null 2>&1 || true; }
trap cleanup EXIT
for _ in $(seq 1 60); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/compte/login/" && break
  sleep 0.5
done

echo "== one real login through the form (password hash checked once)"
"$PY" - "$PORT" <<'EOF'
import re, sys, urllib.parse, urllib.request, http.cookiejar
port = sys.argv[1]
jar = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
page = op.open(f"http://127.0.0.1:{port}/compte/login/").read().decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "login": "parent00000.1@ville.portail.example",
                               "password": "Ville-Portail-2026"}).encode()
req = urllib.request.Request(f"http://127.0.0.1:{port}/compte/login/", data=data,
                             headers={"Referer": f"http://127.0.0.1:{port}/compte/login/"})
home = op.open(req).read().decode()
print("login OK" if "Déconnexion" in home or "déconnecter" in home.lower() else "login FAILED")
EOF

run() {  # name users spawn-rate time class [tags]
  local name=$1 users=$2 rate=$3 time=$4 cls=$5 tags=${6:-}
  echo "== $name: $users users, $time"
  "$PY" bench/cpu_split.py snapshot "$OUT/$name.cpu.json"
  local started=$SECONDS
  BENCH_USERS="$OUT/users.json" timeout --signal=INT $(( ${time%s} + 60 )) \
    "$LOCUST" -f bench/locustfile.py "$cls" --headless -u "$users" -r "$rate" -t "$time" --stop-timeout 10 \
    --host "http://127.0.0.1:$PORT" --csv "$OUT/$name" --only-summary --loglevel WARNING \
    ${tags:+--tags $tags} > "$OUT/$name.log" 2>&1 || true
  "$PY" bench/report.py "$OUT/$name" "$name" | tee "$OUT/$name.md"
  "$PY" bench/cpu_split.py report "$OUT/$name.cpu.json" "$((SECONDS - started))" | tee -a "$OUT/$name.md"
}

race_checks() {  # name key-in-users.json: counters, 5xx and the commit rate after a race
  local name=$1 key=$2 UNIT START END
  read -r UNIT START END < <("$PY" -c "import json, sys; d=json.load(open(sys.argv[1])).get(sys.argv[2]); r=d[0] if d else None; print(*(r and (r['unit'], r['start'], r['end']) or ['']))" "$OUT/users.json" "$key") || true
  if [ -z "$UNIT" ]; then echo "no racer for $name (bench/prepare.py found no such race today)"; return 0; fi
  "$PY" bench/check_capacity.py "$UNIT" "$START" "$END" | tee "$OUT/${name}_capacity.txt"
  # Every answer locust did not expect is a failure named after its status ("HTTP 500"): count the 5xx.
  echo "HTTP 5xx during the run: $("$PY" -c "import csv, sys; print(sum(int(r['Occurrences']) for r in csv.DictReader(open(sys.argv[1])) if 'HTTP 5' in r['Error']))" "$OUT/${name}_failures.csv")"
  # The budget counts commits that booked or cancelled: every « Terminer » answered 302, refusals apart.
  "$PY" - "$OUT/${name}_stats.csv" <<'PY' | tee -a "$OUT/${name}_capacity.txt"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["Name"].startswith("booking: commit")]
asked = sum(float(r["Requests/s"]) for r in rows if r["Type"] != "INFO")
refused = sum(float(r["Requests/s"]) for r in rows if r["Type"] == "INFO")
print(f"Commit requests: {asked:.1f}/s; successful commits (booked or cancelled): {asked - refused:.1f}/s; "
      f"refused as full: {refused:.1f}/s")
PY
}

ratios() {  # the month calendar and the home page against the reference page, alternated twice
  local t=${RATIO_TIME:-30s} round page
  for round in 1 2; do
    for page in reference month home; do
      run "ratio-$page-$round" "${SATURATED_USERS:-40}" 20 "$t" OnePage "$page" > /dev/null
    done
  done
  "$PY" - "$OUT" <<'PY' | tee "$OUT/ratios.md"
import csv, sys
out = sys.argv[1]
def rate(page, rnd):
    rows = [r for r in csv.DictReader(open(f"{out}/ratio-{page}-{rnd}_stats.csv")) if r["Name"] == "Aggregated"]
    return float(rows[0]["Requests/s"]), int(rows[0]["Failure Count"])
print("| round | reference req/s | month calendar req/s (ratio) | home req/s (ratio) | failures |")
print("|---|---:|---:|---:|---:|")
for rnd in (1, 2):
    (ref, f1), (month, f2), (home, f3) = rate("reference", rnd), rate("month", rnd), rate("home", rnd)
    print(f"| {rnd} | {ref:.1f} | {month:.1f} ({month / ref:.2f}) | {home:.1f} ({home / ref:.2f}) | {f1 + f2 + f3} |")
PY
}

opening() {  # parents NOT logged in arrive at fixed rates: the morning a booking window opens
  local arrivals=${OPENING_ARRIVALS:-45} tail=${OPENING_TAIL:-90} scale rate actual users
  run opening-reference "${SATURATED_USERS:-40}" 20 20s OnePage reference > /dev/null
  scale=${OPENING_SCALE:-$("$PY" -c "import csv, sys; r=[x for x in csv.DictReader(open(sys.argv[1])) if x['Name']=='Aggregated'][0]; print(round(float(r['Requests/s'])/480, 3))" "$OUT/opening-reference_stats.csv")}
  echo "== opening: reference page $("$PY" -c "import csv, sys; r=[x for x in csv.DictReader(open(sys.argv[1])) if x['Name']=='Aggregated'][0]; print(round(float(r['Requests/s']), 1))" "$OUT/opening-reference_stats.csv") req/s → scale $scale of the issue's 480 req/s machine"
  for rate in ${OPENING_RATES:-2 5 10}; do
    actual=$("$PY" -c "print(round($rate * $scale, 2))")
    users=$("$PY" -c "import math; print(max(1, math.ceil($actual * $arrivals)))")
    "$PY" bench/prepare_opening.py --parents "$users" --out "$OUT/opening.json" | sed 's/^/   /'
    echo "== opening at $rate a second (here $actual a second: $users parents over ${arrivals} s)"
    BENCH_OPENING="$OUT/opening.json" BENCH_OPENING_RATE=$actual run "opening-$rate" "$users" 50 "$((arrivals + tail))s" OpeningParent
    "$PY" bench/check_capacity.py | tee "$OUT/opening-${rate}_capacity.txt"
  done
  "$PY" bench/opening_report.py "$OUT" ${OPENING_RATES:-2 5 10} | tee "$OUT/opening.md"
}

for s in $SCENARIOS; do
  case $s in
    ratios) ratios ;;
    unloaded) run unloaded 1 1 "${UNLOADED_TIME:-45s}" Reader core ;;
    saturated) run saturated "${SATURATED_USERS:-40}" 20 "${SATURATED_TIME:-60s}" Reader ;;
    saturated-html) BENCH_PDF_WEIGHT=0 run saturated-html "${SATURATED_USERS:-40}" 20 "${SATURATED_TIME:-60s}" Reader ;;
    race) run race "${RACERS:-100}" 100 "${RACE_TIME:-45s}" Racer && race_checks race racers ;;
    opening) opening ;;
    race-holidays) run race-holidays "${HOLIDAY_RACERS:-150}" 150 "${RACE_TIME:-45s}" HolidayRacer && race_checks race-holidays holiday_racers ;;
    *) echo "unknown scenario $s" >&2 ;;
  esac
done

if [ -z "${SKIP_QUERIES:-}" ]; then
  echo "== SQL queries per request (django.test.Client on the same database)"
  ALLOWED_HOSTS=testserver "$PY" bench/queries.py | tee "$OUT/queries.md"
fi
