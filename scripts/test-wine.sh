#!/usr/bin/env bash
# The Windows tests, run here under Wine: the shim's bridge and Win32 platform layer cross-built
# with mingw-w64 (tests/windows) and the win-x64 host published by check-windows-build.sh.
#
# stdout: one line per suite, "wine-<suite>: N passed, N failed" (scripts/test.sh counts them);
# stderr: progress and every failing test's output. Exit 0 only when every suite passed.
# Suites: build, portable, platform, host-link, cross, dll (streamfx-obs.dll). Wine or mingw missing is a failure, never a
# skip. Environment: STREAMFX_WINE (default /usr/lib/wine/wine64).
source "$(dirname "$0")/lib.sh"
set +e
cd "$REPO_ROOT"
started=$(date +%s)

export STREAMFX_WINE="${STREAMFX_WINE:-/usr/lib/wine/wine64}" # wine-run.sh, the tests' emulator, reads it
WINE="$STREAMFX_WINE"
WINESERVER="$(dirname "$WINE")/wineserver"
MINGW_OUT="$BUILD_DIR/mingw"
mkdir -p "$BUILD_DIR/logs"

any_failed=0
report() { # suite passed failed
	echo "wine-$1: $2 passed, $3 failed"
	[ "$3" -eq 0 ] || any_failed=1
}

if [ ! -x "$WINE" ]; then
	log "error: wine64 not found at $WINE: the Windows tests cannot run (scripts/install-deps.sh installs wine64 and wine)"
	report setup 0 1
	exit 1
fi
if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
	log "error: x86_64-w64-mingw32-gcc not found: the Windows tests cannot be built (scripts/install-deps.sh installs mingw-w64)"
	report setup 0 1
	exit 1
fi

# A private prefix, kept between runs (creating one takes ~20 s); no Gecko (HTML) lookup. mscoree
# stays: the PE loader resolves it for the ReadyToRun .NET assemblies of the host.
export WINEPREFIX="$BUILD_DIR/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mshtml="
log "wine: prefix $WINEPREFIX ($("$WINE" --version 2>/dev/null))"
# One wineserver for the whole run instead of one per test; ended (this prefix's only) at exit.
"$WINESERVER" -p
trap '"$WINESERVER" -k 2>/dev/null' EXIT
if ! "$WINE" cmd /c exit 0 >"$BUILD_DIR/logs/wine-prefix.log" 2>&1; then
	log "error: wine cannot start programs in $WINEPREFIX (see $BUILD_DIR/logs/wine-prefix.log)"
	report setup 0 1
	exit 1
fi

# Build: the mingw test project and the win-x64 host (each step logged; both needed below).
build_ok=1
"$REPO_ROOT/scripts/check-windows-build.sh" host >"$BUILD_DIR/logs/wine-host-publish.log" 2>&1 || {
	tail -n 30 "$BUILD_DIR/logs/wine-host-publish.log" >&2
	build_ok=0
}
"$REPO_ROOT/scripts/check-windows-build.sh" tests >"$BUILD_DIR/logs/wine-tests-build.log" 2>&1 || {
	tail -n 30 "$BUILD_DIR/logs/wine-tests-build.log" >&2
	build_ok=0
}
if [ "$build_ok" -eq 1 ]; then report build 1 0; else report build 0 1; fi
built=$(date +%s)
log "wine: builds took $((built - started)) s"

# One CTest label per suite. A label with no tests (nothing built, or the host missing for
# "cross") counts as one failure.
for suite in portable platform host-link cross dll; do
	logf="$BUILD_DIR/logs/wine-$suite.log"
	ctest --test-dir "$MINGW_OUT" -L "^$suite\$" --output-on-failure --timeout 300 >"$logf" 2>&1
	line=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1 \2/p' "$logf")
	if [ -z "$line" ]; then
		tail -n 20 "$logf" >&2
		report "$suite" 0 1
		continue
	fi
	read -r failed total <<<"$line"
	[ "$failed" -eq 0 ] || grep -v '^\s*\[log' "$logf" | tail -n 60 >&2
	report "$suite" $((total - failed)) "$failed"
done
log "wine: the suites took $(($(date +%s) - built)) s, $(($(date +%s) - started)) s in all"
exit "$any_failed"
