/*
 * host-link-supervisor.c: keeps one host running per link. Creates the link (region, locks,
 * worker) and destroys it; the worker thread spawns the host, accepts its connection, hands the
 * session to the protocol (host-link-session.c), watches the heartbeat for a hang, reaps the
 * process, and restarts it after a doubling backoff. The registry of workers lets module unload
 * join them all within a bound.
 */
#include "host-link-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int g_workers;
static _Atomic(struct sfx_wake *) g_all_done;
static _Atomic(struct sfx_mutex *) g_registry_lock;
static struct sfx_link_worker *g_registry; /* guarded by g_registry_lock */
/* Set by join_all (module unload): a host still running at this time is killed, grace or not. */
static _Atomic uint64_t g_kill_at_ns;

/* Waits up to ms (-1: no limit) for a stop request; other wake-ups (configure, stray publishes) are
 * absorbed. */
static void wait_unless_stopped(struct sfx_host_link *l, int ms)
{
	uint64_t deadline = sfx_link_deadline_ns(ms);
	while (!sfx_link_stopping(l)) {
		sfx_link_take_config_requests(l);
		uint64_t now = sfx_monotonic_ns();
		if (ms >= 0 && now >= deadline)
			return;
		int left = ms < 0 ? -1 : sfx_link_ms_left(deadline, now);
		if (sfx_wake_wait(l->wake, left))
			sfx_wake_clear(l->wake);
	}
}

/* ---- One session: spawn, accept, serve, reap -------------------------------------------------- */

