/*
 * platform.h for Linux (and other POSIX systems where noted).
 *
 * Every descriptor is created close-on-exec and non-blocking so that nothing leaks into the host
 * or into processes OBS starts, and no call here can stall a caller beyond its timeout.
 *
 * Over 600 lines on purpose: it is the whole of platform.h for one OS (processes, shared memory,
 * the control socket, threads, wake events, clocks), kept as one file so the POSIX and Win32 sides
 * stay a readable pair with the same order of sections.
 */
#define _GNU_SOURCE 1

#include "platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- Errors ----------------------------------------------------------------------------------- */

static _Thread_local char g_error[512];

static void set_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g_error, sizeof(g_error), fmt, ap);
	va_end(ap);
}

const char *sfx_platform_error(void)
{
	return g_error;
}

/* ---- Names and time --------------------------------------------------------------------------- */

bool sfx_random_name(char out[33])
{
	uint8_t bytes[16];
	size_t got = 0;
	while (got < sizeof(bytes)) {
		ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			set_error("getrandom failed: %s", strerror(errno));
			return false;
		}
		got += (size_t)n;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof(bytes); i++) {
		out[2 * i] = hex[bytes[i] >> 4];
		out[2 * i + 1] = hex[bytes[i] & 15];
	}
	out[32] = '\0';
	return true;
}

