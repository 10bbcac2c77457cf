/*
 * One filter instance's link to its effects host: the frame region, the control channel, the
 * host process and the worker thread that owns all blocking work (spawn, accept, socket I/O,
 * restarts, teardown).
 *
 * Thread rules: every function marked [graphics] is safe on OBS's graphics thread and never
 * blocks or sleeps (at most a try-lock that gives up). The rest may be called from any thread.
 * No libobs dependency: logging goes through the callback in the config.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sfx_log_level { SFX_LOG_ERROR = 0, SFX_LOG_WARNING = 1, SFX_LOG_INFO = 2, SFX_LOG_DEBUG = 3 };
typedef void (*sfx_log_fn)(void *ctx, enum sfx_log_level level, const char *message);

enum sfx_pixel_format { SFX_PIXEL_RGBA8 = 1, SFX_PIXEL_BGRA8 = 2 };

enum sfx_link_state {
	SFX_LINK_STOPPED = 0, /* not started, or destroyed */
	SFX_LINK_STARTING,    /* spawning the host / waiting for HELLO */
	SFX_LINK_CONNECTED,   /* frames flow */
	SFX_LINK_RESTARTING,  /* host gone or hung; waiting for the backoff to elapse */
	SFX_LINK_FAILED,      /* gave up (host missing, not executable, protocol mismatch) */
};

struct sfx_host_link_config {
	const char *host_path; /* absolute path of the host executable (copied) */
	uint32_t max_width;    /* largest frame either direction will carry */
	uint32_t max_height;
	sfx_log_fn log; /* may be NULL; called from the worker thread, never after destroy returns */
	void *log_ctx;
	/* Sequence number of the first published frame (later ones count up mod 2^32). 0 is fine for
	 * production; tests start near 2^32 to cross the wrap. */
	uint32_t first_sequence;
	/* Testing/tools: when true nothing is spawned; the worker waits once (connect_timeout_ms) for
	 * a host started by someone else, accepted only from external_peer_pid (0: any process of
	 * this user), and never restarts it. host_path is then unused. */
	bool external_host;
	int64_t external_peer_pid;
	int connect_timeout_ms; /* accept and HELLO limit each; 0 means 10000 */
	/* Supervision timing. 0 takes the environment variable named here if it holds an integer in
	 * 1..600000, else the production default. Tests shorten them; OBS never sets them.
	 *   restart_backoff_ms      STREAMFX_RESTART_BACKOFF_MS      first restart delay, default 250
	 *   restart_backoff_max_ms  STREAMFX_RESTART_BACKOFF_MAX_MS  cap of the doubling, default 8000
	 *   hang_timeout_ms         STREAMFX_HANG_TIMEOUT_MS         no heartbeat for this long = hung,
	 *                                                            default 3000. A pending frame
	 *                                                            never counts: a slow model is
	 *                                                            not a hung host. */
	int restart_backoff_ms;
	int restart_backoff_max_ms;
	int hang_timeout_ms;
};

/* A frame the shim can read: points into the region, valid until the next output_take. */
struct sfx_frame_view {
	uint32_t sequence;
	uint32_t source_sequence;
	uint32_t width;
	uint32_t height;
	uint32_t row_bytes;
	enum sfx_pixel_format format;
	uint64_t capture_time_ns;
	uint32_t process_us;
	const uint8_t *pixels;
};

/* The largest STATUS the shim keeps: the protocol's payload limit (SFX_MAX_PAYLOAD). */
#define SFX_HOST_STATUS_JSON_MAX 65536u

/* Status for the properties panel and the log; copied out under a lock. */
struct sfx_host_status {
	enum sfx_link_state state;
	int64_t host_pid;
	uint32_t restarts;
	int restart_delay_ms;     /* RESTARTING: how long this restart waits (backoff), else the next one */
	int hang_timeout_ms;      /* the bound the supervisor uses, as resolved at create */
	uint64_t restarted_at_ns; /* sfx_monotonic_ns when the last restart began (its backoff started) */
	uint64_t started_at_ns;   /* sfx_monotonic_ns when the last host process was started */
	uint64_t frames_sent;
	uint64_t frames_received;
	uint32_t frame_pending_ms; /* how long the newest notified frame has waited for FRAME_DONE, 0 if none */
	uint32_t last_frame_ms;    /* the newest FRAME_DONE's wait (since FRAME_READY or the previous one) */
	uint32_t slowest_frame_ms; /* this session's longest such wait */
	char last_error[256];
	/* Last, so that a copy stops at its end: the latest STATUS payload from the host, "" if none. */
	char host_status_json[SFX_HOST_STATUS_JSON_MAX + 1];
};

