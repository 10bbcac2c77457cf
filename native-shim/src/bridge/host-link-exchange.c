/*
 * host-link-exchange.c: the graphics-side exchange. The filter fills the input slot
 * (input_begin/input_publish), takes the newest output (output_take), asks is_live and
 * published_count, and hands settings over (configure). Every call here is safe on OBS's graphics
 * thread: a try-lock it gives up on, atomics, never a wait or a log call. What it finds wrong in
 * the output slots is left for the worker to report (take_exchange_reports), and the worker alone
 * resets the exchange between sessions.
 */
#include "host-link-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sfx_link_reset_exchange(struct sfx_host_link *l)
{
	sfx_mutex_lock(l->region_lock);
	atomic_store(&l->live, false);
	sfx_region_reset_exchange(l->region);
	struct sfx_region_header *h = sfx_region_header(l->region);
	sfx_triple_writer_init(&l->in_w, &h->input_exchange);
	sfx_triple_reader_init(&l->out_r, &h->output_exchange);
	l->have_out = false;
	l->stale_logged = false;
	l->begun = false;
	l->session_gen++;
	atomic_store(&l->violation, false);
	sfx_mutex_unlock(l->region_lock);
}

void sfx_link_set_live(struct sfx_host_link *l, bool live)
{
	sfx_mutex_lock(l->region_lock);
	atomic_store(&l->live, live);
	sfx_mutex_unlock(l->region_lock);
}

bool sfx_link_take_exchange_reports(struct sfx_host_link *l)
{
	if (atomic_load(&l->violation)) {
		char msg[256];
		sfx_mutex_lock(l->region_lock);
		snprintf(msg, sizeof(msg), "%s", l->violation_msg);
		sfx_mutex_unlock(l->region_lock);
		sfx_link_set_error(l, "protocol violation in the output slots: %s", msg);
		return false;
	}
	if (atomic_exchange(&l->stale_report, false)) {
		char msg[128];
		sfx_mutex_lock(l->region_lock);
		snprintf(msg, sizeof(msg), "%s", l->stale_msg);
		sfx_mutex_unlock(l->region_lock);
		sfx_link_log(l, SFX_LOG_WARNING, "%s", msg);
	}
	return true;
}

uint8_t *sfx_host_link_input_begin(struct sfx_host_link *l, size_t *capacity)
{
	if (!l || !sfx_mutex_trylock(l->region_lock))
		return NULL;
	uint8_t *pixels = NULL;
	if (atomic_load(&l->live)) {
		pixels = sfx_region_slot(l->region, l->stride, SFX_DIR_INPUT, l->in_w.back) + SFX_SLOT_HEADER_SIZE;
		if (capacity)
			*capacity = l->stride - SFX_SLOT_HEADER_SIZE;
		l->begun = true;
		l->begin_gen = l->session_gen;
	}
	sfx_mutex_unlock(l->region_lock);
	return pixels;
}

uint32_t sfx_host_link_input_publish(struct sfx_host_link *l, uint32_t width, uint32_t height, uint32_t row_bytes,
				     enum sfx_pixel_format format, uint64_t capture_time_ns)
{
	if (!l)
		return 0;
	/* Tests: drop the frame as a busy worker would (issue 13.9's check that drops count as drops). */
	if (l->drop_every && ++l->publish_calls % l->drop_every == 0)
		return atomic_load(&l->published_seq);
	if (!sfx_mutex_trylock(l->region_lock))
		return atomic_load(&l->published_seq);
	uint32_t seq = atomic_load(&l->published_seq);
	struct sfx_slot_header hdr = {0};
	hdr.sequence = l->next_seq;
	hdr.source_sequence = l->next_seq;
	hdr.width = width;
	hdr.height = height;
	hdr.row_bytes = row_bytes;
	hdr.pixel_format = (uint32_t)format;
	hdr.capture_time_ns = capture_time_ns;
	bool ok = atomic_load(&l->live) && l->begun && l->begin_gen == l->session_gen &&
		  sfx_slot_validate(&hdr, l->max_width, l->max_height, l->stride, NULL, 0);
	if (ok) {
		memcpy(sfx_region_slot(l->region, l->stride, SFX_DIR_INPUT, l->in_w.back), &hdr, sizeof(hdr));
		if (sfx_triple_publish(&l->in_w, l->violation_msg, sizeof(l->violation_msg))) {
			seq = l->next_seq++;
			atomic_store(&l->published_seq, seq);
			atomic_fetch_add(&l->publish_count, 1);
		} else {
			atomic_store(&l->violation, true);
		}
	}
	l->begun = false;
	sfx_mutex_unlock(l->region_lock);
	sfx_wake_signal(l->wake);
	return seq;
}

