/*
 * The only OS-specific surface of the shim. Everything above this header is portable C17;
 * platform-posix.c and platform-win32.c implement it side by side.
 *
 * No function here touches libobs, so the bridge and its tests build without OBS.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 128 random bits as 32 lower-case hex characters + NUL, from the OS CSPRNG. */
bool sfx_random_name(char out[33]);

/* Monotonic clock in nanoseconds. */
uint64_t sfx_monotonic_ns(void);

/* Why the last failing sfx_* call on this thread failed (names the object and the OS error);
 * "" when none has failed yet. Valid until the next failing call on the same thread. */
const char *sfx_platform_error(void);

/* Removes leftovers of crashed processes of this user: regions nobody holds any more and socket
 * files nobody listens on, only when they are ours (owner) and match our name pattern. */
void sfx_cleanup_stale(void);
/* The same with another minimum age (seconds) for what counts as stale; sfx_cleanup_stale uses 60,
 * since a younger object may belong to a process between creating and locking it. Tests use 0. */
void sfx_cleanup_stale_older_than(int min_age_s);

/* ---- Shared memory (the frame region) ---------------------------------------------------- */

struct sfx_shm;

/* Creates a new private region (0600, exclusive) of `size` bytes, zero-filled and mapped
 * read-write. `name` receives the name the host is given on its command line. */
struct sfx_shm *sfx_shm_create(size_t size, char *name, size_t name_cap);
/* Maps an existing region by name (tests and tools playing the host). */
struct sfx_shm *sfx_shm_open(const char *name);
void *sfx_shm_data(struct sfx_shm *shm);
size_t sfx_shm_size(struct sfx_shm *shm);
/* Unmaps, and for the creator removes the name. */
void sfx_shm_destroy(struct sfx_shm *shm);

/* ---- Control channel ------------------------------------------------------------------------ */

typedef struct sfx_listener sfx_listener;
typedef struct sfx_conn sfx_conn;

/* Creates a listening endpoint with an unguessable name in the per-user private directory.
 * `address` receives what the host is given as --control. */
sfx_listener *sfx_listener_create(char *address, size_t address_cap);
/* Waits up to timeout_ms for one peer. If expected_pid is non-zero the peer must be that process
 * (SO_PEERCRED / GetNamedPipeClientProcessId); another peer is rejected. Returns NULL on timeout
 * or error. After a successful accept the name is removed: nobody else can connect. */
sfx_conn *sfx_listener_accept(sfx_listener *l, int64_t expected_pid, int timeout_ms);
struct sfx_wake;
/* Same, but also returns NULL early when `wake` is signalled (the wake stays signalled). */
sfx_conn *sfx_listener_accept_wake(sfx_listener *l, int64_t expected_pid, struct sfx_wake *wake, int timeout_ms);
void sfx_listener_destroy(sfx_listener *l);

/* Connects to an address made by sfx_listener_create (tests and tools playing the host). */
sfx_conn *sfx_conn_connect(const char *address);

/* Result of a non-blocking I/O call: > 0 bytes moved, 0 would block, -1 closed or failed. */
int64_t sfx_conn_send(sfx_conn *c, const void *buf, size_t len);
int64_t sfx_conn_recv(sfx_conn *c, void *buf, size_t len);

/* Waits up to timeout_ms (-1 forever) until the connection is readable (or writable when
 * want_write), or the wake event is signalled. Returns a mask of SFX_READY_* bits, 0 on timeout. */
enum { SFX_READY_READ = 1, SFX_READY_WRITE = 2, SFX_READY_WAKE = 4, SFX_READY_ERROR = 8 };
int sfx_conn_wait(sfx_conn *c, struct sfx_wake *wake, bool want_write, int timeout_ms);
void sfx_conn_close(sfx_conn *c);

/* ---- Wake event: lets any thread (the graphics thread) nudge a worker without blocking ---- */

struct sfx_wake *sfx_wake_create(void);
void sfx_wake_signal(struct sfx_wake *w); /* never blocks */
void sfx_wake_clear(struct sfx_wake *w);
/* Waits up to timeout_ms for the event alone (no connection). Returns true if signalled. */
bool sfx_wake_wait(struct sfx_wake *w, int timeout_ms);
void sfx_wake_destroy(struct sfx_wake *w);

/* ---- Child process (the host) ---------------------------------------------------------------- */

struct sfx_process;

/* Starts `path` with argv (argv[0] is the path, NULL-terminated); no handles are inherited.
 * Returns NULL and fills err with the reason when the file is missing or not executable. */
struct sfx_process *sfx_process_spawn(const char *path, const char *const *argv, char *err, size_t err_cap);
int64_t sfx_process_pid(struct sfx_process *p);
/* true while running; when it has exited, fills *exit_code (negative: killed by signal -N). */
bool sfx_process_running(struct sfx_process *p, int *exit_code);
/* Waits up to timeout_ms for exit (no polling loop). Returns true if it exited. */
bool sfx_process_wait(struct sfx_process *p, int timeout_ms, int *exit_code);
void sfx_process_kill(struct sfx_process *p);
/* Kills if still running, reaps, frees. */
void sfx_process_destroy(struct sfx_process *p);

/* ---- Threads and locks (the link's worker; try-lock for the graphics thread) ---------------- */

/* Starts a detached thread running fn(arg). Returns false (and sets the error) on failure. */
bool sfx_thread_start_detached(void (*fn)(void *arg), void *arg);
/* A joinable thread (the link workers: module unload joins each one so none runs module code after
 * it). NULL (error set) on failure; sfx_thread_join waits for the end and frees the handle. */
struct sfx_thread;
struct sfx_thread *sfx_thread_start(void (*fn)(void *arg), void *arg);
void sfx_thread_join(struct sfx_thread *t);

struct sfx_mutex;
struct sfx_mutex *sfx_mutex_create(void);
void sfx_mutex_lock(struct sfx_mutex *m);
/* Never blocks: true when the lock was taken. */
bool sfx_mutex_trylock(struct sfx_mutex *m);
void sfx_mutex_unlock(struct sfx_mutex *m);
void sfx_mutex_destroy(struct sfx_mutex *m);

#ifdef __cplusplus
}
#endif
