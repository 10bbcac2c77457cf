/*
 * platform.h for Windows.
 *
 * Named objects live in the session-local namespace and disappear with their last handle, so
 * there is nothing stale to clean up. The control channel is a single-instance named pipe used
 * with overlapped I/O; sfx_conn keeps one read and one write in flight so that send/recv never
 * block and sfx_conn_wait can wait on their events together with the wake event.
 *
 * Over 600 lines on purpose: it is the whole of platform.h for one OS, kept as one file so the
 * POSIX and Win32 sides stay a readable pair with the same order of sections.
 */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
#define WIN32_LEAN_AND_MEAN

#include "platform.h"

#include <windows.h>
#include <bcrypt.h>
#include <process.h>
#include <sddl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef STATUS_SUCCESS
#define STATUS_SUCCESS ((NTSTATUS)0)
#endif

/* ---- Errors ----------------------------------------------------------------------------------- */

static _Thread_local char g_error[512];

static void set_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g_error, sizeof(g_error), fmt, ap);
	va_end(ap);
}

/* The system's text for a Win32 error code, without the trailing line break. */
static const char *win_error_text(DWORD code, char *buf, size_t cap)
{
	DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, buf,
				 (DWORD)cap, NULL);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == '.'))
		buf[--n] = '\0';
	if (n == 0)
		snprintf(buf, cap, "error %lu", (unsigned long)code);
	return buf;
}

static void set_win_error(const char *what, DWORD code)
{
	char text[256];
	set_error("%s failed: %s (%lu)", what, win_error_text(code, text, sizeof(text)), (unsigned long)code);
}

const char *sfx_platform_error(void)
{
	return g_error;
}

/* ---- Names and time --------------------------------------------------------------------------- */

