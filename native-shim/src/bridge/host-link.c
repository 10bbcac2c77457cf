/*
 * host-link.h: one filter instance's frame region, control channel, host process and worker.
 *
 * Threads: the worker owns every blocking step (spawn, accept, I/O, waits, teardown). The
 * graphics thread touches only the triple buffers, under a try-lock it gives up on; the worker
 * takes that lock only to switch sessions (exchange words reset, `live` flipped), so a graphics
 * call never sees a half-reset region. Graphics → worker signalling is an atomic counter plus the
 * wake event; the worker coalesces any number of publishes into one FRAME_READY.
 */
#include "host-link.h"

#include "frame-region.h"
#include "message-codec.h"
#include "outbound-queue.h"
#include "protocol.h"
#include "../platform/platform.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_HANG_TIMEOUT_MS    3000 /* 12 heartbeats of the host (every 250 ms) */
#define SHUTDOWN_WAIT_MS           2000
#define EXIT_WAIT_SLICE_MS         100 /* the grace re-checks module unload's kill point this often */
#define DEFAULT_BACKOFF_MS         250
#define DEFAULT_BACKOFF_MAX_MS     8000
#define TIMING_MAX_MS              600000
#define STABLE_SESSION_NS          10000000000ull /* a session this long resets the backoff */
#define TICK_MAX_MS                250            /* hang checks run at least this often */
#define OUTQ_CAP                   (2 * (SFX_MAX_PAYLOAD + SFX_MSG_HEADER_SIZE))
#define FRAME_READY_QUEUE_LIMIT    4096 /* no more wake-ups while this much is unsent */

enum outcome { OUTCOME_STOP, OUTCOME_RESTART, OUTCOME_FAILED };

_Static_assert(SFX_HOST_STATUS_JSON_MAX >= SFX_MAX_PAYLOAD, "a STATUS up to the payload limit must fit");

/* One worker thread, for module unload to join. Freed only after the join. */
struct worker_entry {
	struct sfx_thread *thread;
	atomic_bool done; /* the worker's last touch of its link is behind it */
	struct worker_entry *next;
};

struct sfx_host_link {
	/* Immutable after create. */
	char *host_path;
	uint32_t max_width, max_height, stride;
	bool external_host;
	int64_t external_peer_pid;
	int connect_timeout_ms;
	int backoff_ms, backoff_max_ms, hang_timeout_ms;
	int tick_ms; /* hang checks run at least this often: a quarter of the hang bound, at most 250 */
	struct sfx_shm *shm;
	void *region;
	char shm_name[64];
	struct sfx_wake *wake;   /* graphics/API → worker */
	struct sfx_wake *events; /* worker → sfx_host_link_wait_event */
	struct sfx_mutex *region_lock;
	struct sfx_mutex *state_lock;
	struct sfx_mutex *log_lock;

	atomic_bool stop;
	atomic_int refs; /* the worker's and the owner's: the last one out frees the link */
	atomic_bool live;
	atomic_uint_fast64_t publish_count;
	_Atomic uint32_t published_seq;
	atomic_bool violation;
	atomic_bool stale_report;

	/* Graphics-side state, guarded by region_lock. */
	struct sfx_triple_writer in_w;
	struct sfx_triple_reader out_r;
	uint32_t next_seq;
	uint32_t drop_every;    /* STREAMFX_TEST_DROP_INPUT_EVERY: tests drop every Nth input (0: never) */
	uint64_t publish_calls; /* graphics thread only */
	uint32_t last_out_seq;
	bool have_out;
	bool stale_logged;
	uint32_t session_gen;
	uint32_t begin_gen;
	bool begun;
	char violation_msg[256];
	char stale_msg[128];

	/* Guarded by log_lock. */
	sfx_log_fn log;
	void *log_ctx;

	/* Guarded by state_lock, which is held for memory copies only: never across I/O, a wait or a
	 * log call, so get_status waits microseconds at most. */
	struct sfx_host_status status;
	char control[256];

	/* Any thread -> worker by atomic exchange: configure never takes a lock. */
	_Atomic(char *) pending_config;
	_Atomic(char *) pending_config_error;

	/* Worker only. */
	char *config_json; /* the newest settings; every new host gets them */
	bool config_dirty;
	struct sfx_msg_decoder *decoder;
	struct sfx_outbound_queue outq;
	struct worker_entry *entry;
};

static atomic_int g_workers;
static _Atomic(struct sfx_wake *) g_all_done;
static _Atomic(struct sfx_mutex *) g_registry_lock;
static struct worker_entry *g_registry; /* guarded by g_registry_lock */
/* Set by join_all (module unload): a host still running at this time is killed, grace or not. */
static _Atomic uint64_t g_kill_at_ns;

/* ---- Small helpers ---------------------------------------------------------------------------- */

static void link_log(struct sfx_host_link *l, enum sfx_log_level level, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sfx_mutex_lock(l->log_lock);
	if (l->log)
		l->log(l->log_ctx, level, msg);
	sfx_mutex_unlock(l->log_lock);
}

