/*
 * host-link-session.c: the session protocol on the control channel (docs/protocol.md). HELLO
 * first, then CONFIGURE with the newest settings, FRAME_READY for published inputs, and the host's
 * FRAME_DONE, STATUS and LOG dispatched into the status and the log. Any violation ends the
 * session with its reason recorded; what happens next (restart, give up) is the supervisor's.
 * Worker thread only.
 */
#include "host-link-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sfx_link_queue_message(struct sfx_host_link *l, uint16_t type, const void *payload, size_t len)
{
	uint8_t *p = sfx_outq_reserve(&l->outq, SFX_MSG_HEADER_SIZE + len);
	if (!p)
		return false;
	size_t n = sfx_msg_encode(p, SFX_MSG_HEADER_SIZE + len, type, payload, len);
	if (n == 0)
		return false;
	sfx_outq_commit(&l->outq, n);
	return true;
}

void sfx_link_take_config_requests(struct sfx_host_link *l)
{
	char *error = atomic_exchange(&l->pending_config_error, NULL);
	if (error) {
		sfx_link_set_error(l, "%s", error);
		free(error);
	}
	char *json = atomic_exchange(&l->pending_config, NULL);
	if (json) {
		free(l->config_json);
		l->config_json = json;
		l->config_dirty = true;
	}
}

static void queue_config(struct sfx_host_link *l, bool force)
{
	sfx_link_take_config_requests(l);
	if (l->config_json && (force || l->config_dirty)) {
		if (sfx_link_queue_message(l, SFX_MSG_CONFIGURE, l->config_json, strlen(l->config_json)))
			l->config_dirty = false;
	}
}

const char *sfx_link_exit_text(struct sfx_link_session *s, char *buf, size_t cap)
{
	int code = 0;
	if (!s->proc)
		snprintf(buf, cap, "external host");
	else if (sfx_process_running(s->proc, &code))
		snprintf(buf, cap, "still running");
	else if (code < 0)
		snprintf(buf, cap, "killed by signal %d", -code);
	else
		snprintf(buf, cap, "exit code %d", code);
	return buf;
}

static bool handle_hello(struct sfx_host_link *l, struct sfx_link_session *s, const struct sfx_msg *m)
{
	struct sfx_hello h;
	sfx_msg_parse_hello(m, &h);
	if (s->hello) {
		sfx_link_set_error(l, "protocol violation: HELLO repeated (expected once, found a second one)");
		return false;
	}
	if (h.major != SFX_PROTOCOL_MAJOR) {
		s->version_mismatch = true;
		sfx_link_set_error(l, "protocol violation: HELLO version_major expected %d, found %u",
				   SFX_PROTOCOL_MAJOR, (unsigned)h.major);
		return false;
	}
	if (s->proc && (int64_t)h.pid != sfx_process_pid(s->proc))
		sfx_link_log(l, SFX_LOG_WARNING, "HELLO pid %" PRIu32 " differs from the spawned pid %" PRId64, h.pid,
			     sfx_process_pid(s->proc));
	s->hello = true;
	sfx_link_log(l, SFX_LOG_INFO, "host connected (protocol %u.%u, pid %" PRIu32 ")", (unsigned)h.major,
		     (unsigned)h.minor, h.pid);
	return true;
}

static void handle_frame_done(struct sfx_host_link *l, struct sfx_link_session *s, const struct sfx_msg *m)
{
	struct sfx_frame_done d;
	sfx_msg_parse_frame_done(m, &d);
	uint64_t now = sfx_monotonic_ns();
	uint32_t took_ms = s->pending_since ? (uint32_t)((now - s->pending_since) / 1000000) : 0;
	if (s->slow_logged)
		sfx_link_log(l, SFX_LOG_INFO,
			     "host slow: its next output (made from frame %" PRIu32 ") came after %" PRIu32 " ms",
			     d.source_sequence, took_ms);
	s->slow_logged = false;
	/* Done with the newest notified frame: nothing pending. Older: progress, restart the clock. */
	s->pending_since = d.source_sequence == s->last_notified ? 0 : now;
	sfx_mutex_lock(l->state_lock);
	l->status.frames_received++;
	l->status.last_frame_ms = took_ms;
	if (took_ms > l->status.slowest_frame_ms)
		l->status.slowest_frame_ms = took_ms;
	l->status.frame_pending_ms = 0;
	sfx_mutex_unlock(l->state_lock);
	sfx_wake_signal(l->events);
}

