/*
 * The "streamfx_diffusion_filter" video filter: sends the source's frames to the effects host and
 * shows what comes back. Its settings keys, hotkeys and status line are the controls contract of
 * docs/controls.md.
 *
 * Besides the usual callbacks, each filter instance answers procs on its proc handler
 * (obs_source_get_proc_handler), for tests and tools:
 *   get_stats: host_pid, link_state (enum sfx_link_state), restarts, frames_staged,
 *     frames_published, frames_dropped, frames_received, frames_drawn, latency_ms / latency_frames
 *     (last drawn host frame), latency_ms_avg / latency_frames_avg, input_width / input_height
 *     (last frame sent), output_width / output_height (last host frame), active (0/1: the source is
 *     shown in the program), status_refreshes (properties refreshes requested for the status line),
 *     configures_sent;
 *   get_config: json, the last CONFIGURE JSON queued for the host;
 *   get_status: text (the status line as the panel shows it), host_status (the host's last STATUS
 *     JSON).
 */
#pragma once

#include <obs-module.h>

#define SFX_DIFFUSION_FILTER_ID "streamfx_diffusion_filter"

extern struct obs_source_info sfx_diffusion_filter_info;
