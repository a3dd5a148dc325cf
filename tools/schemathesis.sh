#!/usr/bin/env bash
# Bounded schemathesis run against the platform's own OpenAPI document.
#
# Starts a throw-away demo database and server on a free loopback port, signs in as the demo
# provider admin through the HTML login form, creates an API token (registry:read, registry:write)
# and runs schemathesis (examples, coverage and fuzzing phases; no stateful phase) with that token.
#
# Fails (exit 1) on any 5xx (ST101/ST102), on a response body its documented schema rejects
# (ST108-ST111), on a schemathesis error (e.g. a dropped connection) or when the run does not finish
# within ST_TIMEOUT seconds. Status codes and content types missing from the document (ST103-ST106)
# are listed as warnings; ST_STRICT=1 makes them fatal too.
#
# Environment: BIN (kakehashi binary), ST_VENV (virtualenv with schemathesis, installed if missing),
# ST_MAX_EXAMPLES (per operation, 25), ST_TIMEOUT (seconds, at most 240), ST_SEED (fixed seed),
# ST_STRICT, ST_REPORT_DIR (keep the JUnit report, schemathesis' log and the server log there).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-/var/tmp/kakehashi-target/debug/kakehashi}
ST_VENV=${ST_VENV:-/var/tmp/kakehashi-schemathesis}
ST_SPEC=${ST_SPEC:-'schemathesis>=4.32,<5'}
ST_MAX_EXAMPLES=${ST_MAX_EXAMPLES:-25}
ST_TIMEOUT=${ST_TIMEOUT:-240}
ST_SEED=${ST_SEED:-1}
ST_STRICT=${ST_STRICT:-0}
ST_REPORT_DIR=${ST_REPORT_DIR:-}
(( ST_TIMEOUT <= 240 )) || ST_TIMEOUT=240

