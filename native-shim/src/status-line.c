#include "status-line.h"

#include <inttypes.h>
#include <stdio.h>

#include <obs-module.h>

static const char *link_state_text(enum sfx_link_state state)
{
	switch (state) {
	case SFX_LINK_STOPPED:
		return obs_module_text("StreamFx.Status.Stopped");
	case SFX_LINK_STARTING:
		return obs_module_text("StreamFx.Status.Starting");
	case SFX_LINK_CONNECTED:
		return obs_module_text("StreamFx.Status.Connected");
	case SFX_LINK_RESTARTING:
		return obs_module_text("StreamFx.Status.Restarting");
	case SFX_LINK_FAILED:
		return obs_module_text("StreamFx.Status.Failed");
	}
	return "";
}

/* Frames this slow get a note on the status line; this much slower, advice too. */
#define SLOW_FRAME_MS  1000u
#define SLOW_ADVICE_MS 2000u

/* The newest frame's time, or the wait for the next one once that is longer. */
static uint32_t slow_frame_ms(const struct sfx_host_status *status)
{
	return status->frame_pending_ms > status->last_frame_ms ? status->frame_pending_ms : status->last_frame_ms;
}

static void cat_field(struct dstr *out, const char *label_key, const char *value)
{
	dstr_cat(out, obs_module_text(label_key));
	dstr_cat(out, ": ");
	dstr_cat(out, value && value[0] ? value : "-");
}

void sfx_status_line_format(struct dstr *out, const struct sfx_host_status *status, const struct sfx_status_counters *c)
{
	dstr_free(out);
	if (!status) {
		dstr_copy(out, obs_module_text("StreamFx.Status.NoHost"));
		dstr_replace(out, "%1", obs_module_text("StreamFx.Status.SeeLog"));
		return;
	}

	/* The host's STATUS object: state, provider, model, fps, latency_ms, error (any may be absent). */
	obs_data_t *host = status->host_status_json[0] ? obs_data_create_from_json(status->host_status_json) : NULL;
	const char *host_state = host ? obs_data_get_string(host, "state") : "";
	const char *provider = host ? obs_data_get_string(host, "provider") : "";
	const char *model = host ? obs_data_get_string(host, "model") : "";
	const char *host_error = host ? obs_data_get_string(host, "error") : "";
	bool has_fps = host && obs_data_has_user_value(host, "fps");
	double fps = has_fps ? obs_data_get_double(host, "fps") : 0.0;

	/* Line 1: the link and the host's own state. */
	dstr_copy(out, obs_module_text("StreamFx.Status.Host"));
	dstr_cat(out, ": ");
	struct dstr state = {0};
	dstr_copy(&state, link_state_text(status->state));
	dstr_replace(&state, "%1", status->last_error[0] ? status->last_error : "-");
	/* Supervision is visible: a restart in progress with its delay, or how many there were. */
	if (status->state == SFX_LINK_RESTARTING || status->restarts > 0) {
		char r[96];
		if (status->state == SFX_LINK_RESTARTING)
			snprintf(r, sizeof(r), " (%s %" PRIu32 ", %d ms)", obs_module_text("StreamFx.Status.Restart"),
				 status->restarts, status->restart_delay_ms);
		else
			snprintf(r, sizeof(r), " (%s: %" PRIu32 ")", obs_module_text("StreamFx.Status.Restarts"),
				 status->restarts);
		dstr_cat(&state, r);
	}
	dstr_cat_dstr(out, &state);
	dstr_free(&state);
	if (host_state[0]) {
		dstr_cat(out, " (");
		dstr_cat(out, host_state);
		dstr_cat(out, ")");
	}
	if (c->bypass) {
		dstr_cat(out, " - ");
		dstr_cat(out, obs_module_text("StreamFx.Status.Bypassed"));
	} else if (!c->active) {
		dstr_cat(out, " - ");
		dstr_cat(out, obs_module_text("StreamFx.Status.Idle"));
	} else if (slow_frame_ms(status) >= SLOW_FRAME_MS) {
		/* A slow host is not a hung one: say how slow, so a streamer sees why frames are late. */
		struct dstr slow = {0};
		char seconds[32];
		snprintf(seconds, sizeof(seconds), "%.1f", (double)slow_frame_ms(status) / 1000.0);
		dstr_copy(&slow, obs_module_text("StreamFx.Status.Slow"));
		dstr_replace(&slow, "%1", seconds);
		dstr_replace(&slow, "%2", provider[0] ? provider : "-");
		dstr_cat(out, " - ");
		dstr_cat_dstr(out, &slow);
		dstr_free(&slow);
		if (slow_frame_ms(status) >= SLOW_ADVICE_MS) {
			dstr_cat(out, " - ");
			dstr_cat(out, obs_module_text("StreamFx.Status.SlowAdvice"));
		}
	}

	/* Line 2: what runs. */
	dstr_cat(out, "\n");
	cat_field(out, "StreamFx.Status.Provider", provider);
	dstr_cat(out, "    ");
	cat_field(out, "StreamFx.Status.Model", model);

	/* Line 3: how fast, how late, how much was lost. */
	char text[160];
	dstr_cat(out, "\n");
	if (has_fps)
		snprintf(text, sizeof(text), "%.1f", fps);
	else
		snprintf(text, sizeof(text), "-");
	cat_field(out, "StreamFx.Status.Fps", text);
	dstr_cat(out, "    ");
	if (c->frames_received)
		snprintf(text, sizeof(text), "%.0f ms / %" PRIu64 " %s", c->latency_ms, c->latency_frames,
			 obs_module_text("StreamFx.Status.Frames"));
	else
		snprintf(text, sizeof(text), "-");
	cat_field(out, "StreamFx.Status.Latency", text);
	dstr_cat(out, "    ");
	snprintf(text, sizeof(text), "%" PRIu64, c->frames_dropped);
	cat_field(out, "StreamFx.Status.Dropped", text);

	/* Line 4: the newest error from either side. */
	dstr_cat(out, "\n");
	const char *error = host_error[0] ? host_error : status->last_error;
	cat_field(out, "StreamFx.Status.LastError", error[0] ? error : obs_module_text("StreamFx.Status.NoError"));
	obs_data_release(host);
}

void sfx_status_line_key(struct dstr *out, const struct sfx_host_status *status, const struct sfx_status_counters *c)
{
	dstr_free(out);
	if (!status) {
		dstr_copy(out, "no host");
		return;
	}
	obs_data_t *host = status->host_status_json[0] ? obs_data_create_from_json(status->host_status_json) : NULL;
	/* States, names and errors; never fps, latency, counts or load progress, which move all the time. */
	dstr_printf(out, "%d|%" PRIu32 "|%s|%s|%s|%s|%s|%d|%d|%d", (int)status->state, status->restarts,
		    status->last_error, host ? obs_data_get_string(host, "state") : "",
		    host ? obs_data_get_string(host, "error") : "", host ? obs_data_get_string(host, "provider") : "",
		    host ? obs_data_get_string(host, "model") : "", c->bypass ? 1 : 0, c->active ? 1 : 0,
		    slow_frame_ms(status) >= SLOW_FRAME_MS ? 1 : 0);
	obs_data_release(host);
}
