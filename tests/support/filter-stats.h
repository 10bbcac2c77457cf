/* The filter's counters as its "get_stats" proc reports them, read the same way by every test. */
#pragma once

#include <stdbool.h>

#include <obs.h>

struct filter_stats {
	long long host_pid, link_state, restarts;
	long long frames_staged, frames_published, frames_dropped, frames_received, frames_drawn;
	long long frames_sent; /* the link's count of input frames that really went out */
	long long input_width, input_height, output_width, output_height;
	long long active, status_refreshes, configures_sent;
	double latency_ms, latency_ms_avg, latency_frames_avg;
	long long latency_frames;
};

/* Calls the filter's "get_stats" proc; false (and zeroed stats) if the filter has none. */
bool filter_stats_read(obs_source_t *filter, struct filter_stats *s);
