/* The Win32 platform layer (platform-win32.c) on real Win32 calls, run under Wine: the named file
 * mapping and its page-rounded view, the single-instance named pipe, the client process id check,
 * CreateProcess without inherited handles, kill, and the wake event.
 *
 *   test-platform-win32 [mapping|pipe|pid|process|wake]   (no argument: all of them)
 *
 * The process cases start this same executable as the child ("child-*" arguments below). */
#include "frame-region.h"
#include "platform.h"
#include "test-check.h"
#include "platform-checks.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdlib.h>

static char g_self[MAX_PATH];

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

/* The region as the shim creates it and as a host maps it: the view comes back rounded up to the
 * page, and the bridge's own validation must take that (the bug that kept the C test host off). */
static void test_mapping(void)
{
	const size_t size = (size_t)sfx_region_total_size(sfx_region_slot_stride(64, 48)); /* 74368 */
	char name[64];
	struct sfx_shm *shm = sfx_shm_create(size, name, sizeof(name));
	CHECK_MSG(shm != NULL, "%s", sfx_platform_error());
	if (!shm)
		return;
	CHECK_MSG(strncmp(name, "Local\\streamfx-", 15) == 0 && is_lower_hex(name + 15, 32), "name %s", name);
	CHECK(sfx_shm_size(shm) == size);
	char err[256] = "";
	CHECK_MSG(sfx_region_init(sfx_shm_data(shm), sfx_shm_size(shm), 64, 48, err, sizeof(err)), "%s", err);

	struct sfx_shm *view = sfx_shm_open(name);
	CHECK_MSG(view != NULL, "%s", sfx_platform_error());
	if (view) {
		CHECK_MSG(sfx_shm_size(view) == 77824, "view of %zu bytes reported as %zu, expected 77824", size,
			  sfx_shm_size(view));
		CHECK_MSG(sfx_region_validate(sfx_shm_data(view), sfx_shm_size(view), err, sizeof(err)), "%s", err);
		/* The same memory: a write on one side is seen on the other. */
		((uint8_t *)sfx_shm_data(shm))[size - 1] = 0x5A;
		CHECK(((uint8_t *)sfx_shm_data(view))[size - 1] == 0x5A);
		sfx_shm_destroy(view);
	}
	/* The bare name (as the host may be given it) names the same mapping. */
	view = sfx_shm_open(name + 6);
	CHECK_MSG(view != NULL, "%s", sfx_platform_error());
	sfx_shm_destroy(view);

	/* Names outside the pattern are refused before any Win32 call. */
	char global[64];
	snprintf(global, sizeof(global), "Global\\%s", name + 6);
	CHECK(sfx_shm_open(global) == NULL);
	CHECK_CONTAINS(sfx_platform_error(), "Local\\streamfx-<32 hex>");
	CHECK(sfx_shm_open("Local\\streamfx-0123") == NULL);

	/* With its last handle the mapping is gone: nothing stale is left behind. */
	sfx_shm_destroy(shm);
	CHECK(sfx_shm_open(name) == NULL);
	CHECK_CONTAINS(sfx_platform_error(), "OpenFileMapping");
	CHECK(sfx_shm_create(0, name, sizeof(name)) == NULL);
}

/* One instance only: while the shim's pipe is connected nobody else gets in, and once the
 * connection closes the name is gone. Data goes both ways without blocking. */
static void test_pipe(void)
{
	char addr[128];
	sfx_listener *l = sfx_listener_create(addr, sizeof(addr));
	CHECK_MSG(l != NULL, "%s", sfx_platform_error());
	if (!l)
		return;
	CHECK_MSG(strncmp(addr, "\\\\.\\pipe\\streamfx-", 18) == 0 && is_lower_hex(addr + 18, 32), "address %s", addr);
	/* Nobody there: timeout. */
	CHECK(sfx_listener_accept(l, 0, 50) == NULL);
	CHECK_CONTAINS(sfx_platform_error(), "no peer");

	sfx_conn *client = sfx_conn_connect(addr);
	CHECK_MSG(client != NULL, "%s", sfx_platform_error());
	sfx_conn *second = sfx_conn_connect(addr);
	CHECK_MSG(second == NULL, "a second client connected to the single-instance pipe %s", addr);
	sfx_conn_close(second);
	sfx_conn *server = sfx_listener_accept(l, (int64_t)GetCurrentProcessId(), 1000);
	CHECK_MSG(server != NULL, "%s", sfx_platform_error());
	sfx_listener_destroy(l);
	CHECK(sfx_conn_connect(addr) == NULL); /* still one instance, and it is taken */

	if (server && client) {
		/* A full pipe is a write left in flight. */
		check_conn_stream(server, client, false, 1000);
		client = NULL;
	}
	sfx_conn_close(client);
	sfx_conn_close(server);
	/* The instance went with the connection: the name no longer exists. */
	CHECK(sfx_conn_connect(addr) == NULL);
	CHECK_CONTAINS(sfx_platform_error(), "CreateFile on the pipe");
}