uint64_t sfx_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool is_hex32(const char *s)
{
	for (int i = 0; i < 32; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* Remaining milliseconds until `deadline_ns`; -1 stays "forever". */
static int remaining_ms(int timeout_ms, uint64_t deadline_ns)
{
	if (timeout_ms < 0)
		return -1;
	uint64_t now = sfx_monotonic_ns();
	if (now >= deadline_ns)
		return 0;
	uint64_t ms = (deadline_ns - now + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static uint64_t deadline_after(int timeout_ms)
{
	return sfx_monotonic_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000ull;
}

/* ---- Shared memory ---------------------------------------------------------------------------- */

#define SHM_PREFIX "/streamfx-"

struct sfx_shm {
	void *data;
	size_t size;
	int lock_fd; /* creator only: holds a shared flock so stale-region cleanup can tell we are alive */
	bool owner;
	char name[64];
};

/* Accepts "/streamfx-<hex>", "streamfx-<hex>" or "/dev/shm/streamfx-<hex>" and yields the
 * shm_open form; anything else is refused so a command-line value cannot name another object. */
static bool normalize_shm_name(const char *in, char out[64])
{
	if (!in)
		return false;
	if (strncmp(in, "/dev/shm/", 9) == 0)
		in += 8;
	if (in[0] == '/')
		in++;
	if (strncmp(in, "streamfx-", 9) != 0 || strlen(in) != 9 + 32 || !is_hex32(in + 9))
		return false;
	snprintf(out, 64, "/%s", in);
	return true;
}

struct sfx_shm *sfx_shm_create(size_t size, char *name, size_t name_cap)
{
	if (size == 0 || size > (size_t)INT64_MAX) {
		set_error("shared memory size %zu is invalid", size);
		return NULL;
	}
	struct sfx_shm *shm = calloc(1, sizeof(*shm));
	if (!shm) {
		set_error("out of memory");
		return NULL;
	}
	char hex[33];
	if (!sfx_random_name(hex)) {
		free(shm);
		return NULL;
	}
	snprintf(shm->name, sizeof(shm->name), SHM_PREFIX "%s", hex);
	if (!name || name_cap <= strlen(shm->name)) {
		set_error("name buffer too small for %s", shm->name);
		free(shm);
		return NULL;
	}
	int fd = shm_open(shm->name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_error("shm_open(%s) failed: %s", shm->name, strerror(errno));
		free(shm);
		return NULL;
	}
	/* Marks the region as alive before anything else can look at it (see sfx_cleanup_stale). */
	if (flock(fd, LOCK_SH | LOCK_NB) != 0 || fchmod(fd, 0600) != 0 || ftruncate(fd, (off_t)size) != 0) {
		set_error("preparing shared memory %s failed: %s", shm->name, strerror(errno));
		close(fd);
		shm_unlink(shm->name);
		free(shm);
		return NULL;
	}
	void *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		set_error("mmap of %s (%zu bytes) failed: %s", shm->name, size, strerror(errno));
		close(fd);
		shm_unlink(shm->name);
		free(shm);
		return NULL;
	}
	shm->data = data;
	shm->size = size;
	shm->lock_fd = fd;
	shm->owner = true;
	snprintf(name, name_cap, "%s", shm->name);
	return shm;
}

struct sfx_shm *sfx_shm_open(const char *name)
{
	char norm[64];
	if (!normalize_shm_name(name, norm)) {
		set_error("shared memory name '%s' is not of the form /streamfx-<32 hex>", name ? name : "(null)");
		return NULL;
	}
	int fd = shm_open(norm, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0) {
		set_error("shm_open(%s) failed: %s", norm, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= 0) {
		set_error("shared memory %s has no size", norm);
		close(fd);
		return NULL;
	}
	void *data = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (data == MAP_FAILED) {
		set_error("mmap of %s failed: %s", norm, strerror(errno));
		return NULL;
	}
	struct sfx_shm *shm = calloc(1, sizeof(*shm));
	if (!shm) {
		munmap(data, (size_t)st.st_size);
		set_error("out of memory");
		return NULL;
	}
	shm->data = data;
	shm->size = (size_t)st.st_size;
	shm->lock_fd = -1;
	snprintf(shm->name, sizeof(shm->name), "%s", norm);
	return shm;
}

void *sfx_shm_data(struct sfx_shm *shm)
{
	return shm ? shm->data : NULL;
}

size_t sfx_shm_size(struct sfx_shm *shm)
{
	return shm ? shm->size : 0;
}

void sfx_shm_destroy(struct sfx_shm *shm)
{
	if (!shm)
		return;
	munmap(shm->data, shm->size);
	if (shm->owner)
		shm_unlink(shm->name);
	if (shm->lock_fd >= 0)
		close(shm->lock_fd);
	free(shm);
}

/* ---- Per-user directory ----------------------------------------------------------------------- */

/* Fills `out` with the private directory, creating it 0700; refuses anything that is not a real
 * directory owned by us with exactly mode 0700 (another user could otherwise watch or swap it). */
static bool user_dir(char *out, size_t cap)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;
	if (xdg && xdg[0] == '/')
		n = snprintf(out, cap, "%s/streamfx-obs", xdg);
	else
		n = snprintf(out, cap, "/tmp/streamfx-obs-%u", (unsigned)geteuid());
	if (n < 0 || (size_t)n >= cap) {
		set_error("per-user directory path is too long");
		return false;
	}
	if (mkdir(out, 0700) != 0 && errno != EEXIST) {
		set_error("cannot create %s: %s", out, strerror(errno));
		return false;
	}
	struct stat st;
	if (lstat(out, &st) != 0) {
		set_error("cannot lstat %s: %s", out, strerror(errno));
		return false;
	}
	if (S_ISLNK(st.st_mode)) {
		set_error("%s is a symlink; refusing to use it", out);
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		set_error("%s is not a directory; refusing to use it", out);
		return false;
	}
	if (st.st_uid != geteuid()) {
		set_error("%s is owned by uid %u, expected %u; refusing to use it", out, (unsigned)st.st_uid,
			  (unsigned)geteuid());
		return false;
	}
	if ((st.st_mode & 07777) != 0700) {
		set_error("%s has mode %04o, expected 0700; refusing to use it", out, (unsigned)(st.st_mode & 07777));
		return false;
	}
	return true;
}

/* ---- Stale cleanup ---------------------------------------------------------------------------- */

/* Younger objects may belong to a process that is between creating and locking them. */
#define STALE_MIN_AGE_S 60

static bool old_enough(const struct stat *st, int min_age_s)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec - st->st_ctim.tv_sec >= min_age_s;
}

static void cleanup_stale_regions(int min_age_s)
{
	DIR *d = opendir("/dev/shm");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char norm[64];
		if (strncmp(e->d_name, "streamfx-", 9) != 0 || !normalize_shm_name(e->d_name, norm))
			continue;
		int fd = shm_open(norm, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
		if (fd < 0)
			continue;
		struct stat st;
		/* A live creator holds a shared flock: only an unlocked, old, own region is stale. */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    old_enough(&st, min_age_s) && flock(fd, LOCK_EX | LOCK_NB) == 0)
			shm_unlink(norm);
		close(fd);
	}
	closedir(d);
}

static void cleanup_stale_sockets(int min_age_s)
{
	char dir[PATH_MAX];
	if (!user_dir(dir, sizeof(dir)))
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != 32 + 5 || !is_hex32(e->d_name) || strcmp(e->d_name + 32, ".sock") != 0)
			continue;
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, e->d_name);
		if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
			continue;
		struct stat st;
		if (lstat(sa.sun_path, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_uid != geteuid() ||
		    !old_enough(&st, min_age_s))
			continue;
		/* Nobody listening (ECONNREFUSED) is the only proof that the owner is gone. */
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno == ECONNREFUSED)
			unlink(sa.sun_path);
		close(fd);
	}
	closedir(d);
}

