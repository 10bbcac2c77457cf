/* The host link's supervisor against the C fake host: missing, relative or non-executable binary,
 * early exit and restart with exponential backoff up to its cap, crash during frames, version
 * mismatch, hang detection by heartbeat (a stalled or slow host that beats is waited for, never
 * restarted), every kind of malformed peer, a STATUS of 60,000 bytes, bad settings, configure and
 * try_get_status never waiting on the worker, timing knobs from the environment, prompt destroy,
 * module unload joining its workers within its bound while a host is frozen (SIGSTOP), and OBS
 * being killed (the host exits by itself, and what the dead process left behind is cleaned up
 * without touching a live link's objects).
 * usage: test-host-link <path of fake-host> [<path of the real streamfx-host>] */
#define _GNU_SOURCE 1

#include "host-link-checks.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *g_fake;
static int g_host_logs;
static atomic_int g_state_logs; /* "state: ..." lines */
static atomic_int g_env_warnings;
static atomic_int g_nul_log; /* "host: a b c" seen */

/* test_configure_never_waits: the worker's first log call blocks until released. */
static atomic_bool g_block_log;
static struct sfx_wake *g_log_entered, *g_log_release;

static void log_cb(void *ctx, enum sfx_log_level level, const char *message)
{
	(void)ctx;
	if (strncmp(message, "host: ", 6) == 0)
		g_host_logs++;
	if (strncmp(message, "state: ", 7) == 0)
		atomic_fetch_add(&g_state_logs, 1);
	if (strcmp(message, "host: a b c") == 0)
		atomic_fetch_add(&g_nul_log, 1);
	if (strstr(message, "ignored: expected an integer"))
		atomic_fetch_add(&g_env_warnings, 1);
	if (atomic_exchange(&g_block_log, false)) {
		/* OBS's log call can be slow (a full disk, a busy log window): the worker sits in it. */
		sfx_wake_signal(g_log_entered);
		sfx_wake_wait(g_log_release, 10000);
	}
	trace_log_line(message);
	fprintf(stderr, "  [log %d] %s\n", (int)level, message);
}

static bool two_restarts(const struct sfx_host_status *st)
{
	return st->restarts >= 2;
}
static bool has_status_json(const struct sfx_host_status *st)
{
	return st->host_status_json[0] != 0;
}
static bool has_frame_done(const struct sfx_host_status *st)
{
	return st->frames_received >= 1;
}
static bool has_settings_error(const struct sfx_host_status *st)
{
	return strstr(st->last_error, "settings not sent") != NULL;
}

static void test_missing_binary(void)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make("/nonexistent/dir/streamfx-host", "invert");
	CHECK(wait_for(l, is_failed, 5000, &st));
	CHECK_CONTAINS(st.last_error, "/nonexistent/dir/streamfx-host");
	CHECK(sfx_host_link_input_begin(l, NULL) == NULL);
	finish(l);
}

/* A path that is relative, a directory or not executable never runs: FAILED with the reason. */
static void test_unrunnable_paths(void)
{
	check_fails_to_start("fake-host", "not absolute");
	check_fails_to_start("/tmp", "not a regular file");

	char path[] = "/tmp/sfx-not-exec-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, "#!/bin/sh\nexit 0\n", 17) == 17);
		close(fd);
		chmod(path, 0644);
		check_fails_to_start(path, "not executable");
		unlink(path);
	}
}

static void test_early_exit_restarts(void)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make(g_fake, "exit-early");
	CHECK(wait_for(l, two_restarts, 8000, &st));
	CHECK_CONTAINS(st.last_error, "exit code 4");
	finish(l);
}