const char *sfx_link_state_name(enum sfx_link_state state)
{
	switch (state) {
	case SFX_LINK_STOPPED:
		return "stopped";
	case SFX_LINK_STARTING:
		return "starting";
	case SFX_LINK_CONNECTED:
		return "connected";
	case SFX_LINK_RESTARTING:
		return "restarting";
	case SFX_LINK_FAILED:
		return "failed";
	}
	return "unknown";
}

/* Every transition is logged once, with what the status line shows for it. */
static void set_state(struct sfx_host_link *l, enum sfx_link_state state)
{
	sfx_mutex_lock(l->state_lock);
	enum sfx_link_state old = l->status.state;
	l->status.state = state;
	uint32_t restarts = l->status.restarts;
	int delay = l->status.restart_delay_ms;
	char error[sizeof(l->status.last_error)];
	snprintf(error, sizeof(error), "%s", l->status.last_error);
	sfx_mutex_unlock(l->state_lock);
	sfx_wake_signal(l->events);
	if (old == state && state != SFX_LINK_STARTING)
		return;
	switch (state) {
	case SFX_LINK_RESTARTING:
		link_log(l, SFX_LOG_WARNING, "state: restarting the host in %d ms (restart %" PRIu32 "; %s)", delay,
			 restarts, error[0] ? error : "no reason recorded");
		break;
	case SFX_LINK_FAILED:
		link_log(l, SFX_LOG_ERROR, "state: failed, showing the input unchanged: %s",
			 error[0] ? error : "no reason recorded");
		break;
	default:
		link_log(l, SFX_LOG_INFO, "state: %s", sfx_link_state_name(state));
		break;
	}
}

/* A timing knob: the config value, else a valid environment value, else the default. */
static int resolve_timing(struct sfx_host_link *l, int configured, const char *env, int min, int fallback)
{
	if (configured > 0)
		return configured < min ? min : configured > TIMING_MAX_MS ? TIMING_MAX_MS : configured;
	const char *text = getenv(env);
	if (!text || !text[0])
		return fallback;
	char *end = NULL;
	long v = strtol(text, &end, 10);
	if (*end || v < min || v > TIMING_MAX_MS) {
		link_log(l, SFX_LOG_WARNING, "%s='%s' ignored: expected an integer in %d..%d (ms); using %d", env, text,
			 min, TIMING_MAX_MS, fallback);
		return fallback;
	}
	return (int)v;
}

/* A test knob: a count from the environment (0 when unset or invalid). */
static int resolve_count(struct sfx_host_link *l, const char *env, int max)
{
	const char *text = getenv(env);
	if (!text || !text[0])
		return 0;
	char *end = NULL;
	long v = strtol(text, &end, 10);
	if (*end || v < 0 || v > max) {
		link_log(l, SFX_LOG_WARNING, "%s='%s' ignored: expected an integer in 0..%d", env, text, max);
		return 0;
	}
	if (v)
		link_log(l, SFX_LOG_WARNING, "%s=%ld: dropping every %ld-th input frame (test knob)", env, v, v);
	return (int)v;
}

static void set_error(struct sfx_host_link *l, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sfx_mutex_lock(l->state_lock);
	snprintf(l->status.last_error, sizeof(l->status.last_error), "%s", msg);
	sfx_mutex_unlock(l->state_lock);
	link_log(l, SFX_LOG_WARNING, "%s", msg);
}

static bool stopping(struct sfx_host_link *l)
{
	return atomic_load(&l->stop);
}

static void take_config_requests(struct sfx_host_link *l);

/* Waits up to ms for a stop request; other wake-ups (configure, stray publishes) are absorbed. */
static void wait_unless_stopped(struct sfx_host_link *l, int ms)
{
	uint64_t deadline = sfx_monotonic_ns() + (uint64_t)ms * 1000000ull;
	while (!stopping(l)) {
		take_config_requests(l);
		uint64_t now = sfx_monotonic_ns();
		if (ms >= 0 && now >= deadline)
			return;
		int left = ms < 0 ? -1 : (int)((deadline - now + 999999) / 1000000);
		if (sfx_wake_wait(l->wake, left))
			sfx_wake_clear(l->wake);
	}
}

static bool queue_message(struct sfx_host_link *l, uint16_t type, const void *payload, size_t len)
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

