#!/bin/sh
# sfx-bridge-peer --listen-only, driven the way the C# tests use it: read SHM=/CONTROL= from its
# stdout (blocking reads on a fifo, no polling), start a host on those names, expect success.
# usage: listen-only-test.sh <sfx-bridge-peer> <fake-host>
set -eu
peer=$1
host=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/out"
"$peer" --listen-only --peer-pid 0 --frames 8 --first-sequence 0xFFFFFFFC >"$dir/out" &
peer_pid=$!
exec 3<"$dir/out"
IFS= read -r shm_line <&3
IFS= read -r control_line <&3
case "$shm_line" in SHM=*) ;; *) echo "expected SHM=..., found '$shm_line'"; exit 1 ;; esac
case "$control_line" in CONTROL=*) ;; *) echo "expected CONTROL=..., found '$control_line'"; exit 1 ;; esac
"$host" --shm "${shm_line#SHM=}" --control "${control_line#CONTROL=}" &
host_pid=$!
cat <&3
status=0
wait "$peer_pid" || status=$?
wait "$host_pid" || true
exit "$status"