static void test_connect_frames_and_crash(void)
{
	struct sfx_host_status st;
	g_host_logs = 0;
	struct sfx_host_link *l = make(g_fake, "invert");
	CHECK(wait_for(l, is_connected, 10000, &st));
	CHECK(st.host_pid > 0);
	CHECK(wait_for(l, has_status_json, 5000, &st));
	CHECK_CONTAINS(st.host_status_json, "\"provider\":\"fake\"");
	CHECK(g_host_logs >= 1);
	/* Several publishes in a row are coalesced; the newest one comes back. */
	uint32_t last = 0;
	for (int i = 0; i < 5; i++) {
		CHECK(publish_one(l));
		last = i == 0 ? 0 : last;
	}
	struct sfx_frame_view v;
	bool got = false;
	uint64_t deadline = sfx_monotonic_ns() + 5000000000ull;
	while (!got && sfx_monotonic_ns() < deadline) {
		while (sfx_host_link_output_take(l, &v))
			got = v.source_sequence == 4;
		if (!got)
			sfx_host_link_wait_event(l, 200);
	}
	CHECK(got);
	CHECK(got && v.format == SFX_PIXEL_BGRA8 && v.width == 32 && v.pixels[0] == 245 && v.pixels[3] == 10);
	(void)last;
	/* The host writes the output slot before it sends FRAME_DONE, so the output can be seen before
	 * the worker has counted it: wait for the count rather than read it once. */
	CHECK(wait_for(l, has_frame_done, 5000, &st));
	CHECK(st.frames_sent == 5 && st.frames_received >= 1 && st.frames_received <= 5);

	/* Bad settings are refused; the worker reports it. */
	sfx_host_link_configure(l, "{\"a\":");
	CHECK(wait_for(l, has_settings_error, 5000, &st));
	CHECK_CONTAINS(st.last_error, "JSON object");
	finish(l);

	/* A host that crashes on its first frame is restarted and connects again. */
	l = make(g_fake, "crash");
	CHECK(wait_for(l, is_connected, 10000, &st));
	CHECK(publish_one(l));
	CHECK(wait_for(l, reconnected, 10000, &st));
	CHECK_CONTAINS(st.last_error, "host");
	finish(l);
}

/* A LOG whose text holds U+0000 is valid: logged (NUL shown as a space), session kept. */
static void test_log_with_nul(void)
{
	struct sfx_host_status st;
	atomic_store(&g_nul_log, 0);
	struct sfx_host_link *l = make(g_fake, "log-nul");
	CHECK(wait_for(l, is_connected, 10000, &st));
	CHECK(publish_one(l));
	struct sfx_frame_view v;
	CHECK(take_output_within(l, &v, 5000));
	sfx_host_link_get_status(l, &st);
	CHECK(st.restarts == 0 && st.state == SFX_LINK_CONNECTED);
	CHECK(atomic_load(&g_nul_log) == 1);
	finish(l);
}

static void test_bad_major_fails(void)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make(g_fake, "bad-major");
	CHECK(wait_for(l, is_failed, 10000, &st));
	CHECK_CONTAINS(st.last_error, "version_major");
	CHECK_CONTAINS(st.last_error, "found 2");
	finish(l);
}

static void test_hang_detected(void)
{
	check_hang_detected(g_fake, 0, 3000, 10000, 6000);
}

static void test_stall_is_not_a_hang(void)
{
	check_stall_is_not_a_hang(g_fake, 10000);
}

static bool output_for(struct sfx_host_link *l, uint32_t seq, int timeout_ms)
{
	uint64_t deadline = sfx_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct sfx_frame_view v;
	for (;;) {
		while (sfx_host_link_output_take(l, &v))
			if (v.source_sequence == seq)
				return true;
		uint64_t now = sfx_monotonic_ns();
		if (now >= deadline)
			return false;
		sfx_host_link_wait_event(l, (int)((deadline - now) / 1000000) + 1);
	}
}

/* A host that takes 3.5 s per frame (3.5 hang bounds) while beating: its frames arrive, late, with
 * no restart. Frozen (SIGSTOP: no heartbeat), the same host is replaced within the bound. */