/* Creates the link and starts its worker, which spawns the host. Returns NULL on failure
 * (logged). Never blocks on the host. */
struct sfx_host_link *sfx_host_link_create(const struct sfx_host_link_config *config);

/* Stops the host and frees everything. Returns at once: the worker finishes the teardown
 * (SHUTDOWN, bounded wait, kill, reap) on its own. Once it returns, the log callback is not called
 * again for this link, and no [graphics] function may be called with it. */
void sfx_host_link_destroy(struct sfx_host_link *link);

/* Waits (bounded) until every destroyed link's worker has finished. */
bool sfx_host_link_wait_all(int timeout_ms);

/* For module unload, after every link was destroyed: joins every worker thread within timeout_ms.
 * From this call on, a host that has not exited after its SHUTDOWN is killed at two thirds of the
 * bound instead of after the 2 s grace, so a frozen host (SIGSTOP) cannot hold the unload. Returns
 * false when a worker still runs at the bound (e.g. reaping a process the kernel cannot kill); that
 * worker is left unjoined and the caller logs it. */
bool sfx_host_link_join_all(int timeout_ms);

/* [any thread] True while a host is connected and frames can be exchanged (a lock-free read). */
bool sfx_host_link_is_live(const struct sfx_host_link *link);

/* [graphics] Returns the input slot's pixel buffer to fill (capacity in *capacity bytes), or NULL
 * when no host is connected (then do not publish). */
uint8_t *sfx_host_link_input_begin(struct sfx_host_link *link, size_t *capacity);

/* [graphics] Publishes the buffer filled since input_begin and wakes the worker to notify the host.
 * Returns the sequence number given to the frame. When the frame is dropped instead (the session
 * ended since input_begin, the worker held the lock for a moment, or the size/format is outside
 * the region's limits) it returns the sequence of the last published frame, i.e. not a newer one. */
uint32_t sfx_host_link_input_publish(struct sfx_host_link *link, uint32_t width, uint32_t height, uint32_t row_bytes,
				     enum sfx_pixel_format format, uint64_t capture_time_ns);

/* [any thread] How many input frames were published since the link was created. The graphics
 * thread compares it around input_publish to tell a published frame from a dropped one. */
uint64_t sfx_host_link_published_count(const struct sfx_host_link *link);

/* [graphics] Takes the newest output frame if one arrived since the last take. Returns false when
 * there is nothing new (or the frame failed validation, which ends the session). */
bool sfx_host_link_output_take(struct sfx_host_link *link, struct sfx_frame_view *out);

/* [graphics] Queues a CONFIGURE message (UTF-8 JSON object) for the host; the newest one wins.
 * Lock-free: the copy is handed to the worker by an atomic exchange. Settings that are not a JSON
 * object of at most SFX_MAX_PAYLOAD bytes are refused; the worker logs the refusal and shows it as
 * last_error, so this call never waits for a log call. */
void sfx_host_link_configure(struct sfx_host_link *link, const char *settings_json);

/* Copies the status; may wait for the worker's short hold of the status lock (memory copies only:
 * never held across I/O or a log call). Not for the graphics thread: try_get_status is. */
void sfx_host_link_get_status(struct sfx_host_link *link, struct sfx_host_status *out);

/* [graphics] Like get_status, but gives up (returns false, *out untouched) when the lock is busy. */
bool sfx_host_link_try_get_status(struct sfx_host_link *link, struct sfx_host_status *out);

/* "stopped", "starting", "connected", "restarting", "failed": for logs and tools. */
const char *sfx_link_state_name(enum sfx_link_state state);

/* Waits up to timeout_ms for something to happen on the link (state change, FRAME_DONE, channel
 * names available), so tools can wait on events instead of polling. Returns true if something
 * happened; callers then re-check what they wait for. Not for the graphics thread. */
bool sfx_host_link_wait_event(struct sfx_host_link *link, int timeout_ms);

/* Copies the region name and control address given to the host ("" until the worker made them).
 * Returns true when both are available. */
bool sfx_host_link_get_names(struct sfx_host_link *link, char *shm_name, size_t shm_cap, char *control,
			     size_t control_cap);

#ifdef __cplusplus
}
#endif