/* GetNamedPipeClientProcessId: a client that is not the expected process is disconnected. */
static void test_pid_check(void)
{
	char addr[128];
	sfx_listener *l = sfx_listener_create(addr, sizeof(addr));
	CHECK(l != NULL);
	if (!l)
		return;
	sfx_conn *client = sfx_conn_connect(addr);
	CHECK_MSG(client != NULL, "%s", sfx_platform_error());
	CHECK(sfx_listener_accept(l, (int64_t)GetCurrentProcessId() + 100000, 300) == NULL);
	CHECK_CONTAINS(sfx_platform_error(), "rejected peer pid");
	/* The rejected client sees the end of the stream. */
	if (client) {
		CHECK(sfx_conn_wait(client, NULL, false, 1000) & (SFX_READY_READ | SFX_READY_ERROR));
		uint8_t byte;
		CHECK(sfx_conn_recv(client, &byte, 1) == -1);
	}
	sfx_conn_close(client);

	/* The listener is still there for the right process. */
	client = sfx_conn_connect(addr);
	CHECK_MSG(client != NULL, "%s", sfx_platform_error());
	sfx_conn *server = sfx_listener_accept(l, (int64_t)GetCurrentProcessId(), 1000);
	CHECK_MSG(server != NULL, "%s", sfx_platform_error());
	sfx_conn_close(server);
	sfx_conn_close(client);
	sfx_listener_destroy(l);

	check_wake_interrupts_accept();
}

static struct sfx_process *spawn_self(const char *a1, const char *a2)
{
	const char *argv[] = {g_self, a1, a2, NULL};
	char err[256] = "";
	struct sfx_process *p = sfx_process_spawn(g_self, argv, err, sizeof(err));
	CHECK_MSG(p != NULL, "%s", err);
	return p;
}

