#!/bin/sh
# expect-output.sh <regex> <command...>: runs the command, shows its output, and passes only when
# it exits 0 AND its output matches the extended regex (CTest's PASS_REGULAR_EXPRESSION alone
# would ignore the exit code).
regex=$1
shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne 0 ]; then
	echo "expect-output: exit code $rc, expected 0" >&2
	exit 1
fi
if ! printf "%s" "$out" | tr "\r\n" "  " | grep -Eq -- "$regex"; then
	echo "expect-output: output does not match: $regex" >&2
	exit 1
fi