/* What configure handed over: the newest settings, and a refusal to log and show. */
static void take_config_requests(struct sfx_host_link *l)
{
	char *error = atomic_exchange(&l->pending_config_error, NULL);
	if (error) {
		set_error(l, "%s", error);
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
	take_config_requests(l);
	if (l->config_json && (force || l->config_dirty)) {
		if (queue_message(l, SFX_MSG_CONFIGURE, l->config_json, strlen(l->config_json)))
			l->config_dirty = false;
	}
}

/* ---- Session ---------------------------------------------------------------------------------- */

struct session {
	sfx_listener *listener;
	sfx_conn *conn;
	struct sfx_process *proc;
	bool hello;
	bool version_mismatch;
	bool hung; /* no point asking a hung host to stop: kill it */
	uint64_t connected_at;
	uint64_t pending_since; /* FRAME_READY sent, no FRAME_DONE for it yet */
	uint32_t last_notified;
	uint64_t last_publish_count;
	uint32_t last_heartbeat;
	uint64_t heartbeat_moved_at;
	bool slow_logged; /* the pending frame outlasted the hang bound (logged once per frame) */
};

/* Switches the graphics side to a clean state; only the worker calls it, no host attached. */
static void reset_exchange(struct sfx_host_link *l)
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

static void set_live(struct sfx_host_link *l, bool live)
{
	sfx_mutex_lock(l->region_lock);
	atomic_store(&l->live, live);
	sfx_mutex_unlock(l->region_lock);
}

static const char *exit_text(struct session *s, char *buf, size_t cap)
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

/* Handles one decoded message from the host. Returns false on a violation (already reported). */
static bool handle_message(struct sfx_host_link *l, struct session *s, const struct sfx_msg *m)
{
	switch (m->type) {
	case SFX_MSG_HELLO: {
		struct sfx_hello h;
		sfx_msg_parse_hello(m, &h);
		if (s->hello) {
			set_error(l, "protocol violation: HELLO repeated (expected once, found a second one)");
			return false;
		}
		if (h.major != SFX_PROTOCOL_MAJOR) {
			s->version_mismatch = true;
			set_error(l, "protocol violation: HELLO version_major expected %d, found %u",
				  SFX_PROTOCOL_MAJOR, (unsigned)h.major);
			return false;
		}
		if (s->proc && (int64_t)h.pid != sfx_process_pid(s->proc))
			link_log(l, SFX_LOG_WARNING, "HELLO pid %" PRIu32 " differs from the spawned pid %" PRId64,
				 h.pid, sfx_process_pid(s->proc));
		s->hello = true;
		link_log(l, SFX_LOG_INFO, "host connected (protocol %u.%u, pid %" PRIu32 ")", (unsigned)h.major,
			 (unsigned)h.minor, h.pid);
		return true;
	}
	case SFX_MSG_FRAME_DONE: {
		struct sfx_frame_done d;
		sfx_msg_parse_frame_done(m, &d);
		uint64_t now = sfx_monotonic_ns();
		uint32_t took_ms = s->pending_since ? (uint32_t)((now - s->pending_since) / 1000000) : 0;
		if (s->slow_logged)
			link_log(l, SFX_LOG_INFO,
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
		return true;
	}
	case SFX_MSG_STATUS:
		/* The decoder checked 1..SFX_MAX_PAYLOAD bytes of JSON (which has no raw NUL): all of it
		 * fits, so a long failure report reaches the panel whole. */
		sfx_mutex_lock(l->state_lock);
		memcpy(l->status.host_status_json, m->payload, m->length);
		l->status.host_status_json[m->length] = '\0';
		sfx_mutex_unlock(l->state_lock);
		sfx_wake_signal(l->events);
		return true;
	case SFX_MSG_LOG: {
		static const enum sfx_log_level levels[] = {SFX_LOG_ERROR, SFX_LOG_WARNING, SFX_LOG_INFO,
							    SFX_LOG_DEBUG};
		/* The decoder checked length 1..4097 and level 0..3; a NUL in the text (valid UTF-8) would
		 * cut the line short, so it is shown as a space. */
		char text[SFX_LOG_TEXT_MAX + 1];
		size_t n = m->length - 1;
		memcpy(text, m->payload + 1, n);
		for (size_t i = 0; i < n; i++)
			if (text[i] == '\0')
				text[i] = ' ';
		text[n] = '\0';
		link_log(l, levels[m->payload[0]], "host: %s", text);
		return true;
	}
	default:
		set_error(l,
			  "protocol violation: message type %u: expected a host-to-shim type, found a shim-to-host one",
			  (unsigned)m->type);
		return false;
	}
}

/* Reads everything available. Returns false when the session must end. */
static bool read_messages(struct sfx_host_link *l, struct session *s)
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
			set_error(l, "host closed the control channel (%s)", exit_text(s, why, sizeof(why)));
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
				set_error(l, "protocol violation: %s", err);
				return false;
			}
			if (r == 0)
				break;
			if (!s->hello && m.type != SFX_MSG_HELLO) {
				set_error(l, "protocol violation: first message expected HELLO, found type %u",
					  (unsigned)m.type);
				return false;
			}
			if (!handle_message(l, s, &m))
				return false;
		}
	}
}

/* SHUTDOWN's grace: up to SHUTDOWN_WAIT_MS for the host to exit, cut short by module unload's kill
 * point. Waited in slices because no platform wait takes both a process and an event. */
