#!/usr/bin/env bash
# Runs every test suite: the C tests and the real-libobs end-to-end test (CTest), the C# tests
# (xunit), and the Windows suites under Wine. Ends with one line: "N passed, N failed".
source "$(dirname "$0")/lib.sh"
set +e
cd "$REPO_ROOT"
started=$(date +%s)

passed=0
failed=0
failures=()
count() { # suite passed failed
	passed=$((passed + $2))
	failed=$((failed + $3))
	[ "$3" -gt 0 ] && failures+=("$1: $3 failed")
	log "$1: $2 passed, $3 failed"
}
check() { # name command...: one pass or fail
	local name=$1; shift
	if "$@" >"$BUILD_DIR/logs/$name.log" 2>&1; then count "$name" 1 0; else
		tail -n 40 "$BUILD_DIR/logs/$name.log"; count "$name" 0 1; fi
}

"$REPO_ROOT/scripts/build.sh" || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$BUILD_DIR/logs"

# C tests and the libobs end-to-end test.
ctest --test-dir "$BUILD_DIR/cmake" --output-on-failure --timeout 300 2>&1 | tee "$BUILD_DIR/logs/ctest.log"
c_total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' "$BUILD_DIR/logs/ctest.log")
c_failed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p' "$BUILD_DIR/logs/ctest.log")
if [ -n "$c_total" ]; then count ctest $((c_total - c_failed)) "$c_failed"; else count ctest 0 1; fi

# C# tests. They find the built C peer and host through these variables.
export STREAMFX_BRIDGE_PEER="$BUILD_DIR/cmake/tests/native/sfx-bridge-peer"
export STREAMFX_HOST_PATH="$BUILD_DIR/host/streamfx-host"
for proj in tests/managed/*/*.csproj; do
	name=$(basename "$proj" .csproj)
	dotnet test "$proj" -c Release -nologo 2>&1 | tee "$BUILD_DIR/logs/$name.log"
	line=$(grep -E '(Passed|Failed)!' "$BUILD_DIR/logs/$name.log" | tail -1)
	if [ -n "$line" ]; then
		p=$(sed -n 's/.*Passed: *\([0-9]*\).*/\1/p' <<<"$line")
		f=$(sed -n 's/.*Failed: *\([0-9]*\),.*/\1/p' <<<"$line")
		count "$name" "${p:-0}" "${f:-1}"
	else
		count "$name" 0 1
	fi
done

# ---- Windows under Wine (scripts/test-wine.sh) -----------------------------------------------
# The Win32 shim code and the win-x64 host run here; one "wine-<suite>: N passed, N failed" line
# per suite, each counted. No wine is a failure, not a skip.
check win32-shim-compile "$REPO_ROOT/scripts/check-windows-build.sh" shim
wine_lines=$("$REPO_ROOT/scripts/test-wine.sh" 2>"$BUILD_DIR/logs/wine.log")
if [ -z "$wine_lines" ] || grep -qvE ' 0 failed$' <<<"$wine_lines"; then tail -n 80 "$BUILD_DIR/logs/wine.log"; fi
[ -n "$wine_lines" ] || count wine 0 1
while read -r suite p _ f _; do [ -n "$suite" ] && count "${suite%:}" "$p" "$f"; done <<<"$wine_lines"
# ---- end of the Windows block ----------------------------------------------------------------

log "all suites took $(( $(date +%s) - started )) s"
for f in "${failures[@]}"; do log "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