void sfx_cleanup_stale_older_than(int min_age_s)
{
	cleanup_stale_regions(min_age_s);
	cleanup_stale_sockets(min_age_s);
}

void sfx_cleanup_stale(void)
{
	sfx_cleanup_stale_older_than(STALE_MIN_AGE_S);
}

/* ---- Control channel -------------------------------------------------------------------------- */

struct sfx_listener {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool bound;
};

struct sfx_conn {
	int fd;
};

struct sfx_wake {
	int fd;
};

sfx_listener *sfx_listener_create(char *address, size_t address_cap)
{
	char dir[PATH_MAX];
	if (!user_dir(dir, sizeof(dir)))
		return NULL;
	char hex[33];
	if (!sfx_random_name(hex))
		return NULL;
	sfx_listener *l = calloc(1, sizeof(*l));
	if (!l) {
		set_error("out of memory");
		return NULL;
	}
	int n = snprintf(l->path, sizeof(l->path), "%s/%s.sock", dir, hex);
	if (n < 0 || (size_t)n >= sizeof(l->path)) {
		set_error("socket path %s/%s.sock is longer than %zu bytes", dir, hex, sizeof(l->path) - 1);
		free(l);
		return NULL;
	}
	if (!address || address_cap <= (size_t)n) {
		set_error("address buffer too small for %s", l->path);
		free(l);
		return NULL;
	}
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0) {
		set_error("socket failed: %s", strerror(errno));
		free(l);
		return NULL;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, l->path, (size_t)n + 1);
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		set_error("bind(%s) failed: %s", l->path, strerror(errno));
		close(l->fd);
		free(l);
		return NULL;
	}
	l->bound = true;
	/* The socket file gets umask-derived bits at bind; the 0700 directory shields it until this
	 * chmod, so no process-wide umask change (OBS has many threads) is needed. */
	if (chmod(l->path, 0600) != 0 || listen(l->fd, 1) != 0) {
		set_error("preparing %s failed: %s", l->path, strerror(errno));
		sfx_listener_destroy(l);
		return NULL;
	}
	snprintf(address, address_cap, "%s", l->path);
	return l;
}

sfx_conn *sfx_listener_accept(sfx_listener *l, int64_t expected_pid, int timeout_ms)
{
	return sfx_listener_accept_wake(l, expected_pid, NULL, timeout_ms);
}