static void test_slow_host_waited_for_frozen_replaced(void)
{
	struct sfx_host_status st;
	setenv("SFX_FAKE_HOST_DELAY_MS", "3500", 1);
	struct sfx_host_link *l = make_cfg(g_fake, "invert", (struct sfx_host_link_config){.hang_timeout_ms = 1000});
	CHECK(wait_for(l, is_connected, 10000, &st));
	unsetenv("SFX_FAKE_HOST_DELAY_MS"); /* read by the host at its start, which is behind us now */
	for (uint32_t seq = 0; seq < 2; seq++) {
		CHECK(publish_one(l));
		CHECK_MSG(output_for(l, seq, 10000), "slow frame %u never came back", seq);
	}
	sfx_host_link_get_status(l, &st);
	CHECK_MSG(st.restarts == 0 && st.state == SFX_LINK_CONNECTED, "restarts %u, state %s: %s", st.restarts,
		  sfx_link_state_name(st.state), st.last_error);
	CHECK_MSG(st.slowest_frame_ms >= 3400 && st.slowest_frame_ms < 8000, "slowest frame %u ms",
		  st.slowest_frame_ms);
	CHECK_MSG(st.last_frame_ms >= 3400 && st.last_frame_ms <= st.slowest_frame_ms, "last frame %u ms",
		  st.last_frame_ms);
	CHECK(st.frames_received == 2);

	pid_t pid = (pid_t)st.host_pid;
	CHECK(pid > 0 && kill(pid, SIGSTOP) == 0);
	uint64_t t0 = sfx_monotonic_ns();
	CHECK(wait_for(l, restarted, 5000, &st));
	uint64_t took_ms = (sfx_monotonic_ns() - t0) / 1000000;
	/* The last beat came at most one beat (100 ms) before the SIGSTOP; one 250 ms tick after the bound. */
	CHECK_MSG(took_ms >= 850 && took_ms < 2500, "frozen host detected after %llu ms", (unsigned long long)took_ms);
	CHECK_CONTAINS(st.last_error, "host_heartbeat");
	finish(l);
}

/* A STATUS up to the payload limit is kept whole (a long provider error reaches the panel). */
static void test_big_status_kept(void)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make(g_fake, "big-status");
	CHECK(wait_for(l, has_status_json, 10000, &st));
	size_t n = strlen(st.host_status_json);
	CHECK_MSG(n == 60000, "STATUS kept %zu of 60000 bytes", n);
	CHECK(n > 20 && strcmp(st.host_status_json + n - 14, "END-OF-ERROR\"}") == 0);
	CHECK(sfx_host_link_try_get_status(l, &st));
	CHECK(strlen(st.host_status_json) == 60000);
	sfx_host_link_get_status(l, &st);
	CHECK(st.restarts == 0);
	finish(l);
}

/* Graphics-thread calls never wait on the worker, even while it sits in a slow log call. */
static void test_configure_never_waits(void)
{
	struct sfx_host_status st;
	g_log_entered = sfx_wake_create();
	g_log_release = sfx_wake_create();
	atomic_store(&g_block_log, true);
	struct sfx_host_link *l = make(g_fake, "invert");
	CHECK_MSG(sfx_wake_wait(g_log_entered, 10000), "the worker never logged");
	uint64_t t0 = sfx_monotonic_ns();
	sfx_host_link_configure(l, "{\"strength\":0.5}");
	uint64_t valid_ns = sfx_monotonic_ns() - t0;
	t0 = sfx_monotonic_ns();
	sfx_host_link_configure(l, "{\"a\":");
	uint64_t refused_ns = sfx_monotonic_ns() - t0;
	t0 = sfx_monotonic_ns();
	bool got = sfx_host_link_try_get_status(l, &st);
	uint64_t status_ns = sfx_monotonic_ns() - t0;
	CHECK_MSG(valid_ns < 50000000ull, "configure waited %llu ms", (unsigned long long)(valid_ns / 1000000));
	CHECK_MSG(refused_ns < 50000000ull, "a refused configure waited %llu ms",
		  (unsigned long long)(refused_ns / 1000000));
	CHECK_MSG(got && status_ns < 50000000ull, "try_get_status: %d after %llu ms", got,
		  (unsigned long long)(status_ns / 1000000));
	sfx_wake_signal(g_log_release);
	/* Released, the worker reports the refusal and connects with the valid settings. */
	CHECK(wait_for(l, has_settings_error, 5000, &st));
	CHECK(wait_for(l, is_connected, 10000, &st));
	finish(l);
	sfx_wake_destroy(g_log_entered);
	sfx_wake_destroy(g_log_release);
}