static void handle_log(struct sfx_host_link *l, const struct sfx_msg *m)
{
	static const enum sfx_log_level levels[] = {SFX_LOG_ERROR, SFX_LOG_WARNING, SFX_LOG_INFO, SFX_LOG_DEBUG};
	/* The decoder checked length 1..4097 and level 0..3; a NUL in the text (valid UTF-8) would
	 * cut the line short, so it is shown as a space. */
	char text[SFX_LOG_TEXT_MAX + 1];
	size_t n = m->length - 1;
	memcpy(text, m->payload + 1, n);
	for (size_t i = 0; i < n; i++)
		if (text[i] == '\0')
			text[i] = ' ';
	text[n] = '\0';
	sfx_link_log(l, levels[m->payload[0]], "host: %s", text);
}

/* Handles one decoded message from the host. Returns false on a violation (already reported). */
static bool handle_message(struct sfx_host_link *l, struct sfx_link_session *s, const struct sfx_msg *m)
{
	switch (m->type) {
	case SFX_MSG_HELLO:
		return handle_hello(l, s, m);
	case SFX_MSG_FRAME_DONE:
		handle_frame_done(l, s, m);
		return true;
	case SFX_MSG_STATUS:
		/* The decoder checked 1..SFX_MAX_PAYLOAD bytes of JSON (which has no raw NUL): all of it
		 * fits, so a long failure report reaches the panel whole. */
		sfx_mutex_lock(l->state_lock);
		memcpy(l->status.host_status_json, m->payload, m->length);
		l->status.host_status_json[m->length] = '\0';
		sfx_mutex_unlock(l->state_lock);
		sfx_wake_signal(l->events);
		return true;
	case SFX_MSG_LOG:
		handle_log(l, m);
		return true;
	default:
		sfx_link_set_error(
		    l, "protocol violation: message type %u: expected a host-to-shim type, found a shim-to-host one",
		    (unsigned)m->type);
		return false;
	}
}

/* Reads everything available. Returns false when the session must end. */
static bool read_messages(struct sfx_host_link *l, struct sfx_link_session *s)
{
	uint8_t buf[16384];
	for (;;) {
		int64_t n = sfx_conn_recv(s->conn, buf, sizeof(buf));
		if (n == 0)
			return true;
		if (n < 0) {
			/* Give a crashing host a moment to be reaped so the log shows why. */
			if (s->proc)
				sfx_process_wait(s->proc, 200, NULL);
			char why[64];
			sfx_link_set_error(l, "host closed the control channel (%s)",
					   sfx_link_exit_text(s, why, sizeof(why)));
			return false;
		}
		size_t off = 0;
		while (off < (size_t)n) {
			struct sfx_msg m;
			size_t used = 0;
			char err[200];
			int r =
			    sfx_msg_decoder_feed(l->decoder, buf + off, (size_t)n - off, &used, &m, err, sizeof(err));
			off += used;
			if (r < 0) {
				sfx_link_set_error(l, "protocol violation: %s", err);
				return false;
			}
			if (r == 0)
				break;
			if (!s->hello && m.type != SFX_MSG_HELLO) {
				sfx_link_set_error(l, "protocol violation: first message expected HELLO, found type %u",
						   (unsigned)m.type);
				return false;
			}
			if (!handle_message(l, s, &m))
				return false;
		}
	}
}