bool sfx_random_name(char out[33])
{
	uint8_t bytes[16];
	NTSTATUS st = BCryptGenRandom(NULL, bytes, sizeof(bytes), BCRYPT_USE_SYSTEM_PREFERRED_RNG);
	if (st != STATUS_SUCCESS) {
		set_error("BCryptGenRandom failed: 0x%08lx", (unsigned long)st);
		return false;
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
	static LARGE_INTEGER freq;
	if (freq.QuadPart == 0)
		QueryPerformanceFrequency(&freq);
	LARGE_INTEGER now;
	QueryPerformanceCounter(&now);
	uint64_t f = (uint64_t)freq.QuadPart, c = (uint64_t)now.QuadPart;
	return c / f * 1000000000ull + c % f * 1000000000ull / f;
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

static DWORD wait_ms(int timeout_ms)
{
	return timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms;
}

void sfx_cleanup_stale_older_than(int min_age_s)
{
	/* Nothing: kernel objects vanish with their last handle. */
	(void)min_age_s;
}

void sfx_cleanup_stale(void)
{
	sfx_cleanup_stale_older_than(60);
}

/* ---- Shared memory ---------------------------------------------------------------------------- */

#define SHM_PREFIX "Local\\streamfx-"

struct sfx_shm {
	HANDLE mapping;
	void *data;
	size_t size;
};

struct sfx_shm *sfx_shm_create(size_t size, char *name, size_t name_cap)
{
	char hex[33], full[64];
	if (size == 0) {
		set_error("shared memory size 0 is invalid");
		return NULL;
	}
	if (!sfx_random_name(hex))
		return NULL;
	snprintf(full, sizeof(full), SHM_PREFIX "%s", hex);
	if (!name || name_cap <= strlen(full)) {
		set_error("name buffer too small for %s", full);
		return NULL;
	}
	/* Default security: only this user (and SYSTEM/administrators) may open the section. */
	uint64_t s64 = (uint64_t)size;
	HANDLE m = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, (DWORD)(s64 >> 32), (DWORD)s64, full);
	DWORD err = GetLastError();
	if (!m) {
		set_win_error("CreateFileMapping", err);
		return NULL;
	}
	if (err == ERROR_ALREADY_EXISTS) {
		CloseHandle(m);
		set_error("shared memory %s already exists", full);
		return NULL;
	}
	void *data = MapViewOfFile(m, FILE_MAP_ALL_ACCESS, 0, 0, size);
	if (!data) {
		set_win_error("MapViewOfFile", GetLastError());
		CloseHandle(m);
		return NULL;
	}
	struct sfx_shm *shm = calloc(1, sizeof(*shm));
	if (!shm) {
		UnmapViewOfFile(data);
		CloseHandle(m);
		set_error("out of memory");
		return NULL;
	}
	shm->mapping = m;
	shm->data = data; /* pagefile-backed sections start zero-filled */
	shm->size = size;
	snprintf(name, name_cap, "%s", full);
	return shm;
}

struct sfx_shm *sfx_shm_open(const char *name)
{
	char full[64];
	const char *hex = NULL;
	if (name && strncmp(name, SHM_PREFIX, strlen(SHM_PREFIX)) == 0)
		hex = name + strlen(SHM_PREFIX);
	else if (name && strncmp(name, "streamfx-", 9) == 0)
		hex = name + 9;
	if (!hex || strlen(hex) != 32 || !is_hex32(hex)) {
		set_error("shared memory name '%s' is not of the form Local\\streamfx-<32 hex>",
			  name ? name : "(null)");
		return NULL;
	}
	snprintf(full, sizeof(full), SHM_PREFIX "%s", hex);
	HANDLE m = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, full);
	if (!m) {
		set_win_error("OpenFileMapping", GetLastError());
		return NULL;
	}
	void *data = MapViewOfFile(m, FILE_MAP_ALL_ACCESS, 0, 0, 0);
	if (!data) {
		set_win_error("MapViewOfFile", GetLastError());
		CloseHandle(m);
		return NULL;
	}
	/* Windows reports the view size rounded up to whole pages; callers validating region_size
	 * against it must allow that slack. */
	MEMORY_BASIC_INFORMATION mbi;
	if (VirtualQuery(data, &mbi, sizeof(mbi)) == 0) {
		set_win_error("VirtualQuery", GetLastError());
		UnmapViewOfFile(data);
		CloseHandle(m);
		return NULL;
	}
	struct sfx_shm *shm = calloc(1, sizeof(*shm));
	if (!shm) {
		UnmapViewOfFile(data);
		CloseHandle(m);
		set_error("out of memory");
		return NULL;
	}
	shm->mapping = m;
	shm->data = data;
	shm->size = mbi.RegionSize;
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
	UnmapViewOfFile(shm->data);
	CloseHandle(shm->mapping);
	free(shm);
}

/* ---- Wake event ------------------------------------------------------------------------------- */

struct sfx_wake {
	HANDLE event;
};

struct sfx_wake *sfx_wake_create(void)
{
	struct sfx_wake *w = calloc(1, sizeof(*w));
	if (!w) {
		set_error("out of memory");
		return NULL;
	}
	w->event = CreateEventA(NULL, TRUE, FALSE, NULL); /* manual reset: stays set until cleared */
	if (!w->event) {
		set_win_error("CreateEvent", GetLastError());
		free(w);
		return NULL;
	}
	return w;
}

void sfx_wake_signal(struct sfx_wake *w)
{
	SetEvent(w->event);
}

void sfx_wake_clear(struct sfx_wake *w)
{
	ResetEvent(w->event);
}

bool sfx_wake_wait(struct sfx_wake *w, int timeout_ms)
{
	return WaitForSingleObject(w->event, wait_ms(timeout_ms)) == WAIT_OBJECT_0;
}

void sfx_wake_destroy(struct sfx_wake *w)
{
	if (!w)
		return;
	CloseHandle(w->event);
	free(w);
}

/* ---- Control channel -------------------------------------------------------------------------- */

