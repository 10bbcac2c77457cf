/* The host link's supervisor on Win32, under Wine: the same worker as on Linux driving
 * platform-win32.c against the C fake host (a missing host, a crash, a hang restarted, a stall
 * waited for and not restarted, restart backoff doubling to its cap) and, with any host, the shim's process dying: the
 * host sees the pipe close and exits by itself.
 *
 *   test-host-link-win32 missing-host|crash|hang|stall|backoff <fake host .exe>
 *   test-host-link-win32 shim-killed <fake or real host .exe>
 *
 * shim-killed starts this executable again as the "shim" ("play-shim <host>"), which connects a
 * link and prints the host's pid; the test then kills it with TerminateProcess. */
#include "host-link.h"
#include "platform.h"
#include "test-check.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdatomic.h>
#include <stdlib.h>

static const char *g_host;
static atomic_int g_slow_logs; /* "host slow: ..." lines */

/* Restart bookkeeping from the log callback, which runs on the link's worker as things happen. */
#define MAX_EVENTS 64
static struct {
	atomic_bool on;
	int restarts, starts;
	uint64_t restart_ns[MAX_EVENTS], start_ns[MAX_EVENTS];
	int delay_ms[MAX_EVENTS];
} g_trace;

static void log_cb(void *ctx, enum sfx_log_level level, const char *message)
{
	(void)ctx;
	if (strncmp(message, "host slow: ", 11) == 0)
		atomic_fetch_add(&g_slow_logs, 1);
	if (atomic_load(&g_trace.on)) {
		int delay;
		if (sscanf(message, "state: restarting the host in %d ms", &delay) == 1 &&
		    g_trace.restarts < MAX_EVENTS) {
			g_trace.delay_ms[g_trace.restarts] = delay;
			g_trace.restart_ns[g_trace.restarts++] = sfx_monotonic_ns();
		} else if (strncmp(message, "started host ", 13) == 0 && g_trace.starts < MAX_EVENTS) {
			g_trace.start_ns[g_trace.starts++] = sfx_monotonic_ns();
		}
	}
	fprintf(stderr, "  [log %d] %s\n", (int)level, message);
}

typedef bool (*pred_fn)(const struct sfx_host_status *st);

static bool wait_for(struct sfx_host_link *l, pred_fn pred, int timeout_ms, struct sfx_host_status *st)
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

static bool is_failed(const struct sfx_host_status *st)
{
	return st->state == SFX_LINK_FAILED;
}
static bool is_connected(const struct sfx_host_status *st)
{
	return st->state == SFX_LINK_CONNECTED;
}
static bool reconnected(const struct sfx_host_status *st)
{
	return st->restarts >= 1 && st->state == SFX_LINK_CONNECTED;
}
static bool restarted(const struct sfx_host_status *st)
{
	return st->restarts >= 1;
}
static bool restarted_enough(const struct sfx_host_status *st)
{
	return st->restarts >= 10;
}

static struct sfx_host_link *make_cfg(const char *path, const char *mode, struct sfx_host_link_config cfg)
{
	/* The Win32 environment block is what CreateProcess hands the host. */
	SetEnvironmentVariableA("SFX_FAKE_HOST_MODE", mode);
	cfg.host_path = path;
	cfg.max_width = 32;
	cfg.max_height = 16;
	cfg.log = log_cb;
	struct sfx_host_link *l = sfx_host_link_create(&cfg);
	CHECK(l != NULL);
	return l;
}

static struct sfx_host_link *make(const char *path, const char *mode)
{
	return make_cfg(path, mode, (struct sfx_host_link_config){0});
}

static bool publish_one(struct sfx_host_link *l)
{
	size_t cap;
	uint8_t *px = sfx_host_link_input_begin(l, &cap);
	if (!px)
		return false;
	memset(px, 10, 32 * 4 * 16);
	sfx_host_link_input_publish(l, 32, 16, 32 * 4, SFX_PIXEL_BGRA8, sfx_monotonic_ns());
	return true;
}

static void finish(struct sfx_host_link *l)
{
	uint64_t t0 = sfx_monotonic_ns();
	sfx_host_link_destroy(l);
	CHECK(sfx_monotonic_ns() - t0 < 100000000ull); /* returns at once */
	CHECK(sfx_host_link_wait_all(10000));
}