sfx_conn *sfx_listener_accept_wake(sfx_listener *l, int64_t expected_pid, struct sfx_wake *wake, int timeout_ms)
{
	if (!l || l->fd < 0) {
		set_error("listener is closed");
		return NULL;
	}
	uint64_t deadline = deadline_after(timeout_ms);
	char rejected[160] = "";
	for (;;) {
		struct pollfd pf[2] = {{.fd = l->fd, .events = POLLIN}, {.fd = wake ? wake->fd : -1, .events = POLLIN}};
		int r = poll(pf, wake ? 2 : 1, remaining_ms(timeout_ms, deadline));
		if (r < 0 && errno != EINTR) {
			set_error("poll on %s failed: %s", l->path, strerror(errno));
			return NULL;
		}
		if (r == 0) {
			set_error("no peer connected to %s within %d ms%s", l->path, timeout_ms, rejected);
			return NULL;
		}
		if (r < 0)
			continue;
		if (wake && (pf[1].revents & POLLIN)) {
			set_error("accept on %s interrupted by wake", l->path);
			return NULL;
		}
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				continue;
			set_error("accept on %s failed: %s", l->path, strerror(errno));
			return NULL;
		}
		struct ucred cred;
		socklen_t len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
			set_error("SO_PEERCRED on %s failed: %s", l->path, strerror(errno));
			close(fd);
			continue;
		}
		if (cred.uid != geteuid() || (expected_pid != 0 && (int64_t)cred.pid != expected_pid)) {
			/* Keep waiting for the right peer until the deadline; the error says who was refused. */
			snprintf(rejected, sizeof(rejected), "; rejected peer pid %ld uid %u, expected pid %lld uid %u",
				 (long)cred.pid, (unsigned)cred.uid, (long long)expected_pid, (unsigned)geteuid());
			set_error("%s%s", l->path, rejected);
			close(fd);
			if (remaining_ms(timeout_ms, deadline) == 0)
				return NULL;
			continue;
		}
		sfx_conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			set_error("out of memory");
			return NULL;
		}
		c->fd = fd;
		/* Accepted once: nobody else may connect. */
		unlink(l->path);
		l->bound = false;
		close(l->fd);
		l->fd = -1;
		return c;
	}
}

void sfx_listener_destroy(sfx_listener *l)
{
	if (!l)
		return;
	if (l->bound)
		unlink(l->path);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

sfx_conn *sfx_conn_connect(const char *address)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!address || strlen(address) >= sizeof(sa.sun_path)) {
		set_error("control address '%s' is missing or too long", address ? address : "(null)");
		return NULL;
	}
	strcpy(sa.sun_path, address);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_error("socket failed: %s", strerror(errno));
		return NULL;
	}
	int r;
	do {
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	} while (r != 0 && errno == EINTR);
	if (r != 0) {
		set_error("connect(%s) failed: %s", address, strerror(errno));
		close(fd);
		return NULL;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		set_error("fcntl on %s failed: %s", address, strerror(errno));
		close(fd);
		return NULL;
	}
	sfx_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		set_error("out of memory");
		return NULL;
	}
	c->fd = fd;
	return c;
}

int64_t sfx_conn_send(sfx_conn *c, const void *buf, size_t len)
{
	if (!c || c->fd < 0)
		return -1;
	for (;;) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		set_error("send failed: %s", strerror(errno));
		return -1;
	}
}

int64_t sfx_conn_recv(sfx_conn *c, void *buf, size_t len)
{
	if (!c || c->fd < 0)
		return -1;
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);
		if (n > 0)
			return n;
		if (n == 0) {
			set_error("peer closed the connection");
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		set_error("recv failed: %s", strerror(errno));
		return -1;
	}
}

