#include "filter-stats.h"

#include <string.h>

#include <callback/calldata.h>
#include <callback/proc.h>

bool filter_stats_read(obs_source_t *filter, struct filter_stats *s)
{
	memset(s, 0, sizeof(*s));
	calldata_t cd = {0};
	bool ok = proc_handler_call(obs_source_get_proc_handler(filter), "get_stats", &cd);
	if (ok) {
		s->host_pid = calldata_int(&cd, "host_pid");
		s->link_state = calldata_int(&cd, "link_state");
		s->restarts = calldata_int(&cd, "restarts");
		s->frames_staged = calldata_int(&cd, "frames_staged");
		s->frames_published = calldata_int(&cd, "frames_published");
		s->frames_sent = calldata_int(&cd, "frames_sent");
		s->frames_dropped = calldata_int(&cd, "frames_dropped");
		s->frames_received = calldata_int(&cd, "frames_received");
		s->frames_drawn = calldata_int(&cd, "frames_drawn");
		s->input_width = calldata_int(&cd, "input_width");
		s->input_height = calldata_int(&cd, "input_height");
		s->output_width = calldata_int(&cd, "output_width");
		s->output_height = calldata_int(&cd, "output_height");
		s->active = calldata_int(&cd, "active");
		s->status_refreshes = calldata_int(&cd, "status_refreshes");
		s->configures_sent = calldata_int(&cd, "configures_sent");
		s->latency_ms = calldata_float(&cd, "latency_ms");
		s->latency_frames = calldata_int(&cd, "latency_frames");
		s->latency_ms_avg = calldata_float(&cd, "latency_ms_avg");
		s->latency_frames_avg = calldata_float(&cd, "latency_frames_avg");
	}
	calldata_free(&cd);
	return ok;
}