static bool wait_host_exit(struct sfx_process *proc)
{
	uint64_t end = sfx_monotonic_ns() + (uint64_t)SHUTDOWN_WAIT_MS * 1000000ull;
	for (;;) {
		uint64_t kill_at = atomic_load(&g_kill_at_ns);
		uint64_t limit = kill_at && kill_at < end ? kill_at : end;
		uint64_t now = sfx_monotonic_ns();
		if (now >= limit)
			return !sfx_process_running(proc, NULL);
		uint64_t left_ms = (limit - now + 999999) / 1000000;
		if (sfx_process_wait(proc, left_ms < EXIT_WAIT_SLICE_MS ? (int)left_ms : EXIT_WAIT_SLICE_MS, NULL))
			return true;
	}
}

static void teardown_session(struct sfx_host_link *l, struct session *s)
{
	set_live(l, false);
	if (s->conn) {
		sfx_outq_clear(&l->outq);
		queue_message(l, SFX_MSG_SHUTDOWN, NULL, 0);
		sfx_outq_flush(&l->outq, s->conn);
		sfx_conn_close(s->conn);
		s->conn = NULL;
	}
	sfx_listener_destroy(s->listener);
	s->listener = NULL;
	if (s->proc) {
		/* A host that never connected has nobody telling it to stop: no point waiting. */
		uint64_t t0 = sfx_monotonic_ns();
		if (!s->hello || s->hung || !wait_host_exit(s->proc)) {
			if (sfx_process_running(s->proc, NULL) && s->hello && !s->hung)
				link_log(l, SFX_LOG_WARNING, "host did not exit within %d ms of SHUTDOWN; killing it",
					 (int)((sfx_monotonic_ns() - t0) / 1000000));
			sfx_process_kill(s->proc);
		}
		sfx_process_destroy(s->proc); /* reaps */
		s->proc = NULL;
	}
	sfx_mutex_lock(l->state_lock);
	l->status.host_pid = 0;
	l->control[0] = '\0';
	sfx_mutex_unlock(l->state_lock);
}

/* Waits for the host to connect: accept in short slices so a stop request or an early host exit
 * ends the wait without sitting out the whole timeout. */
static enum outcome accept_host(struct sfx_host_link *l, struct session *s)
{
	uint64_t deadline = sfx_monotonic_ns() + (uint64_t)l->connect_timeout_ms * 1000000ull;
	int64_t pid = s->proc ? sfx_process_pid(s->proc) : l->external_peer_pid;
	for (;;) {
		if (stopping(l))
			return OUTCOME_STOP;
		take_config_requests(l);
		int code;
		if (s->proc && !sfx_process_running(s->proc, &code)) {
			char why[64];
			set_error(l, "host exited before connecting (%s)", exit_text(s, why, sizeof(why)));
			return OUTCOME_RESTART;
		}
		uint64_t now = sfx_monotonic_ns();
		if (now >= deadline) {
			set_error(l, "host did not connect within %d ms (%s)", l->connect_timeout_ms,
				  sfx_platform_error());
			return OUTCOME_RESTART;
		}
		int left = (int)((deadline - now + 999999) / 1000000);
		s->conn = sfx_listener_accept_wake(s->listener, pid, l->wake, left < l->tick_ms ? left : l->tick_ms);
		if (s->conn)
			return OUTCOME_RESTART; /* meaning: carry on */
		if (sfx_wake_wait(l->wake, 0))
			sfx_wake_clear(l->wake);
	}
}

static enum outcome run_session(struct sfx_host_link *l, struct session *s)
{
	reset_exchange(l);
	sfx_msg_decoder_init(l->decoder);
	sfx_outq_clear(&l->outq);

	char address[256];
	s->listener = sfx_listener_create(address, sizeof(address));
	if (!s->listener) {
		set_error(l, "cannot create the control channel: %s", sfx_platform_error());
		return OUTCOME_RESTART;
	}
	sfx_mutex_lock(l->state_lock);
	snprintf(l->control, sizeof(l->control), "%s", address);
	sfx_mutex_unlock(l->state_lock);
	set_state(l, SFX_LINK_STARTING);

	if (!l->external_host) {
		const char *argv[] = {l->host_path, "--shm", l->shm_name, "--control", address, NULL};
		char err[256];
		s->proc = sfx_process_spawn(l->host_path, argv, err, sizeof(err));
		if (!s->proc) {
			set_error(l, "%s", err);
			return OUTCOME_FAILED;
		}
		sfx_mutex_lock(l->state_lock);
		l->status.host_pid = sfx_process_pid(s->proc);
		l->status.started_at_ns = sfx_monotonic_ns();
		sfx_mutex_unlock(l->state_lock);
		sfx_wake_signal(l->events);
		link_log(l, SFX_LOG_INFO, "started host %s (pid %" PRId64 ")", l->host_path, sfx_process_pid(s->proc));
	}

	enum outcome o = accept_host(l, s);
	if (!s->conn)
		return o;
	sfx_listener_destroy(s->listener);
	s->listener = NULL;

