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
#include "host-link-checks.h"

static const char *g_host;

static void log_cb(void *ctx, enum sfx_log_level level, const char *message)
{
	(void)ctx;
	trace_log_line(message);
	fprintf(stderr, "  [log %d] %s\n", (int)level, message);
}

static void test_missing_host(void)
{
	check_fails_to_start("C:\\nonexistent\\streamfx-host.exe", "C:\\nonexistent\\streamfx-host.exe");
	check_fails_to_start("streamfx-host.exe", "not absolute");
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
	bool got = take_output_within(l, &v, 10000);
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
	check_hang_detected(g_host, 1500, 1500, 20000, 5000);
}

/* The stall and backoff checks are Linux's, with Wine's slower process starts. */
static void test_stall(void)
{
	check_stall_is_not_a_hang(g_host, 20000);
}

/* Process creation under Wine takes longer than on Linux: 2 s of room above each backoff. */
static void test_backoff(void)
{
	struct sfx_host_status st = check_backoff_doubles_to_cap(g_host, 60000, 2000);
	CHECK_CONTAINS(st.last_error, "exit code 4");
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
