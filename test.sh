#!/usr/bin/env bash
# Runs every test project of the solution and ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
. "$root/scripts/prerequisites.sh"
overlay_require_prerequisites || exit 1

log="$(mktemp -t overlay-test.XXXXXX)"
trap 'rm -f "$log"' EXIT
# A hung test fails the run (with a dump) instead of stalling it.
dotnet test "$root/Overlay.sln" -c Release --nologo --blame-hang-timeout 10m --blame-hang-dump-type none "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Each test assembly prints one summary line, e.g. "Passed!  - Failed: 0, Passed: 35, Skipped: 0, Total: 35".
read -r passed failed skipped < <(awk '
  /(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+/ {
    gsub(/,/, "");
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") f += $(i + 1);
      if ($i == "Passed:") p += $(i + 1);
      if ($i == "Skipped:") s += $(i + 1);
    }
  }
  END { printf "%d %d %d\n", p, f, s }' "$log")
# Without a loadable libsodium most tests fail with the same sentence: say it once, here.
grep -o -m1 'The native libsodium could not be loaded: .*or newer\.' "$log" | head -1 | sed 's/^/test.sh: /' >&2 || true
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or a test host failed before any test could report: count it as a failure.
  failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