	/* HELLO first, within the connect limit. */
	uint64_t deadline = sfx_monotonic_ns() + (uint64_t)l->connect_timeout_ms * 1000000ull;
	while (!s->hello) {
		if (stopping(l))
			return OUTCOME_STOP;
		take_config_requests(l);
		uint64_t now = sfx_monotonic_ns();
		if (now >= deadline) {
			set_error(l, "protocol violation: HELLO expected within %d ms, found none",
				  l->connect_timeout_ms);
			return OUTCOME_RESTART;
		}
		int left = (int)((deadline - now + 999999) / 1000000);
		int ready = sfx_conn_wait(s->conn, l->wake, false, left < l->tick_ms ? left : l->tick_ms);
		if (ready & SFX_READY_WAKE)
			sfx_wake_clear(l->wake);
		if ((ready & (SFX_READY_READ | SFX_READY_ERROR)) && !read_messages(l, s)) {
			/* A HELLO of another major version is a mismatch a restart cannot fix. */
			return s->version_mismatch ? OUTCOME_FAILED : OUTCOME_RESTART;
		}
	}

	s->connected_at = sfx_monotonic_ns();
	s->heartbeat_moved_at = s->connected_at;
	struct sfx_region_header *h = sfx_region_header(l->region);
	s->last_heartbeat = atomic_load(&h->host_heartbeat);
	s->last_publish_count = atomic_load(&l->publish_count);
	queue_config(l, true);
	set_live(l, true);
	set_state(l, SFX_LINK_CONNECTED);

	for (;;) {
		if (stopping(l))
			return OUTCOME_STOP;
		if (atomic_load(&l->violation)) {
			char msg[256];
			sfx_mutex_lock(l->region_lock);
			snprintf(msg, sizeof(msg), "%s", l->violation_msg);
			sfx_mutex_unlock(l->region_lock);
			set_error(l, "protocol violation in the output slots: %s", msg);
			return OUTCOME_RESTART;
		}
		if (atomic_exchange(&l->stale_report, false)) {
			char msg[128];
			sfx_mutex_lock(l->region_lock);
			snprintf(msg, sizeof(msg), "%s", l->stale_msg);
			sfx_mutex_unlock(l->region_lock);
			link_log(l, SFX_LOG_WARNING, "%s", msg);
		}
		queue_config(l, false);
		uint64_t pc = atomic_load(&l->publish_count);
		if (pc != s->last_publish_count && sfx_outq_pending(&l->outq) < FRAME_READY_QUEUE_LIMIT) {
			uint32_t seq = atomic_load(&l->published_seq);
			if (queue_message(l, SFX_MSG_FRAME_READY,
					  (uint8_t[4]){(uint8_t)seq, (uint8_t)(seq >> 8), (uint8_t)(seq >> 16),
						       (uint8_t)(seq >> 24)},
					  4)) {
				s->last_publish_count = pc;
				s->last_notified = seq;
				if (!s->pending_since)
					s->pending_since = sfx_monotonic_ns();
			}
		}
		if (!sfx_outq_flush(&l->outq, s->conn)) {
			char why[64];
			set_error(l, "sending to the host failed: %s (%s)", sfx_platform_error(),
				  exit_text(s, why, sizeof(why)));
			return OUTCOME_RESTART;
		}

		int ready = sfx_conn_wait(s->conn, l->wake, sfx_outq_pending(&l->outq) > 0, l->tick_ms);
		if (ready & SFX_READY_WAKE)
			sfx_wake_clear(l->wake);
		if ((ready & (SFX_READY_READ | SFX_READY_ERROR)) && !read_messages(l, s))
			return OUTCOME_RESTART;

		uint64_t now = sfx_monotonic_ns();
		uint32_t hb = atomic_load(&h->host_heartbeat);
		if (hb != s->last_heartbeat) {
			s->last_heartbeat = hb;
			s->heartbeat_moved_at = now;
		}
		uint64_t hang_ns = (uint64_t)l->hang_timeout_ms * 1000000ull;
		if (now - s->heartbeat_moved_at > hang_ns) {
			s->hung = true;
			set_error(l, "host hung: host_heartbeat stayed at %" PRIu32 " for more than %d ms", hb,
				  l->hang_timeout_ms);
			return OUTCOME_RESTART;
		}
		/* Liveness is the heartbeat alone (the host beats during loads, warm-ups and engine
		 * builds). A pending frame never ends the session: a slow model shows its frames late.
		 * It is logged once per frame and shown in the status. A loading host (state 0) passes
		 * frames through; its clock starts once it says it is ready. */
		if (atomic_load(&h->host_state) != SFX_HOST_READY && s->pending_since)
			s->pending_since = now;
		uint64_t pending_ns = s->pending_since ? now - s->pending_since : 0;
		if (pending_ns > hang_ns && !s->slow_logged) {
			s->slow_logged = true;
			link_log(l, SFX_LOG_WARNING,
				 "host slow: frame %" PRIu32 " pending for more than %d ms; its heartbeat goes on, so "
				 "it is waited for",
				 s->last_notified, l->hang_timeout_ms);
		}
		sfx_mutex_lock(l->state_lock);
		l->status.frame_pending_ms = (uint32_t)(pending_ns / 1000000);
		sfx_mutex_unlock(l->state_lock);
		int code;
		if (s->proc && !sfx_process_running(s->proc, &code)) {
			char why[64];
			set_error(l, "host exited (%s)", exit_text(s, why, sizeof(why)));
			return OUTCOME_RESTART;
		}
	}
}