bool sfx_host_link_is_live(const struct sfx_host_link *l)
{
	return l && atomic_load(&l->live);
}

uint64_t sfx_host_link_published_count(const struct sfx_host_link *l)
{
	return l ? atomic_load(&l->publish_count) : 0;
}

/* The newest output slot as a view, unless it is malformed (a violation) or not newer than the
 * last one taken (stale: ignored, said once per session). Region lock held. */
static bool take_output_slot(struct sfx_host_link *l, struct sfx_frame_view *out)
{
	uint8_t *slot = sfx_region_slot(l->region, l->stride, SFX_DIR_OUTPUT, l->out_r.front);
	struct sfx_slot_header hdr;
	memcpy(&hdr, slot, sizeof(hdr)); /* one read; checks and use go by the copy */
	if (!sfx_slot_validate(&hdr, l->max_width, l->max_height, l->stride, l->violation_msg,
			       sizeof(l->violation_msg))) {
		atomic_store(&l->violation, true);
		return false;
	}
	if (l->have_out && !sfx_seq_newer(hdr.sequence, l->last_out_seq)) {
		/* Section 4: ignore, and say so once per session. */
		if (!l->stale_logged) {
			l->stale_logged = true;
			snprintf(l->stale_msg, sizeof(l->stale_msg),
				 "output sequence %" PRIu32 " is not newer than %" PRIu32 "; ignored", hdr.sequence,
				 l->last_out_seq);
			atomic_store(&l->stale_report, true);
		}
		return false;
	}
	l->have_out = true;
	l->last_out_seq = hdr.sequence;
	out->sequence = hdr.sequence;
	out->source_sequence = hdr.source_sequence;
	out->width = hdr.width;
	out->height = hdr.height;
	out->row_bytes = hdr.row_bytes;
	out->format = (enum sfx_pixel_format)hdr.pixel_format;
	out->capture_time_ns = hdr.capture_time_ns;
	out->process_us = hdr.process_us;
	out->pixels = slot + SFX_SLOT_HEADER_SIZE;
	return true;
}

bool sfx_host_link_output_take(struct sfx_host_link *l, struct sfx_frame_view *out)
{
	if (!l || !out || !sfx_mutex_trylock(l->region_lock))
		return false;
	bool got = false;
	if (atomic_load(&l->live) && !atomic_load(&l->violation)) {
		int r = sfx_triple_take(&l->out_r, l->violation_msg, sizeof(l->violation_msg));
		if (r < 0)
			atomic_store(&l->violation, true);
		else if (r > 0)
			got = take_output_slot(l, out);
	}
	bool violation = atomic_load(&l->violation);
	sfx_mutex_unlock(l->region_lock);
	if (violation)
		sfx_wake_signal(l->wake);
	return got;
}

void sfx_host_link_configure(struct sfx_host_link *l, const char *settings_json)
{
	if (!l || !settings_json)
		return;
	size_t n = strlen(settings_json);
	if (n > SFX_MAX_PAYLOAD || !sfx_json_object_valid((const uint8_t *)settings_json, n)) {
		/* The worker logs it: a log call here could wait behind OBS's log lock. */
		char *error = malloc(256);
		if (!error)
			return;
		snprintf(error, 256, "settings not sent: expected a JSON object of at most %u bytes, found %zu bytes%s",
			 SFX_MAX_PAYLOAD, n, n > SFX_MAX_PAYLOAD ? "" : " that do not parse");
		free(atomic_exchange(&l->pending_config_error, error));
	} else {
		char *copy = malloc(n + 1);
		if (!copy)
			return;
		memcpy(copy, settings_json, n + 1);
		/* An older copy the worker has not taken yet is superseded: the newest wins. */
		free(atomic_exchange(&l->pending_config, copy));
	}
	sfx_wake_signal(l->wake);
}
