/* The POSIX platform layer: shared memory, the private directory and socket modes, the
 * one-shot listener with its pid check, wake events, and child processes (spawn errors, wait,
 * kill, reap, no inherited descriptors). */
#define _GNU_SOURCE 1

#include "platform.h"
#include "test-check.h"
#include "platform-checks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_tmp[256];

static void test_random_and_time(void)
{
	char a[33], b[33];
	CHECK(sfx_random_name(a) && sfx_random_name(b));
	CHECK(strlen(a) == 32 && strcmp(a, b) != 0);
	for (int i = 0; i < 32; i++)
		CHECK((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
	uint64_t t0 = sfx_monotonic_ns(), t1 = sfx_monotonic_ns();
	CHECK(t1 >= t0 && t0 > 0);
}

static void test_shm(void)
{
	char name[64];
	struct sfx_shm *s = sfx_shm_create(8192, name, sizeof(name));
	CHECK_MSG(s != NULL, "%s", sfx_platform_error());
	if (!s)
		return;
	CHECK(strncmp(name, "/streamfx-", 10) == 0 && strlen(name) == 10 + 32);
	char path[160];
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	struct stat st;
	CHECK(stat(path, &st) == 0);
	CHECK_MSG((st.st_mode & 0777) == 0600, "mode %o", (unsigned)(st.st_mode & 0777));
	CHECK(st.st_size == 8192 && sfx_shm_size(s) == 8192);
	uint8_t *p = sfx_shm_data(s);
	CHECK(p[0] == 0 && p[8191] == 0);
	p[100] = 77;

	/* The host's forms of the name all open the same region. */
	const char *forms[] = {name, name + 1, path};
	for (int i = 0; i < 3; i++) {
		struct sfx_shm *o = sfx_shm_open(forms[i]);
		CHECK_MSG(o != NULL, "%s: %s", forms[i], sfx_platform_error());
		if (o) {
			CHECK(sfx_shm_size(o) == 8192 && ((uint8_t *)sfx_shm_data(o))[100] == 77);
			((uint8_t *)sfx_shm_data(o))[200] = 5;
			sfx_shm_destroy(o); /* not the owner: the name stays */
		}
	}
	CHECK(p[200] == 5);
	CHECK(stat(path, &st) == 0);
	CHECK(sfx_shm_open("/etc/passwd") == NULL);
	CHECK_CONTAINS(sfx_platform_error(), "/streamfx-<32 hex>");
	CHECK(sfx_shm_open("/streamfx-0123") == NULL);
	char small[8];
	CHECK(sfx_shm_create(4096, small, sizeof(small)) == NULL);
	sfx_shm_destroy(s);
	CHECK(stat(path, &st) != 0 && errno == ENOENT);
	CHECK(sfx_shm_open(name) == NULL);
}

static void set_runtime_dir(const char *sub)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", g_tmp, sub);
	mkdir(dir, 0700);
	setenv("XDG_RUNTIME_DIR", dir, 1);
}

static void test_dir_and_socket_modes(void)
{
	set_runtime_dir("good");
	char addr[256];
	sfx_listener *l = sfx_listener_create(addr, sizeof(addr));
	CHECK_MSG(l != NULL, "%s", sfx_platform_error());
	if (!l)
		return;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/good/streamfx-obs", g_tmp);
	CHECK(strncmp(addr, dir, strlen(dir)) == 0);
	CHECK(strlen(addr) == strlen(dir) + 1 + 32 + 5 && strcmp(addr + strlen(addr) - 5, ".sock") == 0);
	struct stat st;
	CHECK(lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
	CHECK(lstat(addr, &st) == 0 && S_ISSOCK(st.st_mode));
	CHECK_MSG((st.st_mode & 0777) == 0600, "socket mode %o", (unsigned)(st.st_mode & 0777));
	sfx_listener_destroy(l);
	CHECK(lstat(addr, &st) != 0); /* removed */

	/* Wrong mode, a symlink, a plain file: all refused, naming the reason. */
	CHECK(chmod(dir, 0755) == 0);
	CHECK(sfx_listener_create(addr, sizeof(addr)) == NULL);
	CHECK_CONTAINS(sfx_platform_error(), "mode 0755");
	CHECK(chmod(dir, 0700) == 0);

	set_runtime_dir("link");
	char target[PATH_MAX], link[PATH_MAX];
	snprintf(target, sizeof(target), "%s/good/streamfx-obs", g_tmp);
	snprintf(link, sizeof(link), "%s/link/streamfx-obs", g_tmp);
	CHECK(symlink(target, link) == 0);
	CHECK(sfx_listener_create(addr, sizeof(addr)) == NULL);
	CHECK_CONTAINS(sfx_platform_error(), "symlink");

	set_runtime_dir("file");
	snprintf(link, sizeof(link), "%s/file/streamfx-obs", g_tmp);
	int fd = open(link, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK(sfx_listener_create(addr, sizeof(addr)) == NULL);
	CHECK_CONTAINS(sfx_platform_error(), "not a directory");

	/* Without XDG_RUNTIME_DIR: /tmp/streamfx-obs-<uid>. */
	unsetenv("XDG_RUNTIME_DIR");
	l = sfx_listener_create(addr, sizeof(addr));
	CHECK_MSG(l != NULL, "%s", sfx_platform_error());
	char expect[64];
	snprintf(expect, sizeof(expect), "/tmp/streamfx-obs-%u/", (unsigned)geteuid());
	CHECK(strncmp(addr, expect, strlen(expect)) == 0);
	sfx_listener_destroy(l);
	set_runtime_dir("good");
}

static void test_listener_pid_check(void)
{
	set_runtime_dir("good");
	char addr[256];
	sfx_listener *l = sfx_listener_create(addr, sizeof(addr));
	CHECK(l != NULL);
	if (!l)
		return;
	/* Nobody there: timeout. */
	CHECK(sfx_listener_accept(l, 0, 50) == NULL);
	CHECK_CONTAINS(sfx_platform_error(), "no peer");

	/* This process connects but another pid is expected: rejected. */
	sfx_conn *client = sfx_conn_connect(addr);
	CHECK_MSG(client != NULL, "%s", sfx_platform_error());
	CHECK(sfx_listener_accept(l, (int64_t)getpid() + 100000, 200) == NULL);
	CHECK_CONTAINS(sfx_platform_error(), "rejected peer");
	/* The rejected client sees the end of the stream. */
	CHECK(sfx_conn_wait(client, NULL, false, 1000) & SFX_READY_READ);
	uint8_t byte;
	CHECK(sfx_conn_recv(client, &byte, 1) == -1);
	sfx_conn_close(client);

	/* The right pid is accepted, and then the name is gone. */
	client = sfx_conn_connect(addr);
	CHECK(client != NULL);
	sfx_conn *server = sfx_listener_accept(l, (int64_t)getpid(), 1000);
	CHECK_MSG(server != NULL, "%s", sfx_platform_error());
	struct stat st;
	CHECK(lstat(addr, &st) != 0);
	CHECK(sfx_conn_connect(addr) == NULL);

	if (server && client) {
		check_conn_stream(server, client, true, 10000);
		CHECK(sfx_conn_send(server, "x", 1) == -1); /* no SIGPIPE */
	}
	sfx_conn_close(server);
	sfx_listener_destroy(l);

	check_wake_interrupts_accept();
}

static void test_wake(void)
{
	struct sfx_wake *w = sfx_wake_create();
	CHECK(w != NULL);
	check_wake_signal_and_clear(w);
	sfx_wake_destroy(w);
}

static void test_process(void)
{
	char err[256];
	const char *argv_missing[] = {"/nonexistent/streamfx-host", NULL};
	CHECK(sfx_process_spawn("/nonexistent/streamfx-host", argv_missing, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "/nonexistent/streamfx-host");
	CHECK_CONTAINS(err, "No such file");

	char plain[PATH_MAX];
	snprintf(plain, sizeof(plain), "%s/not-executable", g_tmp);
	int fd = open(plain, O_CREAT | O_WRONLY, 0644);
	close(fd);
	const char *argv_plain[] = {plain, NULL};
	CHECK(sfx_process_spawn(plain, argv_plain, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "not executable");
	CHECK(sfx_process_spawn(g_tmp, argv_plain, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "not a regular file");

	/* Exit code comes back; the child is reaped. */
	const char *argv_exit[] = {"/bin/sh", "-c", "exit 3", NULL};
	struct sfx_process *p = sfx_process_spawn("/bin/sh", argv_exit, err, sizeof(err));
	CHECK_MSG(p != NULL, "%s", err);
	int code = 99;
	CHECK(sfx_process_wait(p, 5000, &code));
	CHECK(code == 3);
	int64_t pid = sfx_process_pid(p);
	sfx_process_destroy(p);
	CHECK(waitpid((pid_t)pid, NULL, WNOHANG) == -1 && errno == ECHILD); /* already reaped */

	/* A descriptor without O_CLOEXEC is not inherited. */
	int leak = open("/dev/null", O_RDONLY);
	CHECK(dup2(leak, 57) == 57);
	const char *argv_fd[] = {"/bin/sh", "-c", "test ! -e /proc/self/fd/57", NULL};
	p = sfx_process_spawn("/bin/sh", argv_fd, err, sizeof(err));
	CHECK(p != NULL);
	CHECK(sfx_process_wait(p, 5000, &code));
	CHECK_MSG(code == 0, "fd 57 was inherited (exit %d)", code);
	sfx_process_destroy(p);
	close(57);
	close(leak);

	/* A child that does not exit: wait times out, kill ends it, signal reported. */
	const char *argv_cat[] = {"/bin/sleep", "60", NULL};
	p = sfx_process_spawn("/bin/sleep", argv_cat, err, sizeof(err));
	CHECK(p != NULL);
	CHECK(sfx_process_running(p, &code));
	uint64_t t0 = sfx_monotonic_ns();
	CHECK(!sfx_process_wait(p, 100, &code));
	CHECK(sfx_monotonic_ns() - t0 >= 90000000ull);
	sfx_process_kill(p);
	CHECK(sfx_process_wait(p, 5000, &code));
	CHECK(code == -SIGKILL);
	CHECK(!sfx_process_running(p, &code));
	sfx_process_destroy(p);

	/* destroy alone kills and reaps. */
	p = sfx_process_spawn("/bin/sleep", argv_cat, err, sizeof(err));
	pid = sfx_process_pid(p);
	sfx_process_destroy(p);
	CHECK(kill((pid_t)pid, 0) == -1 && errno == ESRCH);
}

int main(void)
{
	snprintf(g_tmp, sizeof(g_tmp), "/tmp/sfx-platform-test-XXXXXX");
	if (!mkdtemp(g_tmp)) {
		perror("mkdtemp");
		return 1;
	}
	test_random_and_time();
	test_shm();
	test_dir_and_socket_modes();
	test_listener_pid_check();
	test_wake();
	test_process();
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", g_tmp);
	return test_summary("test-platform");
}
