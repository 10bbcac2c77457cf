#!/bin/sh
# check-dll.sh imports|dependencies <args>: checks on streamfx-obs.dll (the wine-dll suite).
#
#   imports <linux streamfx-obs.so> <libobs.so> <obs-imports.def>
#       The .def lists exactly the libobs functions the Linux build of the module leaves undefined
#       (the two builds compile the same sources), so the import library cannot drift from the code.
#   dependencies <streamfx-obs.dll> <linux streamfx-obs.so> <objdump>
#       The DLL imports only obs.dll, Windows system DLLs and the C runtime, and exports exactly the
#       obs_module_* entry points the Linux module exports.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

case "${1:-}" in
imports)
	so=$2 libobs=$3 def=$4
	nm -D --undefined-only "$so" | awk '{print $2}' | sed 's/@.*//' | sort -u >"$tmp/undefined"
	nm -D --defined-only "$libobs" | awk '{print $3}' | sed 's/@.*//' | sort -u >"$tmp/libobs"
	comm -12 "$tmp/undefined" "$tmp/libobs" >"$tmp/needed"
	sed -n '/^EXPORTS/,$p' "$def" | sed '1d; s/;.*//; s/[[:space:]]//g; /^$/d' | sort -u >"$tmp/listed"
	[ -s "$tmp/needed" ] || { echo "no libobs symbols found undefined in $so"; exit 1; }
	missing=$(comm -23 "$tmp/needed" "$tmp/listed")
	extra=$(comm -13 "$tmp/needed" "$tmp/listed")
	[ -z "$missing" ] || { echo "$def: missing libobs functions the module calls:" $missing; fail=1; }
	[ -z "$extra" ] || { echo "$def: lists functions the module does not call:" $extra; fail=1; }
	echo "imports: $(wc -l <"$tmp/needed") libobs functions needed, $(wc -l <"$tmp/listed") listed"
	;;
dependencies)
	dll=$2 so=$3 objdump=$4
	"$objdump" -p "$dll" >"$tmp/p" || exit 1
	sed -n 's/^[[:space:]]*DLL Name: //p' "$tmp/p" | sort -u >"$tmp/dlls"
	echo "imports from:" $(cat "$tmp/dlls")
	# obs.dll, Win32 system DLLs, and the C runtime (msvcrt or the UCRT's api-ms-win-crt-*).
	bad=$(grep -Eiv '^(obs\.dll|kernel32\.dll|advapi32\.dll|bcrypt\.dll|msvcrt\.dll|api-ms-win-crt-[a-z0-9-]+\.dll)$' "$tmp/dlls")
	[ -z "$bad" ] || { echo "$dll: unexpected DLL dependencies:" $bad; fail=1; }
	grep -qix 'obs.dll' "$tmp/dlls" || { echo "$dll: does not import obs.dll"; fail=1; }
	sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' "$tmp/p" | sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p' | sort -u >"$tmp/exports"
	nm -D --defined-only "$so" | awk '$3 ~ /^obs_module_/ {print $3}' | sort -u >"$tmp/linux_exports"
	echo "exports:" $(cat "$tmp/exports")
	if ! cmp -s "$tmp/exports" "$tmp/linux_exports"; then
		echo "$dll: exports differ from the Linux module's obs_module_* symbols:"
		diff "$tmp/linux_exports" "$tmp/exports"
		fail=1
	fi
	;;
*)
	echo "usage: check-dll.sh imports|dependencies ..." >&2
	exit 2
	;;
esac
exit $fail
