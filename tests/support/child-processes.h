/*
 * Which processes this harness still has as children (running or zombie), read from /proc: after
 * the filter is removed and OBS is shut down there must be none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fills pids (up to cap) with the children of this process; returns how many there are. */
size_t child_processes_list(int64_t *pids, size_t cap);

/* true while /proc/<pid> exists (a zombie counts as existing). */
bool process_exists(int64_t pid);

/* A short description ("1234 (streamfx-host) state Z") for a failure message. */
void process_describe(int64_t pid, char *out, size_t cap);

/* Waits up to timeout_ms for a process (not only a child) to exit, without polling: its pidfd
 * becomes readable when it does. True at once when it is already gone. */
bool process_wait_exit(int64_t pid, int timeout_ms);