bool sfx_link_check_host(struct sfx_host_link *l, struct sfx_link_session *s)
{
	struct sfx_region_header *h = sfx_region_header(l->region);
	uint64_t now = sfx_monotonic_ns();
	uint32_t hb = atomic_load(&h->host_heartbeat);
	if (hb != s->last_heartbeat) {
		s->last_heartbeat = hb;
		s->heartbeat_moved_at = now;
	}
	uint64_t hang_ns = (uint64_t)l->hang_timeout_ms * 1000000ull;
	if (now - s->heartbeat_moved_at > hang_ns) {
		s->hung = true;
		sfx_link_set_error(l, "host hung: host_heartbeat stayed at %" PRIu32 " for more than %d ms", hb,
				   l->hang_timeout_ms);
		return false;
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
		sfx_link_log(l, SFX_LOG_WARNING,
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
		sfx_link_set_error(l, "host exited (%s)", sfx_link_exit_text(s, why, sizeof(why)));
		return false;
	}
	return true;
}

/* SHUTDOWN's grace: up to SHUTDOWN_WAIT_MS for the host to exit, cut short by module unload's kill
 * point. Waited in slices because no platform wait takes both a process and an event. */
static bool wait_host_exit(struct sfx_process *proc)
{
	uint64_t end = sfx_link_deadline_ns(SHUTDOWN_WAIT_MS);
	for (;;) {
		uint64_t kill_at = atomic_load(&g_kill_at_ns);
		uint64_t limit = kill_at && kill_at < end ? kill_at : end;
		uint64_t now = sfx_monotonic_ns();
		if (now >= limit)
			return !sfx_process_running(proc, NULL);
		int left_ms = sfx_link_ms_left(limit, now);
		if (sfx_process_wait(proc, left_ms < EXIT_WAIT_SLICE_MS ? left_ms : EXIT_WAIT_SLICE_MS, NULL))
			return true;
	}
}

static void teardown_session(struct sfx_host_link *l, struct sfx_link_session *s)
{
	sfx_link_set_live(l, false);
	if (s->conn) {
		sfx_outq_clear(&l->outq);
		sfx_link_queue_message(l, SFX_MSG_SHUTDOWN, NULL, 0);
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
				sfx_link_log(l, SFX_LOG_WARNING,
					     "host did not exit within %d ms of SHUTDOWN; killing it",
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
static enum sfx_link_outcome accept_host(struct sfx_host_link *l, struct sfx_link_session *s)
{
	uint64_t deadline = sfx_link_deadline_ns(l->connect_timeout_ms);
	int64_t pid = s->proc ? sfx_process_pid(s->proc) : l->external_peer_pid;
	for (;;) {
		if (sfx_link_stopping(l))
			return SFX_OUTCOME_STOP;
		sfx_link_take_config_requests(l);
		int code;
		if (s->proc && !sfx_process_running(s->proc, &code)) {
			char why[64];
			sfx_link_set_error(l, "host exited before connecting (%s)",
					   sfx_link_exit_text(s, why, sizeof(why)));
			return SFX_OUTCOME_RESTART;
		}
		uint64_t now = sfx_monotonic_ns();
		if (now >= deadline) {
			sfx_link_set_error(l, "host did not connect within %d ms (%s)", l->connect_timeout_ms,
					   sfx_platform_error());
			return SFX_OUTCOME_RESTART;
		}
		int left = sfx_link_ms_left(deadline, now);
		s->conn = sfx_listener_accept_wake(s->listener, pid, l->wake, left < l->tick_ms ? left : l->tick_ms);
		if (s->conn)
			return SFX_OUTCOME_CONTINUE;
		if (sfx_wake_wait(l->wake, 0))
			sfx_wake_clear(l->wake);
	}
}

/* Spawns the host (unless an external one is awaited) with the region's name and a fresh control
 * address. */
static enum sfx_link_outcome start_host(struct sfx_host_link *l, struct sfx_link_session *s)
{
	char address[256];
	s->listener = sfx_listener_create(address, sizeof(address));
	if (!s->listener) {
		sfx_link_set_error(l, "cannot create the control channel: %s", sfx_platform_error());
		return SFX_OUTCOME_RESTART;
	}
	sfx_mutex_lock(l->state_lock);
	snprintf(l->control, sizeof(l->control), "%s", address);
	sfx_mutex_unlock(l->state_lock);
	sfx_link_set_state(l, SFX_LINK_STARTING);
	if (l->external_host)
		return SFX_OUTCOME_CONTINUE;

	const char *argv[] = {l->host_path, "--shm", l->shm_name, "--control", address, NULL};
	char err[256];
	s->proc = sfx_process_spawn(l->host_path, argv, err, sizeof(err));
	if (!s->proc) {
		sfx_link_set_error(l, "%s", err);
		return SFX_OUTCOME_FAILED;
	}
	sfx_mutex_lock(l->state_lock);
	l->status.host_pid = sfx_process_pid(s->proc);
	l->status.started_at_ns = sfx_monotonic_ns();
	sfx_mutex_unlock(l->state_lock);
	sfx_wake_signal(l->events);
	sfx_link_log(l, SFX_LOG_INFO, "started host %s (pid %" PRId64 ")", l->host_path, sfx_process_pid(s->proc));
	return SFX_OUTCOME_CONTINUE;
}

static enum sfx_link_outcome run_session(struct sfx_host_link *l, struct sfx_link_session *s)
{
	sfx_link_reset_exchange(l);
	sfx_msg_decoder_init(l->decoder);
	sfx_outq_clear(&l->outq);

	enum sfx_link_outcome o = start_host(l, s);
	if (o != SFX_OUTCOME_CONTINUE)
		return o;
	o = accept_host(l, s);
	if (o != SFX_OUTCOME_CONTINUE)
		return o;
	sfx_listener_destroy(s->listener);
	s->listener = NULL;
	o = sfx_link_await_hello(l, s);
	if (o != SFX_OUTCOME_CONTINUE)
		return o;
	return sfx_link_serve(l, s);
}

/* ---- The worker and its registry ------------------------------------------------------------- */

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
	for (struct sfx_link_worker **pp = &g_registry; *pp;) {
		struct sfx_link_worker *e = *pp;
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
	while (!sfx_link_stopping(l)) {
		struct sfx_link_session s = {0};
		enum sfx_link_outcome o = run_session(l, &s);
		bool was_stable = s.hello && sfx_monotonic_ns() - s.connected_at >= STABLE_SESSION_NS;
		teardown_session(l, &s);
		if (sfx_link_stopping(l) || o == SFX_OUTCOME_STOP)
			break;
		if (o == SFX_OUTCOME_FAILED || l->external_host) {
			sfx_link_set_state(l, l->external_host && o != SFX_OUTCOME_FAILED ? SFX_LINK_STOPPED
											  : SFX_LINK_FAILED);
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
		sfx_link_set_state(l, SFX_LINK_RESTARTING);
		wait_unless_stopped(l, backoff);
		backoff = sfx_link_next_backoff(l, backoff);
		sfx_mutex_lock(l->state_lock);
		l->status.restart_delay_ms = backoff;
		sfx_mutex_unlock(l->state_lock);
	}
	struct sfx_link_worker *entry = l->entry;
	release_link(l);
	/* Last touches of shared state; join_all joins this thread once `done` is set. */
	struct sfx_wake *done = atomic_load(&g_all_done);
	atomic_store(&entry->done, true);
	if (atomic_fetch_sub(&g_workers, 1) == 1 && done)
		sfx_wake_signal(done);
}

/* ---- Lifecycle API ---------------------------------------------------------------------------- */

/* The frame region sized for the largest frame, shared with every host this link starts. */
static bool create_region(struct sfx_host_link *l)
{
	l->stride = sfx_region_slot_stride(l->max_width, l->max_height);
	if (l->stride == 0) {
		sfx_link_log(l, SFX_LOG_ERROR, "host link: frame size %" PRIu32 "x%" PRIu32 " is outside 1..%u",
			     l->max_width, l->max_height, SFX_MAX_DIMENSION);
		return false;
	}
	uint64_t total = sfx_region_total_size(l->stride);
	if (total > SIZE_MAX)
		return false;
	static atomic_bool cleaned;
	if (!atomic_exchange(&cleaned, true))
		sfx_cleanup_stale();
	l->shm = sfx_shm_create((size_t)total, l->shm_name, sizeof(l->shm_name));
	if (!l->shm) {
		sfx_link_log(l, SFX_LOG_ERROR, "host link: cannot create the frame region: %s", sfx_platform_error());
		return false;
	}
	l->region = sfx_shm_data(l->shm);
	char err[256];
	if (!sfx_region_init(l->region, sfx_shm_size(l->shm), l->max_width, l->max_height, err, sizeof(err))) {
		sfx_link_log(l, SFX_LOG_ERROR, "host link: %s", err);
		return false;
	}
	struct sfx_region_header *h = sfx_region_header(l->region);
	sfx_triple_writer_init(&l->in_w, &h->input_exchange);
	sfx_triple_reader_init(&l->out_r, &h->output_exchange);
	return true;
}

/* Registers the worker for join_all and starts it; on failure nothing is left registered. */
static bool start_worker(struct sfx_host_link *l)
{
	if (!atomic_load(&g_all_done)) {
		struct sfx_wake *w = sfx_wake_create();
		struct sfx_wake *expected = NULL;
		if (w && !atomic_compare_exchange_strong(&g_all_done, &expected, w))
			sfx_wake_destroy(w);
	}
	struct sfx_mutex *reg = registry_lock();
	l->entry = reg ? calloc(1, sizeof(*l->entry)) : NULL;
	if (!l->entry) {
		sfx_link_log(l, SFX_LOG_ERROR, "host link: out of resources for the worker");
		return false;
	}
	struct sfx_link_worker *entry = l->entry;
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
		sfx_link_log(l, SFX_LOG_ERROR, "host link: cannot start the worker: %s", sfx_platform_error());
		free(entry);
		return false;
	}
	return true;
}

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
			sfx_link_log(l, SFX_LOG_ERROR, "host link: out of resources: %s", sfx_platform_error());
		free_link(l);
		return NULL;
	}
	sfx_link_resolve_knobs(l, config);
	if (!l->external_host) {
		if (!config->host_path || !config->host_path[0]) {
			sfx_link_log(l, SFX_LOG_ERROR, "host link: no host executable path configured");
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
	if (!create_region(l)) {
		free_link(l);
		return NULL;
	}
	l->status.state = SFX_LINK_STARTING;
	if (!start_worker(l)) {
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
	uint64_t deadline = sfx_link_deadline_ns(timeout_ms < 0 ? 0 : timeout_ms);
	for (;;) {
		sfx_wake_clear(done);
		if (atomic_load(&g_workers) == 0)
			return true;
		uint64_t now = sfx_monotonic_ns();
		if (timeout_ms >= 0 && now >= deadline)
			return false;
		sfx_wake_wait(done, timeout_ms < 0 ? -1 : sfx_link_ms_left(deadline, now));
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
