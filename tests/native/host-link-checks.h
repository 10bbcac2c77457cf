/* What the host-link tests share on Linux (test-host-link.c) and on Win32 under Wine
 * (tests/windows/test-host-link-win32.c): a link to the fake host in a given mode, waiting on a
 * status predicate by the link's events, one published frame, a prompt destroy, the restart trace
 * taken from the log, and the checks whose assertions are the same on both platforms (a stalled
 * host is waited for; restarts back off by doubling up to the cap).
 *
 * The includer defines log_cb and calls trace_log_line from it. Include after test-check.h. */
#pragma once

#include "host-link.h"
#include "platform.h"
#include "test-check.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
/* Process teardown under Wine is slower than on Linux. */
#define FINISH_WAIT_MS 10000
#else
#define FINISH_WAIT_MS 5000
#endif

static void log_cb(void *ctx, enum sfx_log_level level, const char *message);

static atomic_int g_slow_logs; /* "host slow: ..." lines */

/* Restart bookkeeping, taken in the log callback, which runs on the link's worker as things happen:
 * when each restart was announced (with its delay) and when each host was started. */
#define MAX_EVENTS 64
static struct {
	atomic_bool on;
	int restarts, starts;
	uint64_t restart_ns[MAX_EVENTS], start_ns[MAX_EVENTS];
	int delay_ms[MAX_EVENTS];
} g_trace;

/* The log lines both platforms count: slow frames, and restarts and starts while tracing. */
static inline void trace_log_line(const char *message)
{
	if (strncmp(message, "host slow: ", 11) == 0)
		atomic_fetch_add(&g_slow_logs, 1);
	if (!atomic_load(&g_trace.on))
		return;
	int delay;
	if (sscanf(message, "state: restarting the host in %d ms", &delay) == 1 && g_trace.restarts < MAX_EVENTS) {
		g_trace.delay_ms[g_trace.restarts] = delay;
		g_trace.restart_ns[g_trace.restarts++] = sfx_monotonic_ns();
	} else if (strncmp(message, "started host ", 13) == 0 && g_trace.starts < MAX_EVENTS) {
		g_trace.start_ns[g_trace.starts++] = sfx_monotonic_ns();
	}
}

typedef bool (*pred_fn)(const struct sfx_host_status *st);

static inline bool wait_for(struct sfx_host_link *l, pred_fn pred, int timeout_ms, struct sfx_host_status *st)
{
	uint64_t deadline = sfx_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		sfx_host_link_get_status(l, st);
		if (pred(st))
			return true;
		uint64_t now = sfx_monotonic_ns();
		if (now >= deadline)
			return false;
		sfx_host_link_wait_event(l, (int)((deadline - now) / 1000000) + 1);
	}
}

static inline bool is_failed(const struct sfx_host_status *st)
{
	return st->state == SFX_LINK_FAILED;
}
static inline bool is_connected(const struct sfx_host_status *st)
{
	return st->state == SFX_LINK_CONNECTED;
}
static inline bool reconnected(const struct sfx_host_status *st)
{
	return st->restarts >= 1 && st->state == SFX_LINK_CONNECTED;
}
static inline bool restarted(const struct sfx_host_status *st)
{
	return st->restarts >= 1;
}
static inline bool restarted_enough(const struct sfx_host_status *st)
{
	return st->restarts >= 10;
}

/* A 32x16 link to the host at path; the fake host reads its mode from the environment it inherits. */
static inline struct sfx_host_link *make_cfg(const char *path, const char *mode, struct sfx_host_link_config cfg)
{
#ifdef _WIN32
	SetEnvironmentVariableA("SFX_FAKE_HOST_MODE", mode); /* the block CreateProcess hands the host */
#else
	setenv("SFX_FAKE_HOST_MODE", mode, 1);
#endif
	cfg.host_path = path;
	cfg.max_width = 32;
	cfg.max_height = 16;
	cfg.log = log_cb;
	struct sfx_host_link *l = sfx_host_link_create(&cfg);
	CHECK(l != NULL);
	return l;
}

static inline struct sfx_host_link *make(const char *path, const char *mode)
{
	return make_cfg(path, mode, (struct sfx_host_link_config){0});
}

static inline bool publish_one(struct sfx_host_link *l)
{
	size_t cap;
	uint8_t *px = sfx_host_link_input_begin(l, &cap);
	if (!px)
		return false;
	memset(px, 10, 32 * 4 * 16);
	sfx_host_link_input_publish(l, 32, 16, 32 * 4, SFX_PIXEL_BGRA8, sfx_monotonic_ns());
	return true;
}

/* Waits up to timeout_ms for an output frame; true with *v set when one came. */
static inline bool take_output_within(struct sfx_host_link *l, struct sfx_frame_view *v, int timeout_ms)
{
	uint64_t deadline = sfx_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (sfx_monotonic_ns() < deadline) {
		if (sfx_host_link_output_take(l, v))
			return true;
		sfx_host_link_wait_event(l, 200);
	}
	return false;
}

static inline void finish(struct sfx_host_link *l)
{
	uint64_t t0 = sfx_monotonic_ns();
	sfx_host_link_destroy(l);
	CHECK(sfx_monotonic_ns() - t0 < 100000000ull); /* returns at once */
	CHECK(sfx_host_link_wait_all(FINISH_WAIT_MS));
}

/* A host path that cannot run (missing, relative, not a file, not executable) fails at once with
 * the reason in last_error, and is never retried. */