int sfx_conn_wait(sfx_conn *c, struct sfx_wake *wake, bool want_write, int timeout_ms)
{
	uint64_t deadline = deadline_after(timeout_ms);
	for (;;) {
		struct pollfd pf[2];
		nfds_t n = 0;
		int conn_i = -1, wake_i = -1;
		if (c && c->fd >= 0) {
			pf[n] = (struct pollfd){.fd = c->fd, .events = (short)(POLLIN | (want_write ? POLLOUT : 0))};
			conn_i = (int)n++;
		}
		if (wake) {
			pf[n] = (struct pollfd){.fd = wake->fd, .events = POLLIN};
			wake_i = (int)n++;
		}
		int r = poll(pf, n, remaining_ms(timeout_ms, deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			set_error("poll failed: %s", strerror(errno));
			return SFX_READY_ERROR;
		}
		int mask = 0;
		if (conn_i >= 0) {
			short ev = pf[conn_i].revents;
			if (ev & POLLIN)
				mask |= SFX_READY_READ;
			if (ev & POLLOUT)
				mask |= SFX_READY_WRITE;
			/* Hang-up still lets the reader drain what is buffered, then recv reports the end. */
			if (ev & (POLLHUP | POLLERR | POLLNVAL))
				mask |= SFX_READY_ERROR | SFX_READY_READ;
		}
		if (wake_i >= 0 && (pf[wake_i].revents & POLLIN))
			mask |= SFX_READY_WAKE;
		return mask;
	}
}

void sfx_conn_close(sfx_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

/* ---- Wake event ------------------------------------------------------------------------------- */

struct sfx_wake *sfx_wake_create(void)
{
	struct sfx_wake *w = calloc(1, sizeof(*w));
	if (!w) {
		set_error("out of memory");
		return NULL;
	}
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->fd < 0) {
		set_error("eventfd failed: %s", strerror(errno));
		free(w);
		return NULL;
	}
	return w;
}

void sfx_wake_signal(struct sfx_wake *w)
{
	uint64_t one = 1;
	/* EAGAIN means the counter is saturated, i.e. already signalled: fine. */
	ssize_t r = write(w->fd, &one, sizeof(one));
	(void)r;
}

void sfx_wake_clear(struct sfx_wake *w)
{
	uint64_t v;
	ssize_t r = read(w->fd, &v, sizeof(v));
	(void)r;
}

bool sfx_wake_wait(struct sfx_wake *w, int timeout_ms)
{
	return (sfx_conn_wait(NULL, w, false, timeout_ms) & SFX_READY_WAKE) != 0;
}

void sfx_wake_destroy(struct sfx_wake *w)
{
	if (!w)
		return;
	close(w->fd);
	free(w);
}

/* ---- Child process ---------------------------------------------------------------------------- */

struct sfx_process {
	pid_t pid;
	int pidfd; /* -1 when the kernel has no pidfd_open (< 5.3) */
	bool reaped;
	int exit_code;
};

static int decode_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return -WTERMSIG(status);
	return -1;
}

struct sfx_process *sfx_process_spawn(const char *path, const char *const *argv, char *err, size_t err_cap)
{
	char local[256];
	if (!err || err_cap == 0) {
		err = local;
		err_cap = sizeof(local);
	}
	err[0] = '\0';
	struct stat st;
	if (!path || path[0] == '\0') {
		snprintf(err, err_cap, "host executable path is empty");
		set_error("%s", err);
		return NULL;
	}
	/* A relative path would resolve against whatever directory OBS was started from. */
	if (path[0] != '/') {
		snprintf(err, err_cap, "host executable path '%s' is not absolute; refusing to run it", path);
		set_error("%s", err);
		return NULL;
	}
	if (stat(path, &st) != 0) {
		snprintf(err, err_cap, "host executable %s: %s", path, strerror(errno));
		set_error("%s", err);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_cap, "host executable %s is not a regular file", path);
		set_error("%s", err);
		return NULL;
	}
	if (access(path, X_OK) != 0) {
		snprintf(err, err_cap, "host executable %s is not executable: %s", path, strerror(errno));
		set_error("%s", err);
		return NULL;
	}

	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	/* Belt and braces: OBS or another plugin may own descriptors without O_CLOEXEC. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	/* The child must not inherit the spawning thread's blocked signals or ignored SIGPIPE etc. */
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

	pid_t pid;
	int r = posix_spawn(&pid, path, &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0) {
		snprintf(err, err_cap, "starting host %s failed: %s", path, strerror(r));
		set_error("%s", err);
		return NULL;
	}
	struct sfx_process *p = calloc(1, sizeof(*p));
	if (!p) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		snprintf(err, err_cap, "out of memory");
		return NULL;
	}
	p->pid = pid;
	/* Not reaped yet, so the pid cannot have been reused: the pidfd refers to our child. */
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p->pidfd >= 0)
		fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
	return p;
}

int64_t sfx_process_pid(struct sfx_process *p)
{
	return p ? (int64_t)p->pid : 0;
}

