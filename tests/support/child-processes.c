#include "child-processes.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Reads /proc/<pid>/stat: "pid (comm) state ppid ...". comm may hold spaces and parentheses, so
 * parse from the last ')'. */
static bool read_stat(int64_t pid, char *comm, size_t comm_cap, char *state, int64_t *ppid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%lld/stat", (long long)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char buf[1024];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *open = strchr(buf, '(');
	char *close = strrchr(buf, ')');
	if (!open || !close || close < open)
		return false;
	if (comm) {
		size_t len = (size_t)(close - open - 1);
		if (len >= comm_cap)
			len = comm_cap - 1;
		memcpy(comm, open + 1, len);
		comm[len] = '\0';
	}
	char st = 0;
	long long pp = 0;
	if (sscanf(close + 1, " %c %lld", &st, &pp) != 2)
		return false;
	if (state)
		*state = st;
	if (ppid)
		*ppid = pp;
	return true;
}

size_t child_processes_list(int64_t *pids, size_t cap)
{
	DIR *dir = opendir("/proc");
	if (!dir)
		return 0;
	const int64_t self = (int64_t)getpid();
	size_t count = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		int64_t pid = strtoll(e->d_name, NULL, 10);
		int64_t ppid = 0;
		if (read_stat(pid, NULL, 0, NULL, &ppid) && ppid == self) {
			if (count < cap)
				pids[count] = pid;
			count++;
		}
	}
	closedir(dir);
	return count;
}

bool process_exists(int64_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%lld", (long long)pid);
	struct stat st;
	return stat(path, &st) == 0;
}

void process_describe(int64_t pid, char *out, size_t cap)
{
	char comm[64] = "?";
	char state = '?';
	if (!read_stat(pid, comm, sizeof(comm), &state, NULL)) {
		snprintf(out, cap, "%lld (gone)", (long long)pid);
		return;
	}
	snprintf(out, cap, "%lld (%s) state %c", (long long)pid, comm, state);
}

bool process_wait_exit(int64_t pid, int timeout_ms)
{
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (fd < 0)
		return errno == ESRCH; /* already gone (and reaped) */
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int rc = poll(&pfd, 1, timeout_ms);
	close(fd);
	return rc > 0;
}