/* Module unload while a host is frozen in SIGSTOP: join_all kills it at two thirds of its bound
 * (instead of after the 2 s SHUTDOWN grace) and joins the worker within the bound. */
static void test_unload_with_frozen_host(void)
{
	enum { BOUND_MS = 1500 };
	struct sfx_host_status st;
	struct sfx_host_link *l = make(g_fake, "invert");
	CHECK(wait_for(l, is_connected, 10000, &st));
	pid_t pid = (pid_t)st.host_pid;
	CHECK(pid > 0 && kill(pid, SIGSTOP) == 0);
	sfx_host_link_destroy(l);
	uint64_t t0 = sfx_monotonic_ns();
	bool joined = sfx_host_link_join_all(BOUND_MS);
	uint64_t took_ms = (sfx_monotonic_ns() - t0) / 1000000;
	CHECK_MSG(joined && took_ms <= BOUND_MS, "join_all: %d after %llu ms (bound %d)", joined,
		  (unsigned long long)took_ms, BOUND_MS);
	CHECK_MSG(took_ms >= BOUND_MS * 2 / 3 - 50, "joined after %llu ms: the frozen host was not waited for",
		  (unsigned long long)took_ms);
	/* Killed and reaped by the worker: the pid is gone. */
	CHECK_MSG(kill(pid, 0) != 0 && errno == ESRCH, "host %d still exists after unload", (int)pid);
	if (kill(pid, 0) == 0)
		kill(pid, SIGKILL);
	/* Nothing left to join; a later link works as before (the kill point is reset). */
	CHECK(sfx_host_link_join_all(100));
	l = make(g_fake, "invert");
	CHECK(wait_for(l, is_connected, 10000, &st));
	finish(l);
}

