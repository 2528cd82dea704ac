#!/usr/bin/env bash
# Runs every test suite and prints one summary line from the real results:
#   tests: N passed, N failed
# Exit status is non-zero when anything failed or did not build.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
results=$root/artifacts/test-results
rm -rf "$results"
mkdir -p "$results"
cd "$root"

status=0
dotnet build RaftKV.sln -c Release -nologo -v q || status=$?
if ((status == 0)); then
  # Every test project under tests/ and chaos/ (a folder holding a *.Tests.csproj).
  for csproj in tests/*/*.Tests.csproj chaos/*/*.Tests.csproj; do
    [[ -f $csproj ]] || continue
    project=$(dirname "$csproj")
    name=$(basename "$project")
    dotnet test "$project" -c Release --no-build -nologo \
      --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
      --blame-hang-timeout 10m || status=1
  done
fi

passed=0
failed=0
for trx in "$results"/*.trx; do
  [[ -f $trx ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  # Tests that were discovered but never ran (a crash, a hang) count as failed.
  failed=$((failed + ${f:-0} + ${t:-0} - ${e:-0}))
done
if ((status != 0 && failed == 0)); then failed=1; fi
echo "tests: $passed passed, $failed failed"
((failed == 0 && status == 0))
