#!/usr/bin/env bash
# Mutation test of the deterministic simulation (pkg/sim): how many seeds it
# needs to find each reverted protocol fix.
#
# For each hack/mutants/<name>.patch (all of them, or the names given):
#   1. export HEAD into a scratch copy (git archive: the working tree, the
#      index and the repository are never touched) and `git apply` the patch;
#   2. build the simulation's test binary once and run TestSimulation from
#      seed 1 in chunks of CHUNK seeds, stopping after the first chunk with a
#      failing seed (or a harness error) or at CAP seeds; record the first
#      failing seed, its checks and how many seeds of that chunk failed;
#   3. run the deterministic unit tests (go test ./pkg/txn/ ./pkg/lock/
#      -count=1) and record the top-level tests that fail.
# One simulation at a time, without -race. The name "base" runs the
# unmutated tree (a sanity check; not part of the default list).
#
# Usage: hack/mutants.sh [-n CAP] [-c CHUNK] [-o OUTDIR] [-a] [-U] [name ...]
#   -n CAP    seeds at most per mutant (default 3000; env MUTANT_SEEDS)
#   -c CHUNK  seeds per simulation run (default 100; env MUTANT_CHUNK)
#   -o DIR    where results and logs go (default a new /tmp/mutants.XXXXXX)
#   -a        do not stop at the first failing chunk: run all CAP seeds and
#             count the failing ones (a rate rather than a first hit)
#   -U        skip the unit tests
# Output: DIR/results.tsv, DIR/results.md (the table printed at the end),
# DIR/<name>.sim.log, DIR/<name>.unit.log.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cap=${MUTANT_SEEDS:-3000}
chunk=${MUTANT_CHUNK:-100}
out=""
unit=1
all=0
while getopts "n:c:o:aU" opt; do
  case $opt in
    n) cap=$OPTARG ;;
    c) chunk=$OPTARG ;;
    o) out=$OPTARG ;;
    a) all=1 ;;
    U) unit=0 ;;
    *) sed -n '2,26p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ -n "$out" ] || out=$(mktemp -d /tmp/mutants.XXXXXX)