#define PIPE_PREFIX "\\\\.\\pipe\\streamfx-"
#define PIPE_BUFFER 65536

struct sfx_conn {
	HANDLE pipe;
	OVERLAPPED rov, wov;
	bool rpending, wpending, rdone, broken;
	DWORD rhave, rpos;
	uint8_t rbuf[PIPE_BUFFER];
	uint8_t wbuf[PIPE_BUFFER];
};

struct sfx_listener {
	HANDLE pipe;
	OVERLAPPED ov;
	bool connecting;
	char name[96];
};

static sfx_conn *conn_new(HANDLE pipe)
{
	sfx_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		set_error("out of memory");
		return NULL;
	}
	c->pipe = pipe;
	c->rov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
	c->wov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
	if (!c->rov.hEvent || !c->wov.hEvent) {
		set_win_error("CreateEvent", GetLastError());
		if (c->rov.hEvent)
			CloseHandle(c->rov.hEvent);
		if (c->wov.hEvent)
			CloseHandle(c->wov.hEvent);
		free(c);
		return NULL;
	}
	return c;
}

sfx_listener *sfx_listener_create(char *address, size_t address_cap)
{
	char hex[33];
	if (!sfx_random_name(hex))
		return NULL;
	sfx_listener *l = calloc(1, sizeof(*l));
	if (!l) {
		set_error("out of memory");
		return NULL;
	}
	snprintf(l->name, sizeof(l->name), PIPE_PREFIX "%s", hex);
	if (!address || address_cap <= strlen(l->name)) {
		set_error("address buffer too small for %s", l->name);
		free(l);
		return NULL;
	}
	/* Only this user's processes (and SYSTEM) may open the pipe; the pid check follows. */
	SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, FALSE};
	PSECURITY_DESCRIPTOR sd = NULL;
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorA("D:P(A;;GA;;;OW)(A;;GA;;;SY)", SDDL_REVISION_1, &sd,
								  NULL)) {
		set_win_error("ConvertStringSecurityDescriptorToSecurityDescriptor", GetLastError());
		free(l);
		return NULL;
	}
	sa.lpSecurityDescriptor = sd;
	l->pipe = CreateNamedPipeA(l->name, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
				   PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1,
				   PIPE_BUFFER, PIPE_BUFFER, 0, &sa);
	DWORD err = GetLastError();
	LocalFree(sd);
	if (l->pipe == INVALID_HANDLE_VALUE) {
		set_win_error("CreateNamedPipe", err);
		free(l);
		return NULL;
	}
	l->ov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
	if (!l->ov.hEvent) {
		set_win_error("CreateEvent", GetLastError());
		CloseHandle(l->pipe);
		free(l);
		return NULL;
	}
	snprintf(address, address_cap, "%s", l->name);
	return l;
}

sfx_conn *sfx_listener_accept(sfx_listener *l, int64_t expected_pid, int timeout_ms)
{
	return sfx_listener_accept_wake(l, expected_pid, NULL, timeout_ms);
}

