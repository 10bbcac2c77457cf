/*
 * The "streamfx_diffusion_filter" video filter: sends the source's frames to the effects host and
 * shows what comes back.
 *
 * Besides the usual callbacks, each filter instance answers the proc "get_stats" on its proc
 * handler (obs_source_get_proc_handler) with: host_pid, link_state (enum sfx_link_state),
 * restarts, frames_staged, frames_published, frames_dropped, frames_received, frames_drawn,
 * latency_ms / latency_frames (last drawn host frame), latency_ms_avg / latency_frames_avg.
 */
#pragma once

#include <obs-module.h>

#define SFX_DIFFUSION_FILTER_ID "streamfx_diffusion_filter"

extern struct obs_source_info sfx_diffusion_filter_info;