static inline void check_fails_to_start(const char *path, const char *reason)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make(path, "invert");
	CHECK(wait_for(l, is_failed, 5000, &st));
	CHECK_CONTAINS(st.last_error, reason);
	CHECK(st.restarts == 0);
	finish(l);
}

/* A host whose heartbeat stops while a frame is pending is taken for hung and restarted after the
 * hang bound (expect_ms), within detect_within_ms of the frame. configured_ms 0 takes the default. */
static inline void check_hang_detected(const char *host, int configured_ms, int expect_ms, int connect_ms,
				       int detect_within_ms)
{
	struct sfx_host_status st;
	struct sfx_host_link *l =
	    make_cfg(host, "hang", (struct sfx_host_link_config){.hang_timeout_ms = configured_ms});
	CHECK(wait_for(l, is_connected, connect_ms, &st));
	CHECK(publish_one(l));
	uint64_t t0 = sfx_monotonic_ns();
	CHECK(wait_for(l, restarted, detect_within_ms + 2000, &st));
	uint64_t took = sfx_monotonic_ns() - t0;
	CHECK_MSG(took >= (uint64_t)(expect_ms - 100) * 1000000ull && took < (uint64_t)detect_within_ms * 1000000ull,
		  "hang detected after %llu ms", (unsigned long long)(took / 1000000));
	CHECK_CONTAINS(st.last_error, "hung");
	finish(l);
}

/* A host whose heartbeat goes on is alive, however long a frame takes: a stalled frame is logged
 * and shown, never a restart (issue 11: a slow model must never be taken for a hung host). */
static inline void check_stall_is_not_a_hang(const char *host, int connect_ms)
{
	struct sfx_host_status st;
	atomic_store(&g_slow_logs, 0);
	struct sfx_host_link *l = make_cfg(host, "stall", (struct sfx_host_link_config){.hang_timeout_ms = 1000});
	CHECK(wait_for(l, is_connected, connect_ms, &st));
	CHECK(st.hang_timeout_ms == 1000);
	CHECK(publish_one(l));
	/* Three and a half hang bounds: any restart in that time fails. */
	CHECK_MSG(!wait_for(l, restarted, 3500, &st), "a beating host was restarted: %s", st.last_error);
	sfx_host_link_get_status(l, &st);
	CHECK(st.restarts == 0 && st.state == SFX_LINK_CONNECTED);
	CHECK_MSG(st.frame_pending_ms >= 3000, "frame_pending_ms %u", st.frame_pending_ms);
	CHECK(atomic_load(&g_slow_logs) == 1); /* once per frame */
	finish(l);
}

#define BACKOFF_RESTARTS 8 /* restarts whose delays are checked */

/* Restarts of a host that exits at once wait 20, 40, 80, 160, 160, ... ms: doubling up to the cap,
 * never a storm. Each host starts within start_slack_ms after its backoff. Returns the last
 * status seen (for the exit reason). */
static inline struct sfx_host_status check_backoff_doubles_to_cap(const char *host, int wait_ms, int start_slack_ms)
{
	enum { RESTARTS = BACKOFF_RESTARTS, FIRST = 20, CAP = 160 };
	memset(&g_trace, 0, sizeof(g_trace));
	atomic_store(&g_trace.on, true);
	struct sfx_host_link *l =
	    make_cfg(host, "exit-early",
		     (struct sfx_host_link_config){.restart_backoff_ms = FIRST, .restart_backoff_max_ms = CAP});
	struct sfx_host_status st;
	/* Two restarts past RESTARTS: by then the worker has logged restart RESTARTS + 1 and the start
	 * after it (the status is updated just before the log line). */
	CHECK(wait_for(l, restarted_enough, wait_ms, &st));
	finish(l); /* the worker is gone: the trace is complete and ours to read */
	atomic_store(&g_trace.on, false);
	CHECK(g_trace.restarts >= RESTARTS + 1 && g_trace.starts >= RESTARTS + 1);
	int expected = FIRST;
	uint64_t backoff_sum = 0;
	for (int k = 0; k < RESTARTS && k < g_trace.restarts && k + 1 < g_trace.starts; k++) {
		/* Start k+1 follows restart k after its backoff, not sooner (and not much later). */
		uint64_t gap_ms = (g_trace.start_ns[k + 1] - g_trace.restart_ns[k]) / 1000000;
		CHECK_MSG(g_trace.delay_ms[k] == expected, "restart %d announced %d ms, expected %d", k + 1,
			  g_trace.delay_ms[k], expected);
		CHECK_MSG(gap_ms >= (uint64_t)expected && gap_ms < (uint64_t)(expected + start_slack_ms),
			  "restart %d: host started %llu ms after it, backoff %d ms", k + 1, (unsigned long long)gap_ms,
			  expected);
		backoff_sum += gap_ms;
		expected = expected * 2 > CAP ? CAP : expected * 2;
	}
	uint64_t span_ms = (g_trace.restart_ns[RESTARTS] - g_trace.restart_ns[0]) / 1000000;
	fprintf(stderr, "backoff: restarts 1..%d spanned %llu ms, %llu ms of it waiting\n", RESTARTS + 1,
		(unsigned long long)span_ms, (unsigned long long)backoff_sum);
	/* No storm: 20+40+80+160*5 = 940 ms of waiting between the first and the ninth restart. */
	CHECK(g_trace.restarts >= RESTARTS + 1 && span_ms >= 940);
	return st;
}