/* ---- Worker ----------------------------------------------------------------------------------- */

static void free_link(struct sfx_host_link *l)
{
	sfx_shm_destroy(l->shm);
	sfx_wake_destroy(l->wake);
	sfx_wake_destroy(l->events);
	sfx_mutex_destroy(l->region_lock);
	sfx_mutex_destroy(l->state_lock);
	sfx_mutex_destroy(l->log_lock);
	sfx_outq_free(&l->outq);
	free(l->decoder);
	free(l->config_json);
	free(atomic_load(&l->pending_config));
	free(atomic_load(&l->pending_config_error));
	free(l->host_path);
	free(l);
}

/* Owner and worker each let go once; whoever is last frees. (The owner's destroy still signals the
 * wake after setting `stop`, when the worker may already have seen it and finished.) */
static void release_link(struct sfx_host_link *l)
{
	if (atomic_fetch_sub(&l->refs, 1) == 1)
		free_link(l);
}

/* With the registry lock held: joins (at once: they are done) and frees finished workers. */
static void join_finished_locked(void)
{
	for (struct worker_entry **pp = &g_registry; *pp;) {
		struct worker_entry *e = *pp;
		if (atomic_load(&e->done)) {
			*pp = e->next;
			sfx_thread_join(e->thread);
			free(e);
		} else {
			pp = &e->next;
		}
	}
}

static struct sfx_mutex *registry_lock(void)
{
	struct sfx_mutex *m = atomic_load(&g_registry_lock);
	if (m)
		return m;
	struct sfx_mutex *fresh = sfx_mutex_create();
	if (fresh && !atomic_compare_exchange_strong(&g_registry_lock, &m, fresh)) {
		sfx_mutex_destroy(fresh);
		return m;
	}
	return fresh;
}

static void worker_main(void *arg)
{
	struct sfx_host_link *l = arg;
	int backoff = l->backoff_ms;
	while (!stopping(l)) {
		struct session s = {0};
		enum outcome o = run_session(l, &s);
		bool was_stable = s.hello && sfx_monotonic_ns() - s.connected_at >= STABLE_SESSION_NS;
		teardown_session(l, &s);
		if (stopping(l) || o == OUTCOME_STOP)
			break;
		if (o == OUTCOME_FAILED || l->external_host) {
			set_state(l, l->external_host && o != OUTCOME_FAILED ? SFX_LINK_STOPPED : SFX_LINK_FAILED);
			wait_unless_stopped(l, -1);
			break;
		}
		if (was_stable)
			backoff = l->backoff_ms;
		sfx_mutex_lock(l->state_lock);
		l->status.frame_pending_ms = 0;
		l->status.last_frame_ms = 0;
		l->status.slowest_frame_ms = 0;
		l->status.restarts++;
		l->status.restart_delay_ms = backoff;
		l->status.restarted_at_ns = sfx_monotonic_ns();
		sfx_mutex_unlock(l->state_lock);
		set_state(l, SFX_LINK_RESTARTING);
		wait_unless_stopped(l, backoff);
		/* Doubling up to the cap: a host that keeps dying costs one spawn per cap interval. */
		backoff = backoff > l->backoff_max_ms / 2 ? l->backoff_max_ms : backoff * 2;
		sfx_mutex_lock(l->state_lock);
		l->status.restart_delay_ms = backoff;
		sfx_mutex_unlock(l->state_lock);
	}
	struct worker_entry *entry = l->entry;
	release_link(l);
	/* Last touches of shared state; join_all joins this thread once `done` is set. */
	struct sfx_wake *done = atomic_load(&g_all_done);
	atomic_store(&entry->done, true);
	if (atomic_fetch_sub(&g_workers, 1) == 1 && done)
		sfx_wake_signal(done);
}

/* ---- Public API ------------------------------------------------------------------------------- */

