#!/bin/sh
# expect-output.sh <regex> <command...>: runs the command, shows its output, and passes only when
# it exits 0 AND its output matches the extended regex (CTest's PASS_REGULAR_EXPRESSION alone
# would ignore the exit code).
regex=$1
shift
# Through a file, not a pipe: a helper process that outlives the command cannot hold it open.
tmp=$(mktemp)
"$@" >"$tmp" 2>&1
rc=$?
out=$(cat "$tmp")
rm -f "$tmp"
printf '%s\n' "$out"
if [ "$rc" -ne 0 ]; then
	echo "expect-output: exit code $rc, expected 0" >&2
	exit 1
fi
if ! printf "%s" "$out" | tr "\r\n" "  " | grep -Eq -- "$regex"; then
	echo "expect-output: output does not match: $regex" >&2
	exit 1
fi