static void test_missing_host(void)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make("C:\\nonexistent\\streamfx-host.exe", "invert");
	CHECK(wait_for(l, is_failed, 5000, &st));
	CHECK_CONTAINS(st.last_error, "C:\\nonexistent\\streamfx-host.exe");
	CHECK(st.restarts == 0);
	finish(l);
	l = make("streamfx-host.exe", "invert");
	CHECK(wait_for(l, is_failed, 5000, &st));
	CHECK_CONTAINS(st.last_error, "not absolute");
	finish(l);
}

/* Frames go through; a host that crashes on its first frame is restarted and connects again. */
static void test_crash(void)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make(g_host, "invert");
	CHECK(wait_for(l, is_connected, 20000, &st));
	CHECK(st.host_pid > 0);
	CHECK(publish_one(l));
	struct sfx_frame_view v;
	bool got = false;
	uint64_t deadline = sfx_monotonic_ns() + 10000000000ull;
	while (!got && sfx_monotonic_ns() < deadline) {
		got = sfx_host_link_output_take(l, &v);
		if (!got)
			sfx_host_link_wait_event(l, 200);
	}
	CHECK(got && v.format == SFX_PIXEL_BGRA8 && v.width == 32 && v.pixels[0] == 245 && v.pixels[3] == 10);
	finish(l);

	l = make(g_host, "crash");
	CHECK(wait_for(l, is_connected, 20000, &st));
	CHECK(publish_one(l));
	CHECK(wait_for(l, reconnected, 20000, &st));
	CHECK_MSG(strstr(st.last_error, "exit code 3") != NULL, "last error '%s'", st.last_error);
	finish(l);
}

static void test_hang(void)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make_cfg(g_host, "hang", (struct sfx_host_link_config){.hang_timeout_ms = 1500});
	CHECK(wait_for(l, is_connected, 20000, &st));
	CHECK(publish_one(l));
	uint64_t t0 = sfx_monotonic_ns();
	CHECK(wait_for(l, restarted, 10000, &st));
	uint64_t took = sfx_monotonic_ns() - t0;
	CHECK_MSG(took >= 1400000000ull && took < 5000000000ull, "hang detected after %llu ms",
		  (unsigned long long)(took / 1000000));
	CHECK_CONTAINS(st.last_error, "hung");
	finish(l);
}

/* A host whose heartbeat goes on is alive however long a frame takes: the stalled frame is logged
 * and shown, never a restart (a slow model must not be taken for a hung host). */
static void test_stall(void)
{
	struct sfx_host_status st;
	atomic_store(&g_slow_logs, 0);
	struct sfx_host_link *l = make_cfg(g_host, "stall", (struct sfx_host_link_config){.hang_timeout_ms = 1000});
	CHECK(wait_for(l, is_connected, 20000, &st));
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

/* Restarts wait 20, 40, 80, 160, 160, ... ms: doubling up to the cap, never a storm. */
static void test_backoff(void)
{
	enum { RESTARTS = 8, FIRST = 20, CAP = 160 };
	memset(&g_trace, 0, sizeof(g_trace));
	atomic_store(&g_trace.on, true);
	struct sfx_host_link *l =
	    make_cfg(g_host, "exit-early",
		     (struct sfx_host_link_config){.restart_backoff_ms = FIRST, .restart_backoff_max_ms = CAP});
	struct sfx_host_status st;
	CHECK(wait_for(l, restarted_enough, 60000, &st));
	CHECK_CONTAINS(st.last_error, "exit code 4");
	finish(l); /* the worker is gone: the trace is complete and ours to read */
	atomic_store(&g_trace.on, false);
	CHECK(g_trace.restarts >= RESTARTS + 1 && g_trace.starts >= RESTARTS + 1);
	int expected = FIRST;
	for (int k = 0; k < RESTARTS && k < g_trace.restarts && k + 1 < g_trace.starts; k++) {
		uint64_t gap_ms = (g_trace.start_ns[k + 1] - g_trace.restart_ns[k]) / 1000000;
		CHECK_MSG(g_trace.delay_ms[k] == expected, "restart %d announced %d ms, expected %d", k + 1,
			  g_trace.delay_ms[k], expected);
		/* Process creation under Wine takes longer than on Linux: 2 s of room above the backoff. */
		CHECK_MSG(gap_ms >= (uint64_t)expected && gap_ms < (uint64_t)expected + 2000,
			  "restart %d: host started %llu ms after it, backoff %d ms", k + 1, (unsigned long long)gap_ms,
			  expected);
		expected = expected * 2 > CAP ? CAP : expected * 2;
	}
	uint64_t span_ms = (g_trace.restart_ns[RESTARTS] - g_trace.restart_ns[0]) / 1000000;
	fprintf(stderr, "backoff: restarts 1..%d spanned %llu ms\n", RESTARTS + 1, (unsigned long long)span_ms);
	CHECK(span_ms >= 940); /* 20+40+80+160*5 ms of waiting at least */
}

/* The child: connects a link to the host, prints the host's pid, and waits to be killed. */
static int play_shim(const char *host)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make(host, "invert");
	if (!l || !wait_for(l, is_connected, 60000, &st)) {
		fprintf(stderr, "play-shim: not connected: %s\n", l ? st.last_error : "no link");
		return 3;
	}
	printf("%lld\n", (long long)st.host_pid);
	fflush(stdout);
	Sleep(INFINITE);
	return 0;
}

