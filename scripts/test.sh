#!/usr/bin/env bash
# Runs each test file in its own Node process, one after another (the files share the real
# Redis and PostgreSQL), and ends with one line `N passed, N failed[, N skipped]` for CI logs.
#
#   bash scripts/test.sh                 every test/**/*.test.ts
#   bash scripts/test.sh FILE|DIR ...    only these files (a directory means its *.test.ts)
#
# uvu has no per-test timeout and no leak check, so each file runs under `timeout`:
#   TEST_TIMEOUT_S     whole-file limit in seconds (default 300)
#   TEST_EXIT_GRACE_S  seconds a file may stay alive after uvu printed its totals (default 15);
#                      a file still running then holds a leaked handle and fails
# A file fails when it times out, leaks, exits non-zero, or prints no uvu totals.
set -uo pipefail

TIMEOUT_S=${TEST_TIMEOUT_S:-300}
GRACE_S=${TEST_EXIT_GRACE_S:-15}
KILL_AFTER_S=10
POLL_S=0.2

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

files=()
if (($# == 0)); then
  if [[ -d $ROOT/test ]]; then
    mapfile -t files < <(find "$ROOT/test" -type f -name '*.test.ts' | LC_ALL=C sort)
  fi
else
  for arg in "$@"; do
    if [[ -d $arg ]]; then
      mapfile -t -O "${#files[@]}" files < <(
        find "$(realpath "$arg")" -type f -name '*.test.ts' | LC_ALL=C sort
      )
    else
      files+=("$(realpath -m "$arg")")
    fi
  done
fi

cd "$ROOT" || exit 1

# `timeout` puts each test file in its own process group, out of reach of a Ctrl-C or a
# TERM aimed at this script: pass those on so no test process outlives the run.
running=''
stop() {
  [[ -n $running ]] && kill -TERM "$running" 2>/dev/null
  printf '\ninterrupted\n'
  exit 130
}
trap stop INT TERM

passed=0
failed=0
skipped=0
broken=() # one line per file that failed as a whole, for the summary

# Path shown in the output: relative to the project when inside it.
label() {
  case $1 in
    "$ROOT"/*) printf '%s' "${1#"$ROOT"/}" ;;
    *) printf '%s' "$1" ;;
  esac
}

# uvu takes a directory and a regular expression, so a single file becomes its directory
# plus its escaped base name.
file_pattern() {
  printf '^%s$' "$(basename "$1" | sed 's/[][\\.*^$+?(){}|/]/\\&/g')"
}

now_us() {
  printf '%s' "${EPOCHREALTIME//[!0-9]/}"
}

# Prints the bytes of $1 from offset $2 up to offset $3, and echoes nothing else. The caller
# takes the end offset once and goes on from it: a second look at the size would skip
# whatever the test wrote in between.
print_since() {
  if (($3 > $2)); then
    tail -c +"$(($2 + 1))" "$1" | head -c "$(($3 - $2))"
  fi
}

# Sums uvu's `Total:`, `Passed:` and `Skipped:` lines (colour codes stripped) as "T P S N",
# N being how many totals blocks there were.
read_totals() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
    /^ *Total: +[0-9]+ *$/   { t += $2; n++ }
    /^ *Passed: +[0-9]+ *$/  { p += $2 }
    /^ *Skipped: +[0-9]+ *$/ { s += $2 }
    END { printf "%d %d %d %d\n", t, p, s, n }'
}

run_file() {
  local file=$1 name log pid rc=0 offset=0 size finished_at='' leaked=0 started=$SECONDS
  name=$(label "$file")
  printf '\n=== %s\n' "$name"

  if [[ ! -f $file ]]; then
    printf 'no such file\n'
    broken+=("$name: no such file")
    failed=$((failed + 1))
    return
  fi

  log=$(mktemp)
  timeout --kill-after="$KILL_AFTER_S" "$TIMEOUT_S" \
    node --import tsx node_modules/uvu/bin.js "$(dirname "$file")" "$(file_pattern "$file")" \
    --no-color </dev/null >"$log" 2>&1 &
  pid=$!
  running=$pid

  while kill -0 "$pid" 2>/dev/null; do
    size=$(stat -c %s "$log")
    print_since "$log" "$offset" "$size"
    offset=$size
    if [[ -z $finished_at ]] && grep -q '^ *Duration: ' "$log"; then
      finished_at=$(now_us)
    fi
    if [[ -n $finished_at ]] && (($(now_us) - finished_at >= GRACE_S * 1000000)); then
      leaked=1
      kill -TERM "$pid" 2>/dev/null
      break
    fi
    sleep "$POLL_S"
  done
  wait "$pid" 2>/dev/null # a killed job's "Killed" notice is not test output
  rc=$?
  running=''
  print_since "$log" "$offset" "$(stat -c %s "$log")"
  # Output whose last line has no line break would have the summary line glued to it.
  [[ -s $log && -n $(tail -c 1 "$log") ]] && printf '\n'

  local total pass skip blocks fail
  read -r total pass skip blocks < <(read_totals "$log")
  rm -f "$log"
  fail=$((total - pass))
  passed=$((passed + pass))
  skipped=$((skipped + skip))
  failed=$((failed + fail))

  # A file-level failure counts once more when no test inside it was counted as failed,
  # so the last line never reads "0 failed" for a red run.
  local problem=''
  if ((leaked)); then
    problem="still running ${GRACE_S} s after its tests finished"
    problem+=" (a leaked handle: close every connection in after())"
  elif (((rc == 124 || rc == 137) && SECONDS - started >= TIMEOUT_S)); then
    problem="timed out after ${TIMEOUT_S} s"
  elif ((blocks == 0)); then
    problem="printed no uvu totals (exit code $rc)"
  elif ((rc != 0 && fail == 0)); then
    problem="exited with code $rc"
  fi
  if [[ -n $problem ]]; then
    broken+=("$name: $problem")
    ((fail == 0)) && failed=$((failed + 1))
    printf -- '--- %s FAILED: %s\n' "$name" "$problem"
  else
    printf -- '--- %s: %d passed, %d failed, %d skipped (%d s)\n' \
      "$name" "$pass" "$fail" "$skip" "$((SECONDS - started))"
    ((fail > 0)) && broken+=("$name: $fail failed")
  fi
  return 0
}

if ((${#files[@]} == 0)); then
  printf 'no test files found\n'
  broken+=("no test files found")
fi

for file in "${files[@]}"; do
  run_file "$file"
done

printf '\n%d file(s) run\n' "${#files[@]}"
for line in "${broken[@]}"; do
  printf 'FAILED %s\n' "$line"
done

summary="$passed passed, $failed failed"
((skipped > 0)) && summary+=", $skipped skipped"
printf '%s\n' "$summary"

((failed == 0 && ${#broken[@]} == 0))