sfx_conn *sfx_listener_accept_wake(sfx_listener *l, int64_t expected_pid, struct sfx_wake *wake, int timeout_ms)
{
	if (!l || l->pipe == INVALID_HANDLE_VALUE) {
		set_error("listener is closed");
		return NULL;
	}
	ULONGLONG deadline = GetTickCount64() + (ULONGLONG)(timeout_ms < 0 ? 0 : timeout_ms);
	char rejected[160] = "";
	for (;;) {
		bool connected = false;
		if (!l->connecting) {
			ResetEvent(l->ov.hEvent);
			if (ConnectNamedPipe(l->pipe, &l->ov)) {
				connected = true;
			} else {
				DWORD err = GetLastError();
				if (err == ERROR_PIPE_CONNECTED)
					connected = true;
				else if (err == ERROR_IO_PENDING)
					l->connecting = true;
				else {
					set_win_error("ConnectNamedPipe", err);
					return NULL;
				}
			}
		}
		if (!connected) {
			HANDLE hs[2] = {l->ov.hEvent, wake ? wake->event : NULL};
			ULONGLONG now = GetTickCount64();
			DWORD left = timeout_ms < 0 ? INFINITE : (now >= deadline ? 0 : (DWORD)(deadline - now));
			DWORD r = WaitForMultipleObjects(wake ? 2 : 1, hs, FALSE, left);
			if (r == WAIT_TIMEOUT) {
				set_error("no peer connected to %s within %d ms%s", l->name, timeout_ms, rejected);
				return NULL; /* the connect stays pending for the next call */
			}
			if (r == WAIT_OBJECT_0 + 1) {
				set_error("accept on %s interrupted by wake", l->name);
				return NULL;
			}
			if (r != WAIT_OBJECT_0) {
				set_win_error("WaitForMultipleObjects", GetLastError());
				return NULL;
			}
			DWORD dummy;
			l->connecting = false;
			if (!GetOverlappedResult(l->pipe, &l->ov, &dummy, FALSE)) {
				DWORD err = GetLastError();
				if (err != ERROR_PIPE_CONNECTED) {
					DisconnectNamedPipe(l->pipe);
					continue;
				}
			}
		}
		ULONG pid = 0;
		if (!GetNamedPipeClientProcessId(l->pipe, &pid) ||
		    (expected_pid != 0 && (int64_t)pid != expected_pid)) {
			snprintf(rejected, sizeof(rejected), "; rejected peer pid %lu, expected pid %lld",
				 (unsigned long)pid, (long long)expected_pid);
			set_error("%s%s", l->name, rejected);
			DisconnectNamedPipe(l->pipe);
			if (timeout_ms >= 0 && GetTickCount64() >= deadline)
				return NULL;
			continue;
		}
		sfx_conn *c = conn_new(l->pipe);
		if (!c) {
			DisconnectNamedPipe(l->pipe);
			return NULL;
		}
		/* The only instance now belongs to the connection: nobody else can connect, and the
		 * name disappears when the connection closes. */
		l->pipe = INVALID_HANDLE_VALUE;
		return c;
	}
}

void sfx_listener_destroy(sfx_listener *l)
{
	if (!l)
		return;
	if (l->pipe != INVALID_HANDLE_VALUE) {
		if (l->connecting) {
			DWORD dummy;
			CancelIoEx(l->pipe, &l->ov);
			GetOverlappedResult(l->pipe, &l->ov, &dummy, TRUE);
		}
		CloseHandle(l->pipe);
	}
	CloseHandle(l->ov.hEvent);
	free(l);
}

sfx_conn *sfx_conn_connect(const char *address)
{
	if (!address || strncmp(address, PIPE_PREFIX, strlen(PIPE_PREFIX)) != 0) {
		set_error("control address '%s' is not a \\\\.\\pipe\\streamfx-<hex> name",
			  address ? address : "(null)");
		return NULL;
	}
	HANDLE h = CreateFileA(address, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
			       FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		set_win_error("CreateFile on the pipe", GetLastError());
		return NULL;
	}
	sfx_conn *c = conn_new(h);
	if (!c)
		CloseHandle(h);
	return c;
}

/* Completes a finished read or starts a new one. Returns false when the pipe is broken. */
static bool pump_read(sfx_conn *c)
{
	if (c->broken)
		return false;
	if (c->rpos < c->rhave)
		return true;
	DWORD n = 0;
	if (c->rpending) {
		if (!GetOverlappedResult(c->pipe, &c->rov, &n, FALSE)) {
			DWORD err = GetLastError();
			if (err == ERROR_IO_INCOMPLETE)
				return true;
			if (err != ERROR_MORE_DATA) {
				set_win_error("ReadFile", err);
				c->broken = true;
				return false;
			}
		}
		c->rpending = false;
		c->rhave = n;
		c->rpos = 0;
		if (n > 0)
			return true;
	}
	if (ReadFile(c->pipe, c->rbuf, sizeof(c->rbuf), NULL, &c->rov)) {
		/* Completed at once; the count comes from the overlapped result. */
		if (GetOverlappedResult(c->pipe, &c->rov, &n, FALSE)) {
			c->rhave = n;
			c->rpos = 0;
		}
		return true;
	}
	DWORD err = GetLastError();
	if (err == ERROR_IO_PENDING) {
		c->rpending = true;
		return true;
	}
	set_win_error("ReadFile", err);
	c->broken = true;
	return false;
}