/* OBS (the shim's process) dies without a word: the host notices the pipe close and exits. */
static void test_shim_killed(const char *self)
{
	SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, TRUE};
	HANDLE rd = NULL, wr = NULL;
	CHECK(CreatePipe(&rd, &wr, &sa, 0));
	SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
	char cmd[2 * MAX_PATH + 32];
	snprintf(cmd, sizeof(cmd), "\"%s\" play-shim \"%s\"", self, g_host);
	STARTUPINFOA si = {.cb = sizeof(si), .dwFlags = STARTF_USESTDHANDLES};
	si.hStdOutput = wr;
	si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
	si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
	PROCESS_INFORMATION pi;
	/* Inheriting is for the test's stdout pipe only; the shim's own spawn inherits nothing. */
	BOOL ok = CreateProcessA(self, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);
	CloseHandle(wr);
	CHECK_MSG(ok, "CreateProcess %s failed (%lu)", self, (unsigned long)GetLastError());
	if (!ok) {
		CloseHandle(rd);
		return;
	}
	CloseHandle(pi.hThread);
	char line[64] = {0};
	DWORD have = 0, n;
	while (have < sizeof(line) - 1 && !strchr(line, '\n') &&
	       ReadFile(rd, line + have, (DWORD)(sizeof(line) - 1 - have), &n, NULL) && n > 0)
		have += n;
	CloseHandle(rd);
	DWORD host_pid = (DWORD)strtoul(line, NULL, 10);
	CHECK_MSG(host_pid != 0, "the shim child printed no host pid ('%s')", line);
	HANDLE host = host_pid ? OpenProcess(SYNCHRONIZE, FALSE, host_pid) : NULL;
	CHECK_MSG(host != NULL, "cannot open host pid %lu", (unsigned long)host_pid);
	TerminateProcess(pi.hProcess, 9);
	WaitForSingleObject(pi.hProcess, 10000);
	CloseHandle(pi.hProcess);
	if (host) {
		uint64_t t0 = sfx_monotonic_ns();
		DWORD r = WaitForSingleObject(host, 10000);
		CHECK_MSG(r == WAIT_OBJECT_0, "host %lu still running 10 s after the shim was killed",
			  (unsigned long)host_pid);
		fprintf(stderr, "shim killed: host %lu exited by itself after %llu ms\n", (unsigned long)host_pid,
			(unsigned long long)((sfx_monotonic_ns() - t0) / 1000000));
		if (r != WAIT_OBJECT_0)
			TerminateProcess(host, 1);
		CloseHandle(host);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test-host-link-win32 missing-host|crash|hang|stall|backoff|shim-killed "
				"<host .exe>\n");
		return 2;
	}
	g_host = argv[2];
	if (strcmp(argv[1], "play-shim") == 0)
		return play_shim(g_host);
	char self[MAX_PATH];
	DWORD n = GetModuleFileNameA(NULL, self, sizeof(self));
	CHECK(n > 0 && n < sizeof(self));
	const char *c = argv[1];
	if (strcmp(c, "missing-host") == 0)
		test_missing_host();
	else if (strcmp(c, "crash") == 0)
		test_crash();
	else if (strcmp(c, "hang") == 0)
		test_hang();
	else if (strcmp(c, "stall") == 0)
		test_stall();
	else if (strcmp(c, "backoff") == 0)
		test_backoff();
	else if (strcmp(c, "shim-killed") == 0)
		test_shim_killed(self);
	else {
		fprintf(stderr, "test-host-link-win32: unknown case '%s'\n", c);
		return 2;
	}
	return test_summary("test-host-link-win32");
}