static void test_process(void)
{
	char err[256];
	const char *argv_missing[] = {"C:\\nonexistent\\streamfx-host.exe", NULL};
	CHECK(sfx_process_spawn(argv_missing[0], argv_missing, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "C:\\nonexistent\\streamfx-host.exe");
	const char *argv_rel[] = {"streamfx-host.exe", NULL};
	CHECK(sfx_process_spawn(argv_rel[0], argv_rel, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "not absolute");
	const char *argv_dir[] = {"C:\\windows", NULL};
	CHECK(sfx_process_spawn(argv_dir[0], argv_dir, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "not a regular file");

	/* The exit code comes back, and the arguments arrive as given (spaces, quotes, backslashes). */
	struct sfx_process *p = spawn_self("child-exit", "a \"b\" c\\");
	int code = 99;
	CHECK(p && sfx_process_wait(p, 10000, &code));
	CHECK_MSG(code == 3, "child exit code %d, expected 3 (the argument did not arrive intact)", code);
	sfx_process_destroy(p);

	/* An inheritable handle of ours is not inherited (bInheritHandles FALSE). */
	SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, TRUE};
	char event_name[64], value[128];
	snprintf(event_name, sizeof(event_name), "Local\\sfx-inherit-test-%lu", (unsigned long)GetCurrentProcessId());
	HANDLE leak = CreateEventA(&sa, TRUE, FALSE, event_name);
	CHECK(leak != NULL);
	snprintf(value, sizeof(value), "%llu:%s", (unsigned long long)(uintptr_t)leak, event_name);
	p = spawn_self("child-handle", value);
	CHECK(p && sfx_process_wait(p, 10000, &code));
	CHECK_MSG(code == 0, "handle %s was inherited by the child (exit %d; 4, 5: the child could not check)", value,
		  code);
	sfx_process_destroy(p);
	CloseHandle(leak);

	/* A child that does not exit: wait times out, kill ends it. */
	p = spawn_self("child-sleep", "60000");
	CHECK(p && sfx_process_running(p, &code));
	uint64_t t0 = sfx_monotonic_ns();
	CHECK(!sfx_process_wait(p, 100, &code));
	CHECK(sfx_monotonic_ns() - t0 >= 90000000ull);
	sfx_process_kill(p);
	CHECK(sfx_process_wait(p, 5000, &code));
	CHECK(code == 1); /* TerminateProcess(…, 1) */
	CHECK(!sfx_process_running(p, &code));
	sfx_process_destroy(p);

	/* destroy alone kills; the process is gone afterwards. */
	p = spawn_self("child-sleep", "60000");
	DWORD pid = (DWORD)sfx_process_pid(p);
	CHECK(pid != 0);
	sfx_process_destroy(p);
	HANDLE h = OpenProcess(SYNCHRONIZE, FALSE, pid);
	CHECK(h == NULL || WaitForSingleObject(h, 0) == WAIT_OBJECT_0);
	if (h)
		CloseHandle(h);
}

/* Runs on another thread: the wake may land before or during the wait; either way it ends it. */
static void signal_from_thread(void *arg)
{
	sfx_wake_signal(arg);
}

static void test_wake(void)
{
	struct sfx_wake *w = sfx_wake_create();
	CHECK(w != NULL);
	check_wake_signal_and_clear(w);

	/* Another thread's signal ends a wait on a connection that has nothing to read. */
	char addr[128];
	sfx_listener *l = sfx_listener_create(addr, sizeof(addr));
	sfx_conn *client = l ? sfx_conn_connect(addr) : NULL;
	sfx_conn *server = client ? sfx_listener_accept(l, 0, 1000) : NULL;
	CHECK_MSG(server != NULL, "%s", sfx_platform_error());
	CHECK(sfx_thread_start_detached(signal_from_thread, w));
	uint64_t t0 = sfx_monotonic_ns();
	int mask = sfx_conn_wait(server, w, false, 5000);
	CHECK_MSG(mask == SFX_READY_WAKE, "wait returned 0x%x", mask);
	CHECK(sfx_monotonic_ns() - t0 < 2000000000ull);
	sfx_conn_close(server);
	sfx_conn_close(client);
	sfx_listener_destroy(l);

	/* The try-lock never blocks. */
	struct sfx_mutex *m = sfx_mutex_create();
	CHECK(sfx_mutex_trylock(m));
	CHECK(!sfx_mutex_trylock(m));
	sfx_mutex_unlock(m);
	CHECK(sfx_mutex_trylock(m));
	sfx_mutex_unlock(m);
	sfx_mutex_destroy(m);
	sfx_wake_destroy(w);
}

static int child_main(const char *what, const char *arg)
{
	if (strcmp(what, "child-exit") == 0)
		return strcmp(arg, "a \"b\" c\\") == 0 ? 3 : 2;
	if (strcmp(what, "child-handle") == 0) {
		/* "<handle value>:<event name>": inherited means that value names the parent's event here
		 * (the same value may well be some other handle of ours). */
		char *end;
		HANDLE h = (HANDLE)(uintptr_t)strtoull(arg, &end, 10);
		HANDLE same = *end == ':' ? OpenEventA(SYNCHRONIZE, FALSE, end + 1) : NULL;
		if (!same)
			return 4;
		/* Windows 10 and Wine have it, mingw's import library does not. */
		typedef BOOL(WINAPI * compare_fn)(HANDLE, HANDLE);
		HMODULE kb = GetModuleHandleA("kernelbase.dll");
		compare_fn compare = kb ? (compare_fn)(void (*)(void))GetProcAddress(kb, "CompareObjectHandles") : NULL;
		if (!compare)
			return 5;
		bool inherited = compare(h, same);
		CloseHandle(same);
		return inherited ? 1 : 0;
	}
	if (strcmp(what, "child-sleep") == 0) {
		Sleep((DWORD)strtoul(arg, NULL, 10));
		return 0;
	}
	return 9;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strncmp(argv[1], "child-", 6) == 0)
		return child_main(argv[1], argv[2]);
	DWORD n = GetModuleFileNameA(NULL, g_self, sizeof(g_self));
	if (n == 0 || n >= sizeof(g_self)) {
		fprintf(stderr, "GetModuleFileName failed\n");
		return 1;
	}
	const char *only = argc > 1 ? argv[1] : NULL;
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
	    {"mapping", test_mapping}, {"pipe", test_pipe}, {"pid", test_pid_check},
	    {"process", test_process}, {"wake", test_wake},
	};
	bool ran = false;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (only && strcmp(only, cases[i].name) != 0)
			continue;
		ran = true;
		cases[i].fn();
	}
	if (!ran) {
		fprintf(stderr, "test-platform-win32: unknown case '%s'\n", only);
		return 2;
	}
	return test_summary("test-platform-win32");
}
