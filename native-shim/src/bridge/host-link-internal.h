/*
 * host-link-internal.h: the state one link's files share, and the calls they make of each other.
 * Private to native-shim/src/bridge; the API is host-link.h.
 *
 * The link is five files, one job each:
 *   host-link-timing.c      environment knobs (STREAMFX_*), timeouts, deadlines and the backoff step
 *   host-link-status.c      the status block, state transitions, the log callback, the status getters
 *   host-link-session.c     the session protocol: HELLO, CONFIGURE, FRAME_READY, message dispatch
 *   host-link-supervisor.c  create/destroy, the worker thread, spawn, accept, reap, hang detection
 *   host-link-exchange.c    the graphics-side exchange: input and output slots, configure hand-off
 *
 * Threads: the worker owns every blocking step (spawn, accept, I/O, waits, teardown). The
 * graphics thread touches only the triple buffers, under a try-lock it gives up on; the worker
 * takes that lock only to switch sessions (exchange words reset, `live` flipped), so a graphics
 * call never sees a half-reset region. Graphics → worker signalling is an atomic counter plus the
 * wake event; the worker coalesces any number of publishes into one FRAME_READY.
 */
#pragma once

#include "host-link.h"

#include "frame-region.h"
#include "message-codec.h"
#include "outbound-queue.h"
#include "protocol.h"
#include "../platform/platform.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

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

/* How a session step ended: the worker stops, restarts after the backoff, or gives up; CONTINUE
 * (a step such as accept or HELLO succeeded) never reaches the worker's loop. */
enum sfx_link_outcome { SFX_OUTCOME_STOP, SFX_OUTCOME_RESTART, SFX_OUTCOME_FAILED, SFX_OUTCOME_CONTINUE };

/* One worker thread, for module unload to join. Freed only after the join. */
struct sfx_link_worker {
	struct sfx_thread *thread;
	atomic_bool done; /* the worker's last touch of its link is behind it */
	struct sfx_link_worker *next;
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
	struct sfx_link_worker *entry;
};

/* One host process's session, from spawn to teardown; worker only. */
struct sfx_link_session {
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

static inline bool sfx_link_stopping(struct sfx_host_link *l)
{
	return atomic_load(&l->stop);
}

/* ---- host-link-timing.c ---- */

/* Sets the supervision timings and test knobs from the config and the STREAMFX_* environment;
 * invalid environment values are logged and replaced by the defaults. */
void sfx_link_resolve_knobs(struct sfx_host_link *l, const struct sfx_host_link_config *config);
/* The deadline ms milliseconds from now, on sfx_monotonic_ns's clock. */
uint64_t sfx_link_deadline_ns(int ms);
/* Whole milliseconds from now_ns to deadline_ns, rounded up (deadline_ns > now_ns). */
int sfx_link_ms_left(uint64_t deadline_ns, uint64_t now_ns);
/* The delay after `backoff`: doubled up to the configured cap. */
int sfx_link_next_backoff(const struct sfx_host_link *l, int backoff);

/* ---- host-link-status.c ---- */

void sfx_link_log(struct sfx_host_link *l, enum sfx_log_level level, const char *fmt, ...);
/* Records last_error (shown in the panel) and logs it as a warning. */
void sfx_link_set_error(struct sfx_host_link *l, const char *fmt, ...);
/* Every transition is logged once, with what the status line shows for it. */
void sfx_link_set_state(struct sfx_host_link *l, enum sfx_link_state state);

/* ---- host-link-session.c ---- */

bool sfx_link_queue_message(struct sfx_host_link *l, uint16_t type, const void *payload, size_t len);
/* Takes what configure handed over: the newest settings, and a refusal to log and show. */
void sfx_link_take_config_requests(struct sfx_host_link *l);
/* "external host", "still running", "exit code N" or "killed by signal N", for error lines. */
const char *sfx_link_exit_text(struct sfx_link_session *s, char *buf, size_t cap);
/* Waits for the host's HELLO on the accepted connection, within the connect limit. */
enum sfx_link_outcome sfx_link_await_hello(struct sfx_host_link *l, struct sfx_link_session *s);
/* The connected session: CONFIGURE, FRAME_READY and the host's messages until it ends. */
enum sfx_link_outcome sfx_link_serve(struct sfx_host_link *l, struct sfx_link_session *s);

/* ---- host-link-supervisor.c ---- */

/* One supervision tick of a connected session: heartbeat (hang), a slow pending frame, the host
 * process still running. Returns false when the session must end (reason already recorded). */
bool sfx_link_check_host(struct sfx_host_link *l, struct sfx_link_session *s);

/* ---- host-link-exchange.c ---- */

/* Switches the graphics side to a clean state; only the worker calls it, no host attached. */
void sfx_link_reset_exchange(struct sfx_host_link *l);
void sfx_link_set_live(struct sfx_host_link *l, bool live);
/* Reports what the graphics side found in the output slots: a stale sequence is logged, a
 * violation recorded. Returns false on a violation (the session must end). */
bool sfx_link_take_exchange_reports(struct sfx_host_link *l);