enum sfx_link_outcome sfx_link_await_hello(struct sfx_host_link *l, struct sfx_link_session *s)
{
	uint64_t deadline = sfx_link_deadline_ns(l->connect_timeout_ms);
	while (!s->hello) {
		if (sfx_link_stopping(l))
			return SFX_OUTCOME_STOP;
		sfx_link_take_config_requests(l);
		uint64_t now = sfx_monotonic_ns();
		if (now >= deadline) {
			sfx_link_set_error(l, "protocol violation: HELLO expected within %d ms, found none",
					   l->connect_timeout_ms);
			return SFX_OUTCOME_RESTART;
		}
		int left = sfx_link_ms_left(deadline, now);
		int ready = sfx_conn_wait(s->conn, l->wake, false, left < l->tick_ms ? left : l->tick_ms);
		if (ready & SFX_READY_WAKE)
			sfx_wake_clear(l->wake);
		if ((ready & (SFX_READY_READ | SFX_READY_ERROR)) && !read_messages(l, s)) {
			/* A HELLO of another major version is a mismatch a restart cannot fix. */
			return s->version_mismatch ? SFX_OUTCOME_FAILED : SFX_OUTCOME_RESTART;
		}
	}
	return SFX_OUTCOME_CONTINUE;
}

/* Queues one FRAME_READY for however many inputs were published since the last one (the newest's
 * sequence), unless the host is already this far behind on reading. */
static void queue_frame_ready(struct sfx_host_link *l, struct sfx_link_session *s)
{
	uint64_t pc = atomic_load(&l->publish_count);
	if (pc == s->last_publish_count || sfx_outq_pending(&l->outq) >= FRAME_READY_QUEUE_LIMIT)
		return;
	uint32_t seq = atomic_load(&l->published_seq);
	uint8_t payload[4] = {(uint8_t)seq, (uint8_t)(seq >> 8), (uint8_t)(seq >> 16), (uint8_t)(seq >> 24)};
	if (sfx_link_queue_message(l, SFX_MSG_FRAME_READY, payload, sizeof(payload))) {
		s->last_publish_count = pc;
		s->last_notified = seq;
		if (!s->pending_since)
			s->pending_since = sfx_monotonic_ns();
	}
}

enum sfx_link_outcome sfx_link_serve(struct sfx_host_link *l, struct sfx_link_session *s)
{
	s->connected_at = sfx_monotonic_ns();
	s->heartbeat_moved_at = s->connected_at;
	s->last_heartbeat = atomic_load(&sfx_region_header(l->region)->host_heartbeat);
	s->last_publish_count = atomic_load(&l->publish_count);
	queue_config(l, true);
	sfx_link_set_live(l, true);
	sfx_link_set_state(l, SFX_LINK_CONNECTED);

	for (;;) {
		if (sfx_link_stopping(l))
			return SFX_OUTCOME_STOP;
		if (!sfx_link_take_exchange_reports(l))
			return SFX_OUTCOME_RESTART;
		queue_config(l, false);
		queue_frame_ready(l, s);
		if (!sfx_outq_flush(&l->outq, s->conn)) {
			char why[64];
			sfx_link_set_error(l, "sending to the host failed: %s (%s)", sfx_platform_error(),
					   sfx_link_exit_text(s, why, sizeof(why)));
			return SFX_OUTCOME_RESTART;
		}

		int ready = sfx_conn_wait(s->conn, l->wake, sfx_outq_pending(&l->outq) > 0, l->tick_ms);
		if (ready & SFX_READY_WAKE)
			sfx_wake_clear(l->wake);
		if ((ready & (SFX_READY_READ | SFX_READY_ERROR)) && !read_messages(l, s))
			return SFX_OUTCOME_RESTART;
		if (!sfx_link_check_host(l, s))
			return SFX_OUTCOME_RESTART;
	}
}