log() { printf 'schemathesis.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 2; }

[[ -x $BIN ]] || die "no kakehashi binary at $BIN (set BIN)"

if ! "$ST_VENV/bin/st" --version 2>/dev/null | grep -q 'version 4\.'; then
  log "installing $ST_SPEC into $ST_VENV"
  python3 -m venv "$ST_VENV"
  "$ST_VENV/bin/pip" install -q --disable-pip-version-check "$ST_SPEC" >&2
fi
ST_VERSION=$("$ST_VENV/bin/st" --version | awk '{print $NF}')

TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  local rc=$?
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n $ST_REPORT_DIR ]]; then
    mkdir -p "$ST_REPORT_DIR"
    cp -f "$TMP"/st.log "$TMP"/server.log "$ST_REPORT_DIR"/ 2>/dev/null || true
    cp -f "$TMP"/report/*.xml "$ST_REPORT_DIR"/ 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

"$BIN" demo --no-serve --data-dir "$TMP" >"$TMP/demo.log" 2>&1 || { cat "$TMP/demo.log" >&2; die "demo data failed"; }
"$BIN" serve --database-url "sqlite://$TMP/kakehashi.db" --bind "127.0.0.1:$PORT" --workers 1 >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

for i in $(seq 150); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/livez" || true) == 200 ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$TMP/server.log" >&2; die "server exited"; }
  (( i < 150 )) || { tail -20 "$TMP/server.log" >&2; die "no 200 from /livez after 30 s"; }
  sleep 0.2
done

# A bearer token for the demo provider admin, made through the browser flow.
EMAIL=provider-admin@demo.kakehashi.jp
PASSWORD=$(sed -n 's/.*DEMO_PASSWORD: &str = "\([^"]*\)".*/\1/p' "$ROOT/crates/app/src/demo.rs")
[[ -n $PASSWORD ]] || die "DEMO_PASSWORD not found in crates/app/src/demo.rs"
JAR=$TMP/cookies
CURL=(curl -sS --max-time 10 -c "$JAR" -b "$JAR" -o "$TMP/page.html" -w '%{http_code}')
# The first hidden csrf field of the page just fetched.
hidden_csrf() { sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$TMP/page.html" | sed -n 1p; }

code=$("${CURL[@]}" "$BASE/login")
CSRF=$(hidden_csrf)
[[ $code == 200 && -n $CSRF ]] || die "GET /login answered $code without a csrf field"
code=$("${CURL[@]}" -H "Origin: $BASE" \
  --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" \
  --data-urlencode "csrf=$CSRF" --data-urlencode 'next=/' "$BASE/login")
[[ $code == 303 ]] || die "POST /login answered $code (expected 303)"
code=$("${CURL[@]}" "$BASE/account")
CSRF=$(hidden_csrf)
[[ $code == 200 && -n $CSRF ]] || die "GET /account answered $code without a csrf field"
code=$("${CURL[@]}" -H "Origin: $BASE" --data-urlencode "csrf=$CSRF" --data-urlencode 'name=schemathesis' \
  --data-urlencode 'scopes=registry:read' --data-urlencode 'scopes=registry:write' "$BASE/account/tokens")
TOKEN=$(grep -o 'kh_[0-9a-f]\{32,\}' "$TMP/page.html" | sed -n 1p || true)
[[ $code == 200 && -n $TOKEN ]] || die "POST /account/tokens answered $code without a kh_ token"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/me")
[[ $code == 200 ]] || die "GET /api/v1/me with the token answered $code"

# schemathesis writes .hypothesis/ and .schemathesis/ into the working directory: keep them in TMP.
cd "$TMP"
ST_ARGS=(run "$BASE/api/openapi.json"
  --header "Authorization: Bearer $TOKEN"
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
  --phases examples,coverage,fuzzing
  --max-examples "$ST_MAX_EXAMPLES" --seed "$ST_SEED" --workers 1
  --request-timeout 10 --generation-database none --no-color
  --report junit --report-junit-path "$TMP/report/junit.xml")
log "schemathesis $ST_VERSION: st ${ST_ARGS[*]/#Authorization: Bearer */Authorization: Bearer [token]}"
START=$SECONDS
st_rc=0
timeout --kill-after=10 "$ST_TIMEOUT" "$ST_VENV/bin/st" "${ST_ARGS[@]}" >"$TMP/st.log" 2>&1 || st_rc=$?
log "schemathesis exited $st_rc after $((SECONDS - START)) s"
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  sed 's/\x1b\[[0-9;]*m//g' "$TMP/server.log" | tail -n 20 >&2
  log "the server died during the run"
  exit 1
fi

if [[ $st_rc -ne 0 && $st_rc -ne 1 ]] || [[ ! -s $TMP/report/junit.xml ]]; then
  tail -n 40 "$TMP/st.log" >&2
  (( st_rc == 124 || st_rc == 137 )) && log "timed out after $ST_TIMEOUT s"
  exit 1
fi

# One line per finding, fatal ones first; the verdict from the JUnit report.
verdict=0
"$ST_VENV/bin/python" - "$TMP/report/junit.xml" "$ST_STRICT" <<'PY' || verdict=$?
import re, sys, xml.etree.ElementTree as ET

FATAL = {"ST101", "ST102", "ST108", "ST109", "ST110", "ST111"}  # 5xx; body rejected by its schema
DOC = {"ST103", "ST104", "ST105", "ST106"}  # status code or content type missing from the document
strict = sys.argv[2] == "1"
fatal, doc = [], []
root = ET.parse(sys.argv[1]).getroot()
for case in root.iter("testcase"):
    op = case.get("name")
    for el in case:
        if el.tag not in ("failure", "error"):
            continue
        text = el.text or ""
        for part in re.split(r"\n(?=\d+\. Test Case ID)", text):
            codes = re.findall(r"^- (ST\d+) ", part, re.M) or [el.get("message") or el.tag]
            got = re.search(r"Received: (.*)", part) or re.search(r"^\[(\d{3})\]", part, re.M)
            curl = re.search(r"^\s*(curl .*)$", part, re.M)
            line = f"{'/'.join(codes)} {op}" + (f": {got.group(1).strip()}" if got else "")
            if el.tag == "error" or FATAL & set(codes) or not DOC & set(codes):
                first = next((l.strip() for l in part.splitlines() if l.strip()), "")
                fatal.append(line + (f"\n      {curl.group(1)[:240]}" if curl else f"\n      {first[:240]}"))
            else:
                doc.append(line)
for item in fatal:
    print(f"  FAIL {item}")
for item in sorted(set(doc)):
    print(f"  {'FAIL' if strict else 'doc '} {item}")
print(f"schemathesis.sh: {root.get('tests')} operations; {len(fatal)} server errors, schema violations or errors; "
      f"{len(set(doc))} undocumented status codes or content types{' (ST_STRICT=1: fatal)' if strict else ' (not fatal)'}")
sys.exit(1 if fatal or (strict and doc) else 0)
PY
if (( verdict != 0 )); then
  grep -E 'ERROR|panicked' "$TMP/server.log" | sed 's/\x1b\[[0-9;]*m//g' | tail -n 20 >&2 || true
fi
exit "$verdict"
