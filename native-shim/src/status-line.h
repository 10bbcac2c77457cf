/*
 * The status line of the properties panel: host state, provider in use, model, fps, latency (ms
 * and frames), dropped frames and the last error, from the link's status (the host's STATUS JSON
 * included) and the filter's counters. Pure formatting: callable from any thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <util/dstr.h>

#include "bridge/host-link.h"

struct sfx_status_counters {
	double latency_ms;       /* last drawn host frame */
	uint64_t latency_frames; /* same, in rendered frames */
	uint64_t frames_dropped;
	uint64_t frames_received;
	bool bypass;
	bool active; /* the source is shown in the program */
};

/* Writes the status text into out (replacing its content). status is NULL when the filter has no
 * host (not found): the line then says so. */
void sfx_status_line_format(struct dstr *out, const struct sfx_host_status *status,
			    const struct sfx_status_counters *counters);

/* A short text that changes only when what the panel shows changes in kind: link state, restarts,
 * errors, the host's state, provider and model, bypass, shown/hidden, slow or not. Never the fps,
 * latency or counters. The filter reloads the panel only when it changes (libobs 29 can only rebuild
 * the whole panel, which closes an open drop-down). */
void sfx_status_line_key(struct dstr *out, const struct sfx_host_status *status,
			 const struct sfx_status_counters *counters);