int64_t sfx_conn_recv(sfx_conn *c, void *buf, size_t len)
{
	if (!c || !pump_read(c))
		return -1;
	if (c->rpos >= c->rhave)
		return 0;
	size_t n = c->rhave - c->rpos;
	if (n > len)
		n = len;
	memcpy(buf, c->rbuf + c->rpos, n);
	c->rpos += (DWORD)n;
	if (c->rpos >= c->rhave)
		pump_read(c); /* keep a read in flight for sfx_conn_wait */
	return (int64_t)n;
}

/* Returns false when the pipe is broken; *busy while a write is still in flight. */
static bool pump_write(sfx_conn *c, bool *busy)
{
	*busy = false;
	if (c->broken)
		return false;
	if (!c->wpending)
		return true;
	DWORD n;
	if (GetOverlappedResult(c->pipe, &c->wov, &n, FALSE)) {
		c->wpending = false;
		return true;
	}
	DWORD err = GetLastError();
	if (err == ERROR_IO_INCOMPLETE) {
		*busy = true;
		return true;
	}
	set_win_error("WriteFile", err);
	c->broken = true;
	return false;
}

int64_t sfx_conn_send(sfx_conn *c, const void *buf, size_t len)
{
	bool busy;
	if (!c || !pump_write(c, &busy))
		return -1;
	if (busy || len == 0)
		return 0;
	size_t n = len < sizeof(c->wbuf) ? len : sizeof(c->wbuf);
	memcpy(c->wbuf, buf, n);
	/* The bytes are ours to send from here on: the write completes in the background. */
	if (!WriteFile(c->pipe, c->wbuf, (DWORD)n, NULL, &c->wov)) {
		DWORD err = GetLastError();
		if (err != ERROR_IO_PENDING) {
			set_win_error("WriteFile", err);
			c->broken = true;
			return -1;
		}
	}
	c->wpending = true;
	return (int64_t)n;
}

int sfx_conn_wait(sfx_conn *c, struct sfx_wake *wake, bool want_write, int timeout_ms)
{
	HANDLE hs[3];
	int kinds[3];
	DWORD n = 0;
	if (c) {
		if (!pump_read(c))
			return SFX_READY_ERROR | SFX_READY_READ;
		if (c->rpos < c->rhave)
			return SFX_READY_READ;
		bool busy;
		if (!pump_write(c, &busy))
			return SFX_READY_ERROR | SFX_READY_READ;
		if (want_write && !busy)
			return SFX_READY_WRITE;
		if (c->rpending) {
			hs[n] = c->rov.hEvent;
			kinds[n++] = SFX_READY_READ;
		}
		if (want_write && busy) {
			hs[n] = c->wov.hEvent;
			kinds[n++] = SFX_READY_WRITE;
		}
	}
	if (wake) {
		hs[n] = wake->event;
		kinds[n++] = SFX_READY_WAKE;
	}
	if (n == 0)
		return 0;
	DWORD r = WaitForMultipleObjects(n, hs, FALSE, wait_ms(timeout_ms));
	if (r == WAIT_TIMEOUT)
		return 0;
	if (r >= WAIT_OBJECT_0 + n) {
		set_win_error("WaitForMultipleObjects", GetLastError());
		return SFX_READY_ERROR;
	}
	int mask = kinds[r - WAIT_OBJECT_0];
	/* Report the others too when they are already set. */
	for (DWORD i = 0; i < n; i++)
		if (WaitForSingleObject(hs[i], 0) == WAIT_OBJECT_0)
			mask |= kinds[i];
	return mask;
}