struct sfx_host_link *sfx_host_link_create(const struct sfx_host_link_config *config)
{
	if (!config)
		return NULL;
	struct sfx_host_link *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->log = config->log;
	l->log_ctx = config->log_ctx;
	l->max_width = config->max_width;
	l->max_height = config->max_height;
	l->external_host = config->external_host;
	l->external_peer_pid = config->external_peer_pid;
	l->connect_timeout_ms =
	    config->connect_timeout_ms > 0 ? config->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	l->log_lock = sfx_mutex_create();
	l->next_seq = config->first_sequence;
	atomic_store(&l->published_seq, config->first_sequence - 1u);
	l->state_lock = sfx_mutex_create();
	l->region_lock = sfx_mutex_create();
	l->wake = sfx_wake_create();
	l->events = sfx_wake_create();
	l->decoder = malloc(sizeof(*l->decoder));
	if (!l->log_lock || !l->state_lock || !l->region_lock || !l->wake || !l->events || !l->decoder ||
	    !sfx_outq_init(&l->outq, OUTQ_CAP)) {
		if (l->log_lock)
			link_log(l, SFX_LOG_ERROR, "host link: out of resources: %s", sfx_platform_error());
		free_link(l);
		return NULL;
	}
	l->backoff_ms =
	    resolve_timing(l, config->restart_backoff_ms, "STREAMFX_RESTART_BACKOFF_MS", 1, DEFAULT_BACKOFF_MS);
	l->backoff_max_ms = resolve_timing(l, config->restart_backoff_max_ms, "STREAMFX_RESTART_BACKOFF_MAX_MS", 1,
					   DEFAULT_BACKOFF_MAX_MS);
	if (l->backoff_max_ms < l->backoff_ms)
		l->backoff_max_ms = l->backoff_ms;
	/* Below a second the host's 250 ms heartbeat could look like a hang. */
	l->drop_every = (uint32_t)resolve_count(l, "STREAMFX_TEST_DROP_INPUT_EVERY", 1000);
	l->hang_timeout_ms =
	    resolve_timing(l, config->hang_timeout_ms, "STREAMFX_HANG_TIMEOUT_MS", 1000, DEFAULT_HANG_TIMEOUT_MS);
	l->tick_ms = l->hang_timeout_ms / 4 < TICK_MAX_MS ? l->hang_timeout_ms / 4 : TICK_MAX_MS;
	l->status.restart_delay_ms = l->backoff_ms;
	l->status.hang_timeout_ms = l->hang_timeout_ms;
	if (!l->external_host) {
		if (!config->host_path || !config->host_path[0]) {
			link_log(l, SFX_LOG_ERROR, "host link: no host executable path configured");
			free_link(l);
			return NULL;
		}
		l->host_path = malloc(strlen(config->host_path) + 1);
		if (!l->host_path) {
			free_link(l);
			return NULL;
		}
		strcpy(l->host_path, config->host_path);
	}
	l->stride = sfx_region_slot_stride(config->max_width, config->max_height);
	if (l->stride == 0) {
		link_log(l, SFX_LOG_ERROR, "host link: frame size %" PRIu32 "x%" PRIu32 " is outside 1..%u",
			 config->max_width, config->max_height, SFX_MAX_DIMENSION);
		free_link(l);
		return NULL;
	}
	uint64_t total = sfx_region_total_size(l->stride);
	if (total > SIZE_MAX) {
		free_link(l);
		return NULL;
	}
	static atomic_bool cleaned;
	if (!atomic_exchange(&cleaned, true))
		sfx_cleanup_stale();
	l->shm = sfx_shm_create((size_t)total, l->shm_name, sizeof(l->shm_name));
	char err[256];
	if (!l->shm) {
		link_log(l, SFX_LOG_ERROR, "host link: cannot create the frame region: %s", sfx_platform_error());
		free_link(l);
		return NULL;
	}
	l->region = sfx_shm_data(l->shm);
	if (!sfx_region_init(l->region, sfx_shm_size(l->shm), l->max_width, l->max_height, err, sizeof(err))) {
		link_log(l, SFX_LOG_ERROR, "host link: %s", err);
		free_link(l);
		return NULL;
	}
	struct sfx_region_header *h = sfx_region_header(l->region);
	sfx_triple_writer_init(&l->in_w, &h->input_exchange);
	sfx_triple_reader_init(&l->out_r, &h->output_exchange);
	l->status.state = SFX_LINK_STARTING;

	if (!atomic_load(&g_all_done)) {
		struct sfx_wake *w = sfx_wake_create();
		struct sfx_wake *expected = NULL;
		if (w && !atomic_compare_exchange_strong(&g_all_done, &expected, w))
			sfx_wake_destroy(w);
	}
	struct sfx_mutex *reg = registry_lock();
	l->entry = reg ? calloc(1, sizeof(*l->entry)) : NULL;
	if (!l->entry) {
		link_log(l, SFX_LOG_ERROR, "host link: out of resources for the worker");
		free_link(l);
		return NULL;
	}
	struct worker_entry *entry = l->entry;
	atomic_store(&l->refs, 2);
	atomic_fetch_add(&g_workers, 1);
	sfx_mutex_lock(reg);
	join_finished_locked(); /* links come and go all session: keep the list short */
	entry->thread = sfx_thread_start(worker_main, l);
	if (entry->thread) {
		entry->next = g_registry;
		g_registry = entry;
	}
	sfx_mutex_unlock(reg);
	if (!entry->thread) {
		atomic_fetch_sub(&g_workers, 1);
		link_log(l, SFX_LOG_ERROR, "host link: cannot start the worker: %s", sfx_platform_error());
		free(entry);
		free_link(l);
		return NULL;
	}
	return l;
}

void sfx_host_link_destroy(struct sfx_host_link *l)
{
	if (!l)
		return;
	sfx_mutex_lock(l->log_lock);
	l->log = NULL;
	sfx_mutex_unlock(l->log_lock);
	atomic_store(&l->stop, true);
	sfx_wake_signal(l->wake);
	/* The worker or this call frees the link, whichever comes last: nothing may touch it after. */
	release_link(l);
}