/* Every malformed peer ends its session with one line naming what was wrong, and is replaced. */
static void test_malformed_peers(void)
{
	static const struct {
		const char *mode;
		const char *reason;
		bool needs_frame; /* the fault is in the output slots: the graphics side must take */
	} cases[] = {
	    {"status-first", "first message expected HELLO", false},
	    {"hello-twice", "HELLO repeated", false},
	    {"huge-length", "message length: expected 0..65536, found 4294967295", false},
	    {"bad-flags", "message flags (type 99): expected 0, found 0x0001", false},
	    {"bad-json", "STATUS payload: expected a JSON object", false},
	    {"bad-log-level", "LOG level: expected 0..3, found 9", false},
	    {"wrong-direction", "found a shim-to-host one", false},
	    {"bad-slot", "slot width: expected 1..32, found 33", true},
	    {"bad-row-bytes", "exceeds the slot capacity", true},
	    {"bad-exchange", "exchange word", true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fprintf(stderr, "malformed peer: %s\n", cases[i].mode);
		struct sfx_host_status st;
		struct sfx_host_link *l = make(g_fake, cases[i].mode);
		if (cases[i].needs_frame) {
			CHECK(wait_for(l, is_connected, 10000, &st));
			CHECK(publish_one(l));
			struct sfx_frame_view v;
			uint64_t deadline = sfx_monotonic_ns() + 5000000000ull;
			for (;;) {
				sfx_host_link_get_status(l, &st);
				if (st.restarts >= 1 || sfx_monotonic_ns() > deadline)
					break;
				CHECK(!sfx_host_link_output_take(l, &v)); /* an invalid frame is never handed out */
				sfx_host_link_wait_event(l, 100);
			}
		}
		CHECK_MSG(wait_for(l, restarted, 10000, &st), "%s: no restart", cases[i].mode);
		CHECK_MSG(strstr(st.last_error, cases[i].reason) != NULL, "%s: '%s' does not mention '%s'",
			  cases[i].mode, st.last_error, cases[i].reason);
		CHECK(st.state != SFX_LINK_FAILED);
		finish(l);
	}
}

/* Restarts back off, doubling to the cap; every start and restart is logged as a state change. */
static void test_backoff_doubles_to_cap(void)
{
	atomic_store(&g_state_logs, 0);
	check_backoff_doubles_to_cap(g_fake, 20000, 1000);
	CHECK(atomic_load(&g_state_logs) >= 2 * BACKOFF_RESTARTS);
}

/* The knobs come from the environment when the config leaves them 0; bad values are refused. */
static void test_timing_from_environment(void)
{
	struct sfx_host_status st;
	setenv("STREAMFX_RESTART_BACKOFF_MS", "30", 1);
	setenv("STREAMFX_HANG_TIMEOUT_MS", "1500", 1);
	struct sfx_host_link *l = make("/nonexistent/streamfx-host", "invert");
	sfx_host_link_get_status(l, &st);
	CHECK(st.restart_delay_ms == 30 && st.hang_timeout_ms == 1500);
	finish(l);

	atomic_store(&g_env_warnings, 0);
	setenv("STREAMFX_RESTART_BACKOFF_MS", "12abc", 1);
	setenv("STREAMFX_HANG_TIMEOUT_MS", "10", 1); /* below the 1000 ms floor */
	l = make("/nonexistent/streamfx-host", "invert");
	sfx_host_link_get_status(l, &st);
	CHECK(st.restart_delay_ms == 250 && st.hang_timeout_ms == 3000);
	CHECK(atomic_load(&g_env_warnings) == 2);
	finish(l);
	unsetenv("STREAMFX_RESTART_BACKOFF_MS");
	unsetenv("STREAMFX_HANG_TIMEOUT_MS");
}

/* Waits for any process (not only a child) to exit: its pidfd becomes readable. */
static bool pid_exits_within(pid_t pid, int timeout_ms)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 && errno == ENOSYS) {
		/* No pidfd (old kernel, or valgrind, which does not know the call): a process that is not
		 * our child has no other waitable handle, so look in 10 ms steps until the deadline. */
		uint64_t deadline = sfx_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
		while (kill(pid, 0) == 0 && sfx_monotonic_ns() < deadline)
			nanosleep(&(struct timespec){0, 10000000}, NULL);
		return kill(pid, 0) != 0;
	}
	if (fd < 0)
		return errno == ESRCH;
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	int r;
	do {
		r = poll(&pf, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	close(fd);
	return r > 0;
}

static bool shm_exists(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	struct stat st;
	return lstat(path, &st) == 0;
}

/* OBS killed: the host notices the end of the control stream and exits by itself; the region (and
 * a socket) the dead process left are stale and cleaned up, a live link's are not. Runs first, while
 * this process has no other threads, because it forks. */
static void test_obs_killed(const char *host_path)
{
	fprintf(stderr, "obs killed, host %s\n", host_path);
	int pipefd[2];
	CHECK(pipe(pipefd) == 0);
	pid_t obs = fork();
	if (obs == 0) {
		close(pipefd[0]);
		struct sfx_host_status st;
		struct sfx_host_link *l = make(host_path, "invert");
		if (!wait_for(l, is_connected, 20000, &st) || !publish_one(l))
			_exit(3);
		char shm[64], control[256], extra[256];
		sfx_host_link_get_names(l, shm, sizeof(shm), control, sizeof(control));
		sfx_listener *stale = sfx_listener_create(extra, sizeof(extra)); /* never accepted */
		char line[512];
		int n = snprintf(line, sizeof(line), "%lld %s %s\n", (long long)st.host_pid, shm, extra);
		if (!stale || write(pipefd[1], line, (size_t)n) != n)
			_exit(4);
		for (;;)
			pause(); /* until SIGKILL */
	}
	close(pipefd[1]);
	char line[512] = {0};
	size_t have = 0;
	while (have < sizeof(line) - 1 && !strchr(line, '\n')) {
		ssize_t n = read(pipefd[0], line + have, sizeof(line) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(pipefd[0]);
	long long host = 0;
	char shm[64] = "", sock[256] = "";
	CHECK(sscanf(line, "%lld %63s %255s", &host, shm, sock) == 3);
	if (host <= 0) {
		kill(obs, SIGKILL);
		waitpid(obs, NULL, 0);
		return;
	}
	/* A live link of this process: its objects must survive the cleanup below. */
	struct sfx_host_status st;
	struct sfx_host_link *live = make(g_fake, "invert");
	CHECK(wait_for(live, is_connected, 10000, &st));
	char live_shm[64];
	sfx_host_link_get_names(live, live_shm, sizeof(live_shm), NULL, 0);
	sfx_listener *live_listener;
	char live_sock[256];
	live_listener = sfx_listener_create(live_sock, sizeof(live_sock));

	CHECK(kill(obs, SIGKILL) == 0);
	CHECK(waitpid(obs, NULL, 0) == obs);
	uint64_t t0 = sfx_monotonic_ns();
	CHECK_MSG(pid_exits_within((pid_t)host, 5000), "host %lld still running 5 s after OBS was killed", host);
	fprintf(stderr, "obs killed: host %lld exited by itself after %llu ms\n", host,
		(unsigned long long)((sfx_monotonic_ns() - t0) / 1000000));

	CHECK(shm_exists(shm));
	struct stat sst;
	CHECK(lstat(sock, &sst) == 0);
	sfx_cleanup_stale_older_than(0);
	CHECK_MSG(!shm_exists(shm), "stale region %s was not removed", shm);
	CHECK_MSG(lstat(sock, &sst) != 0, "stale socket %s was not removed", sock);
	CHECK_MSG(shm_exists(live_shm), "live region %s was removed", live_shm);
	CHECK_MSG(lstat(live_sock, &sst) == 0, "live socket %s was removed", live_sock);
	sfx_host_link_get_status(live, &st);
	CHECK(st.state == SFX_LINK_CONNECTED);
	sfx_listener_destroy(live_listener);
	finish(live);
	CHECK(!shm_exists(live_shm));
}

static void test_destroy_while_starting(void)
{
	struct sfx_host_link *l = make(g_fake, "invert");
	finish(l);
	/* Many at once, for module unload. */
	struct sfx_host_link *ls[4];
	for (int i = 0; i < 4; i++)
		ls[i] = make(g_fake, "invert");
	for (int i = 0; i < 4; i++)
		sfx_host_link_destroy(ls[i]);
	CHECK(sfx_host_link_wait_all(8000));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test-host-link <fake-host path> [<streamfx-host path>]\n");
		return 2;
	}
	g_fake = argv[1];
	test_obs_killed(g_fake);
	if (argc > 2)
		test_obs_killed(argv[2]);
	struct sfx_host_link_config bad = {.host_path = g_fake, .max_width = 0, .max_height = 10};
	CHECK(sfx_host_link_create(&bad) == NULL);
	test_missing_binary();
	test_unrunnable_paths();
	test_timing_from_environment();
	test_early_exit_restarts();
	test_backoff_doubles_to_cap();
	test_connect_frames_and_crash();
	test_log_with_nul();
	test_bad_major_fails();
	test_hang_detected();
	test_stall_is_not_a_hang();
	test_slow_host_waited_for_frozen_replaced();
	test_big_status_kept();
	test_configure_never_waits();
	test_malformed_peers();
	test_destroy_while_starting();
	test_unload_with_frozen_host();
	CHECK(sfx_host_link_join_all(5000)); /* every worker thread joined before exit */
	return test_summary("test-host-link");
}