void sfx_conn_close(sfx_conn *c)
{
	if (!c)
		return;
	DWORD dummy;
	if (c->rpending || c->wpending) {
		CancelIoEx(c->pipe, NULL);
		if (c->rpending)
			GetOverlappedResult(c->pipe, &c->rov, &dummy, TRUE);
		if (c->wpending)
			GetOverlappedResult(c->pipe, &c->wov, &dummy, TRUE);
	}
	CloseHandle(c->pipe);
	CloseHandle(c->rov.hEvent);
	CloseHandle(c->wov.hEvent);
	free(c);
}

/* ---- Child process ---------------------------------------------------------------------------- */

struct sfx_process {
	HANDLE process;
	DWORD pid;
};

/* Appends one argument quoted the way CommandLineToArgvW and the CRT parse it back. */
static bool append_arg(char *cmd, size_t cap, size_t *len, const char *arg)
{
	bool quote = arg[0] == '\0' || strpbrk(arg, " \t\"") != NULL;
	size_t need = strlen(arg) * 2 + 4;
	if (*len + need >= cap)
		return false;
	char *p = cmd + *len;
	if (*len > 0)
		*p++ = ' ';
	if (quote)
		*p++ = '"';
	size_t backslashes = 0;
	for (const char *s = arg; *s; s++) {
		if (*s == '\\') {
			backslashes++;
		} else if (*s == '"' && quote) {
			for (size_t i = 0; i < backslashes + 1; i++)
				*p++ = '\\';
			backslashes = 0;
		} else {
			backslashes = 0;
		}
		*p++ = *s;
	}
	if (quote) {
		for (size_t i = 0; i < backslashes; i++)
			*p++ = '\\';
		*p++ = '"';
	}
	*p = '\0';
	*len = (size_t)(p - cmd);
	return true;
}