bool sfx_host_link_wait_all(int timeout_ms)
{
	struct sfx_wake *done = atomic_load(&g_all_done);
	if (!done)
		return atomic_load(&g_workers) == 0;
	uint64_t deadline = sfx_monotonic_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000ull;
	for (;;) {
		sfx_wake_clear(done);
		if (atomic_load(&g_workers) == 0)
			return true;
		uint64_t now = sfx_monotonic_ns();
		if (timeout_ms >= 0 && now >= deadline)
			return false;
		sfx_wake_wait(done, timeout_ms < 0 ? -1 : (int)((deadline - now + 999999) / 1000000));
	}
}

bool sfx_host_link_join_all(int timeout_ms)
{
	if (timeout_ms < 0)
		timeout_ms = 0;
	uint64_t now = sfx_monotonic_ns();
	/* Two thirds for SHUTDOWN to work, the rest for the kill and the reap. */
	atomic_store(&g_kill_at_ns, now + (uint64_t)timeout_ms * 2 / 3 * 1000000ull + 1);
	bool all = sfx_host_link_wait_all(timeout_ms);
	struct sfx_mutex *reg = atomic_load(&g_registry_lock);
	if (reg) {
		sfx_mutex_lock(reg);
		join_finished_locked();
		all = all && g_registry == NULL;
		sfx_mutex_unlock(reg);
	}
	atomic_store(&g_kill_at_ns, 0);
	return all;
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

bool sfx_host_link_output_take(struct sfx_host_link *l, struct sfx_frame_view *out)
{
	if (!l || !out || !sfx_mutex_trylock(l->region_lock))
		return false;
	bool got = false;
	if (atomic_load(&l->live) && !atomic_load(&l->violation)) {
		int r = sfx_triple_take(&l->out_r, l->violation_msg, sizeof(l->violation_msg));
		if (r < 0) {
			atomic_store(&l->violation, true);
		} else if (r > 0) {
			uint8_t *slot = sfx_region_slot(l->region, l->stride, SFX_DIR_OUTPUT, l->out_r.front);
			struct sfx_slot_header hdr;
			memcpy(&hdr, slot, sizeof(hdr)); /* one read; checks and use go by the copy */
			if (!sfx_slot_validate(&hdr, l->max_width, l->max_height, l->stride, l->violation_msg,
					       sizeof(l->violation_msg))) {
				atomic_store(&l->violation, true);
			} else if (l->have_out && !sfx_seq_newer(hdr.sequence, l->last_out_seq)) {
				/* Section 4: ignore, and say so once per session. */
				if (!l->stale_logged) {
					l->stale_logged = true;
					snprintf(l->stale_msg, sizeof(l->stale_msg),
						 "output sequence %" PRIu32 " is not newer than %" PRIu32 "; ignored",
						 hdr.sequence, l->last_out_seq);
					atomic_store(&l->stale_report, true);
				}
			} else {
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
				got = true;
			}
		}
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

/* Everything up to the JSON, then the JSON's bytes only (it is usually far shorter than 64 KiB). */
static void copy_status(struct sfx_host_status *out, const struct sfx_host_status *in)
{
	memcpy(out, in, offsetof(struct sfx_host_status, host_status_json));
	const char *end = memchr(in->host_status_json, '\0', sizeof(in->host_status_json));
	size_t n = end ? (size_t)(end - in->host_status_json) : sizeof(in->host_status_json) - 1;
	memcpy(out->host_status_json, in->host_status_json, n);
	out->host_status_json[n] = '\0';
}

void sfx_host_link_get_status(struct sfx_host_link *l, struct sfx_host_status *out)
{
	if (!l || !out)
		return;
	sfx_mutex_lock(l->state_lock);
	copy_status(out, &l->status);
	sfx_mutex_unlock(l->state_lock);
	out->frames_sent = atomic_load(&l->publish_count);
}

bool sfx_host_link_try_get_status(struct sfx_host_link *l, struct sfx_host_status *out)
{
	if (!l || !out || !sfx_mutex_trylock(l->state_lock))
		return false;
	copy_status(out, &l->status);
	sfx_mutex_unlock(l->state_lock);
	out->frames_sent = atomic_load(&l->publish_count);
	return true;
}

bool sfx_host_link_wait_event(struct sfx_host_link *l, int timeout_ms)
{
	if (!l)
		return false;
	bool r = sfx_wake_wait(l->events, timeout_ms);
	if (r)
		sfx_wake_clear(l->events);
	return r;
}

bool sfx_host_link_get_names(struct sfx_host_link *l, char *shm_name, size_t shm_cap, char *control, size_t control_cap)
{
	if (!l)
		return false;
	sfx_mutex_lock(l->state_lock);
	bool ok = l->control[0] != '\0';
	if (shm_name && shm_cap)
		snprintf(shm_name, shm_cap, "%s", l->shm_name);
	if (control && control_cap)
		snprintf(control, control_cap, "%s", l->control);
	sfx_mutex_unlock(l->state_lock);
	return ok;
}