mkdir -p "$out"

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for p in "$root"/hack/mutants/*.patch; do
    n=$(basename "$p" .patch)
    names+=("$n")
  done
fi

# fixes.tsv: name <TAB> the fix the mutant reverts (for the table).
fix_of() {
  awk -F'\t' -v n="$1" '$1 == n { print $2; found = 1 } END { if (!found) print "?" }' "$root/hack/mutants/fixes.tsv" 2>/dev/null || echo "?"
}

work=$(mktemp -d /tmp/mutants-work.XXXXXX)
trap 'rm -rf "$work"' EXIT
export GOFLAGS=${GOFLAGS:-}

printf 'mutant\tfix\tfirst_failing_seed\tseeds_run\tfailing_in_chunk\tchecks\tunit_tests_failing\n' >"$out/results.tsv"

for name in "${names[@]}"; do
  echo "== $name" >&2
  src="$work/src"
  rm -rf "$src"
  mkdir -p "$src"
  git -C "$root" archive HEAD | tar -x -C "$src"
  if [ "$name" != base ]; then
    patch="$root/hack/mutants/$name.patch"
    if [ ! -f "$patch" ]; then
      echo "no such patch: $patch" >&2
      exit 1
    fi
    # The copy is a repository of its own, so git apply works relative to it.
    git -C "$src" init -q
    if ! git -C "$src" apply "$patch"; then
      printf '%s\t%s\tpatch does not apply\t0\t-\t-\t-\n' "$name" "$(fix_of "$name")" >>"$out/results.tsv"
      continue
    fi
  fi

  # Simulation.
  simlog="$out/$name.sim.log"
  : >"$simlog"
  first="" checks="" seeds_run=0 inchunk="-"
  if ! (cd "$src" && go test -c -o "$work/sim.test" ./pkg/sim) >>"$simlog" 2>&1; then
    first="build failed"
  else
    s=1
    while [ "$s" -le "$cap" ]; do
      n=$((cap - s + 1))
      [ "$n" -gt "$chunk" ] && n=$chunk
      log="$work/chunk.log"
      rc=0
      (cd "$src/pkg/sim" && timeout 1800 "$work/sim.test" -test.run 'TestSimulation$' -test.timeout 0 \
        -sim.seeds="$n" -sim.first="$s" -sim.show=0) >"$log" 2>&1 || rc=$?
      cat "$log" >>"$simlog"
      seeds_run=$((s + n - 1))
      # "seed N failed: a, b (replay: ...)" and "harness: seed N: ..."
      fails=$(sed -nE 's/.*seed ([0-9]+) failed: (.*) \(replay:.*/\1\t\2/p' "$log" | sort -n -k1,1 || true)
      harness=$(sed -nE 's/.*harness: seed ([0-9]+): (.*)/\1\tharness: \2/p' "$log" | sort -n -k1,1 || true)
      found=$(printf '%s\n%s\n' "$fails" "$harness" | grep -v '^$' | sort -n -k1,1 || true)
      if [ -n "$found" ]; then
        if [ -z "$first" ]; then
          first=$(echo "$found" | head -1 | cut -f1)
          checks=$(echo "$found" | head -1 | cut -f2- | cut -c1-200)
          nfail=0
        fi
        nfail=$((nfail + $(echo "$found" | cut -f1 | sort -u | wc -l)))
        if [ "$all" = 0 ]; then
          inchunk="$nfail of seeds $s-$seeds_run"
          break
        fi
        inchunk="$nfail of seeds 1-$seeds_run"
      fi
      if [ "$rc" -ne 0 ] && [ -z "$found" ]; then
        if [ -z "$first" ]; then
          first="error (rc $rc) in seeds $s-$seeds_run"
          checks=$(grep -m1 -E 'panic|FAIL|timed out' "$log" | cut -c1-200 || true)
        fi
        break
      fi
      s=$((s + n))
    done
    [ -n "$first" ] || first="not found in $seeds_run seeds"
    if [ "$all" = 1 ] && [ "$inchunk" != "-" ]; then
      inchunk="$nfail of seeds 1-$seeds_run"
    fi
  fi

  # Unit tests.
  unitres="-"
  if [ "$unit" = 1 ]; then
    unitlog="$out/$name.unit.log"
    rc=0
    (cd "$src" && timeout 1800 go test -p 1 -count=1 -timeout 900s ./pkg/txn/ ./pkg/lock/) >"$unitlog" 2>&1 || rc=$?
    failed=$(sed -nE 's/^--- FAIL: ([^ /]+) .*/\1/p' "$unitlog" | sort -u | paste -sd' ' - || true)
    if [ "$rc" -eq 0 ]; then
      unitres="none"
    elif [ -n "$failed" ]; then
      unitres=$failed
      grep -q '^panic:' "$unitlog" && unitres="$unitres (panic)"
    elif grep -q 'build failed\|setup failed' "$unitlog"; then
      unitres="build failed"
    else
      unitres="error (rc $rc)"
    fi
  fi

  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(fix_of "$name")" "$first" "$seeds_run" "$inchunk" "${checks:--}" "$unitres" >>"$out/results.tsv"
  echo "   sim: $first ${checks:+($checks)}; unit: $unitres" >&2
done

# The table.
{
  echo "| mutant | fix it reverts | first failing seed | failing checks | unit tests that fail |"
  echo "|---|---|---|---|---|"
  tail -n +2 "$out/results.tsv" | while IFS=$'\t' read -r m f first run inchunk checks ut; do
    if [ "$inchunk" != "-" ]; then first="$first ($inchunk)"; fi
    echo "| \`$m\` | $f | $first | $checks | $ut |"
  done
} >"$out/results.md"
cat "$out/results.md"
echo "results and logs: $out" >&2