struct sfx_process *sfx_process_spawn(const char *path, const char *const *argv, char *err, size_t err_cap)
{
	char local[256];
	if (!err || err_cap == 0) {
		err = local;
		err_cap = sizeof(local);
	}
	err[0] = '\0';
	if (!path || !path[0]) {
		snprintf(err, err_cap, "host executable path is empty");
		set_error("%s", err);
		return NULL;
	}
	/* Only "X:\\..." or "\\\\server\\...": a relative path would resolve against OBS's working directory. */
	bool drive = ((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')) && path[1] == ':' &&
		     (path[2] == '\\' || path[2] == '/');
	bool unc = path[0] == '\\' && path[1] == '\\';
	if (!drive && !unc) {
		snprintf(err, err_cap, "host executable path '%s' is not absolute; refusing to run it", path);
		set_error("%s", err);
		return NULL;
	}
	DWORD attrs = GetFileAttributesA(path);
	if (attrs == INVALID_FILE_ATTRIBUTES) {
		char text[200];
		snprintf(err, err_cap, "host executable %s: %s", path,
			 win_error_text(GetLastError(), text, sizeof(text)));
		set_error("%s", err);
		return NULL;
	}
	if (attrs & FILE_ATTRIBUTE_DIRECTORY) {
		snprintf(err, err_cap, "host executable %s is not a regular file", path);
		set_error("%s", err);
		return NULL;
	}
	char *cmd = malloc(32768);
	if (!cmd) {
		snprintf(err, err_cap, "out of memory");
		return NULL;
	}
	size_t len = 0;
	cmd[0] = '\0';
	for (size_t i = 0; argv && argv[i]; i++) {
		if (!append_arg(cmd, 32768, &len, argv[i])) {
			free(cmd);
			snprintf(err, err_cap, "host command line is too long");
			set_error("%s", err);
			return NULL;
		}
	}
	STARTUPINFOA si;
	PROCESS_INFORMATION pi;
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	/* bInheritHandles FALSE: the host gets none of OBS's handles. */
	BOOL ok = CreateProcessA(path, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi);
	DWORD code = GetLastError();
	free(cmd);
	if (!ok) {
		char text[200];
		snprintf(err, err_cap, "starting host %s failed: %s", path, win_error_text(code, text, sizeof(text)));
		set_error("%s", err);
		return NULL;
	}
	CloseHandle(pi.hThread);
	struct sfx_process *p = calloc(1, sizeof(*p));
	if (!p) {
		TerminateProcess(pi.hProcess, 1);
		CloseHandle(pi.hProcess);
		snprintf(err, err_cap, "out of memory");
		return NULL;
	}
	p->process = pi.hProcess;
	p->pid = pi.dwProcessId;
	return p;
}

int64_t sfx_process_pid(struct sfx_process *p)
{
	return p ? (int64_t)p->pid : 0;
}

bool sfx_process_running(struct sfx_process *p, int *exit_code)
{
	if (!p)
		return false;
	if (WaitForSingleObject(p->process, 0) == WAIT_TIMEOUT)
		return true;
	DWORD code = 0;
	GetExitCodeProcess(p->process, &code);
	if (exit_code)
		*exit_code = (int)code;
	return false;
}

bool sfx_process_wait(struct sfx_process *p, int timeout_ms, int *exit_code)
{
	if (!p)
		return true;
	WaitForSingleObject(p->process, wait_ms(timeout_ms));
	return !sfx_process_running(p, exit_code);
}

void sfx_process_kill(struct sfx_process *p)
{
	if (p && sfx_process_running(p, NULL))
		TerminateProcess(p->process, 1);
}

void sfx_process_destroy(struct sfx_process *p)
{
	if (!p)
		return;
	sfx_process_kill(p);
	WaitForSingleObject(p->process, INFINITE); /* terminated: returns promptly */
	CloseHandle(p->process);
	free(p);
}

/* ---- Threads and locks ------------------------------------------------------------------------ */

struct thread_start {
	void (*fn)(void *);
	void *arg;
};

static unsigned __stdcall thread_main(void *p)
{
	struct thread_start s = *(struct thread_start *)p;
	free(p);
	s.fn(s.arg);
	return 0;
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
	uintptr_t h = _beginthreadex(NULL, 0, thread_main, s, 0, NULL);
	if (h == 0) {
		free(s);
		set_error("_beginthreadex failed");
		return false;
	}
	CloseHandle((HANDLE)h);
	return true;
}

struct sfx_thread {
	HANDLE handle;
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
	uintptr_t h = _beginthreadex(NULL, 0, thread_main, s, 0, NULL);
	if (h == 0) {
		free(s);
		free(t);
		set_error("_beginthreadex failed");
		return NULL;
	}
	t->handle = (HANDLE)h;
	return t;
}

void sfx_thread_join(struct sfx_thread *t)
{
	if (!t)
		return;
	WaitForSingleObject(t->handle, INFINITE);
	CloseHandle(t->handle);
	free(t);
}

struct sfx_mutex {
	SRWLOCK lock;
};

struct sfx_mutex *sfx_mutex_create(void)
{
	struct sfx_mutex *m = calloc(1, sizeof(*m));
	if (!m) {
		set_error("out of memory");
		return NULL;
	}
	InitializeSRWLock(&m->lock);
	return m;
}

void sfx_mutex_lock(struct sfx_mutex *m)
{
	AcquireSRWLockExclusive(&m->lock);
}

bool sfx_mutex_trylock(struct sfx_mutex *m)
{
	return TryAcquireSRWLockExclusive(&m->lock) != 0;
}

void sfx_mutex_unlock(struct sfx_mutex *m)
{
	ReleaseSRWLockExclusive(&m->lock);
}

void sfx_mutex_destroy(struct sfx_mutex *m)
{
	free(m);
}
