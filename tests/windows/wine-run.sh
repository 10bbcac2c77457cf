#!/bin/sh
# wine-run.sh <program.exe> [args...]: CTest's emulator for the cross-built tests. Runs the program
# under Wine with its output in a file, then prints it. Wine may start helper processes (explorer,
# services) that outlive the test and would hold CTest's output pipe open until its timeout.
out=$(mktemp)
"${STREAMFX_WINE:-/usr/lib/wine/wine64}" "$@" >"$out" 2>&1 </dev/null
rc=$?
cat "$out"
rm -f "$out"
exit $rc