static bool try_reap(struct sfx_process *p, bool block)
{
	if (p->reaped)
		return true;
	int status;
	pid_t r;
	do {
		r = waitpid(p->pid, &status, block ? 0 : WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r == p->pid) {
		p->reaped = true;
		p->exit_code = decode_status(status);
		return true;
	}
	if (r < 0) {
		/* ECHILD: someone else reaped it (e.g. a SIGCHLD handler); it is gone either way. */
		p->reaped = true;
		p->exit_code = -1;
		return true;
	}
	return false;
}

bool sfx_process_running(struct sfx_process *p, int *exit_code)
{
	if (!p)
		return false;
	if (try_reap(p, false)) {
		if (exit_code)
			*exit_code = p->exit_code;
		return false;
	}
	return true;
}

bool sfx_process_wait(struct sfx_process *p, int timeout_ms, int *exit_code)
{
	if (!p)
		return true;
	if (!sfx_process_running(p, exit_code))
		return true;
	uint64_t deadline = deadline_after(timeout_ms);
	if (p->pidfd >= 0) {
		for (;;) {
			struct pollfd pf = {.fd = p->pidfd, .events = POLLIN};
			int r = poll(&pf, 1, remaining_ms(timeout_ms, deadline));
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
	} else {
		/* Fallback for kernels without pidfd_open: there is no waitable handle for a child
		 * short of SIGCHLD (process-wide, owned by the host application), so check in 5 ms
		 * steps until the deadline. */
		while (sfx_process_running(p, NULL) && remaining_ms(timeout_ms, deadline) != 0) {
			struct timespec ts = {0, 5000000};
			nanosleep(&ts, NULL);
		}
	}
	return !sfx_process_running(p, exit_code);
}

void sfx_process_kill(struct sfx_process *p)
{
	if (p && !p->reaped && !try_reap(p, false))
		kill(p->pid, SIGKILL);
}

void sfx_process_destroy(struct sfx_process *p)
{
	if (!p)
		return;
	sfx_process_kill(p);
	try_reap(p, true);
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p);
}

/* ---- Threads and locks ------------------------------------------------------------------------ */

struct thread_start {
	void (*fn)(void *);
	void *arg;
};

static void *thread_main(void *p)
{
	struct thread_start s = *(struct thread_start *)p;
	free(p);
	s.fn(s.arg);
	return NULL;
}

bool sfx_thread_start_detached(void (*fn)(void *arg), void *arg)
{
	struct thread_start *s = malloc(sizeof(*s));
	if (!s) {
		set_error("out of memory");
		return false;
	}
	s->fn = fn;
	s->arg = arg;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	int r = pthread_create(&t, &attr, thread_main, s);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		free(s);
		set_error("pthread_create failed: %s", strerror(r));
		return false;
	}
	return true;
}

struct sfx_thread {
	pthread_t t;
};

struct sfx_thread *sfx_thread_start(void (*fn)(void *arg), void *arg)
{
	struct sfx_thread *t = malloc(sizeof(*t));
	struct thread_start *s = malloc(sizeof(*s));
	if (!t || !s) {
		free(t);
		free(s);
		set_error("out of memory");
		return NULL;
	}
	s->fn = fn;
	s->arg = arg;
	int r = pthread_create(&t->t, NULL, thread_main, s);
	if (r != 0) {
		free(s);
		free(t);
		set_error("pthread_create failed: %s", strerror(r));
		return NULL;
	}
	return t;
}

void sfx_thread_join(struct sfx_thread *t)
{
	if (!t)
		return;
	pthread_join(t->t, NULL);
	free(t);
}

struct sfx_mutex {
	pthread_mutex_t m;
};

struct sfx_mutex *sfx_mutex_create(void)
{
	struct sfx_mutex *m = calloc(1, sizeof(*m));
	if (!m) {
		set_error("out of memory");
		return NULL;
	}
	pthread_mutex_init(&m->m, NULL);
	return m;
}

void sfx_mutex_lock(struct sfx_mutex *m)
{
	pthread_mutex_lock(&m->m);
}

bool sfx_mutex_trylock(struct sfx_mutex *m)
{
	return pthread_mutex_trylock(&m->m) == 0;
}

void sfx_mutex_unlock(struct sfx_mutex *m)
{
	pthread_mutex_unlock(&m->m);
}

void sfx_mutex_destroy(struct sfx_mutex *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->m);
	free(m);
}
