/*
 * sfx-bridge-peer: plays the shim side of the bridge with the real host-link code, to test a host.
 *
 *   sfx-bridge-peer --host <path> [--frames N] [--width W --height H] [--first-sequence S]
 *                   [--expect invert|identity] [--configure <settings JSON>] [--verbose]
 *   sfx-bridge-peer --listen-only --peer-pid <pid|0> [same frame options]
 *
 * It sends N generated frames (a pattern that changes per frame), waits (on link events, bounded)
 * for each result, checks pixels against the expected transform (±2) and sequence numbers (also
 * across the u32 wrap), prints one summary line, then one verdict line covering every condition:
 * "result=PASS", or "result=FAIL failed=<condition,...>" (frames, mismatches, sequence_errors,
 * restarts, rss, workers, connect). It exits 0 exactly when the verdict is PASS. --max-restarts N
 * (default 0) is how many host restarts are allowed.
 * --listen-only spawns nothing: it prints SHM=<name> and CONTROL=<address> and waits for one host.
 *
 * Soak: --max-rss-growth-kb K samples the resident memory of this process (/proc/self/statm) and of
 * the host (/proc/<pid>/status VmRSS; on Windows both working sets, GetProcessMemoryInfo) once the
 * first 10% of the frames (or --warmup-frames W) are through and at the end, prints both, and fails
 * when either grew by more than K KiB. --rss-every N also prints a sample every N frames.
 * --leak-kb-per-frame K (negative control of the soak check only) makes this process allocate and
 * touch K KiB per frame after the warm-up and never free it, as a leak would.
 * --wait-ready sends frames only once the host's STATUS says "ready" (a real host passes frames
 * through unchanged while its model loads); --wait-status S waits for state S instead (e.g. "error"
 * for a model that cannot load).
 */
#include "host-link.h"
#include "link-peer.h"
#include "protocol.h"
#include "platform.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_LIMIT_MS 20000
#define FRAME_LIMIT_MS   10000
#define TOLERANCE        2

static bool g_verbose;
static void *volatile g_leaked; /* --leak-kb-per-frame's chain */

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <psapi.h>

/* Resident set in KiB on Windows: the working set from GetProcessMemoryInfo. */
static long working_set_kb(HANDLE process)
{
	PROCESS_MEMORY_COUNTERS pmc = {.cb = sizeof(pmc)};
	return GetProcessMemoryInfo(process, &pmc, sizeof(pmc)) ? (long)(pmc.WorkingSetSize / 1024) : -1;
}

static long rss_self_kb(void)
{
	return working_set_kb(GetCurrentProcess());
}

static long rss_process_kb(int64_t pid)
{
	HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_VM_READ, FALSE, (DWORD)pid);
	if (!h)
		return -1;
	long kb = working_set_kb(h);
	CloseHandle(h);
	return kb;
}
#else
/* Resident set in KiB: of this process from statm (pages), of another from its status (VmRSS). */
static long rss_self_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, resident = -1;
	if (f) {
		if (fscanf(f, "%ld %ld", &size, &resident) != 2)
			resident = -1;
		fclose(f);
	}
	return resident < 0 ? -1 : resident * 4; /* 4 KiB pages */
}

static long rss_process_kb(int64_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%lld/status", (long long)pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}
#endif

static void log_cb(void *ctx, enum sfx_log_level level, const char *message)
{
	(void)ctx;
	if (g_verbose || level <= SFX_LOG_WARNING)
		fprintf(stderr, "[streamfx-obs] peer log %d: %s\n", (int)level, message);
}

static uint8_t pattern(uint32_t x, uint32_t y, uint32_t frame, int channel)
{
	switch (channel) {
	case 0:
		return (uint8_t)(x * 7 + frame * 13);
	case 1:
		return (uint8_t)(y * 5 + frame * 29);
	case 2:
		return (uint8_t)(x + y + frame * 3);
	default:
		return (uint8_t)(200 + frame);
	}
}

static int usage(const char *why)
{
	fprintf(stderr,
		"sfx-bridge-peer: %s\nusage: sfx-bridge-peer (--host <path> | --listen-only --peer-pid <pid>) "
		"[--frames N] [--width W --height H] [--first-sequence S] [--expect invert|identity]\n"
		"       [--configure <settings JSON sent as CONFIGURE>] [--wait-ready | --wait-status STATE]\n"
		"       [--max-rss-growth-kb K] [--warmup-frames W] [--rss-every N] [--max-restarts N]\n"
		"       [--leak-kb-per-frame K] [--verbose]\n",
		why);
	return 2;
}

/* --listen-only: SHM= and CONTROL= on stdout, once, as soon as the link has made them. */
static void print_names_once(struct sfx_host_link *link, void *ctx)
{
	bool *printed = ctx;
	char shm[128], control[256];
	if (!*printed && sfx_host_link_get_names(link, shm, sizeof(shm), control, sizeof(control))) {
		printf("SHM=%s\nCONTROL=%s\n", shm, control);
		fflush(stdout);
		*printed = true;
	}
}

static bool wait_connected(struct sfx_host_link *link, bool listen_only)
{
	bool printed = false;
	return link_peer_wait_connected(link, CONNECT_LIMIT_MS, listen_only, "sfx-bridge-peer",
					listen_only ? print_names_once : NULL, &printed);
}

int main(int argc, char **argv)
{
	const char *host = NULL, *expect = "invert", *settings = "{\"effect\":\"test\",\"strength\":1}";
	bool listen_only = false, have_pid = false;
	const char *wait_state = NULL;
	int64_t peer_pid = 0;
	uint32_t frames = 10, width = 64, height = 48, first_seq = 1, rss_every = 0, max_growth_kb = 0;
	uint32_t warmup = UINT32_MAX; /* --warmup-frames; default a tenth of the frames */
	uint32_t max_restarts = 0, leak_kb = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--listen-only") == 0) {
			listen_only = true;
			continue;
		}
		if (strcmp(a, "--verbose") == 0) {
			g_verbose = true;
			continue;
		}
		if (strcmp(a, "--wait-ready") == 0) {
			wait_state = "ready";
			continue;
		}
		if (!v)
			return usage("missing value after an option");
		i++;
		uint32_t pid32;
		if (strcmp(a, "--host") == 0)
			host = v;
		else if (strcmp(a, "--wait-status") == 0)
			wait_state = v;
		else if (strcmp(a, "--expect") == 0)
			expect = v;
		else if (strcmp(a, "--configure") == 0)
			settings = v;
		else if (strcmp(a, "--frames") == 0 && link_peer_parse_u32(v, &frames))
			;
		else if (strcmp(a, "--width") == 0 && link_peer_parse_u32(v, &width))
			;
		else if (strcmp(a, "--height") == 0 && link_peer_parse_u32(v, &height))
			;
		else if (strcmp(a, "--first-sequence") == 0 && link_peer_parse_u32(v, &first_seq))
			;
		else if (strcmp(a, "--warmup-frames") == 0 && link_peer_parse_u32(v, &warmup))
			;
		else if (strcmp(a, "--rss-every") == 0 && link_peer_parse_u32(v, &rss_every))
			;
		else if (strcmp(a, "--max-restarts") == 0 && link_peer_parse_u32(v, &max_restarts))
			;
		else if (strcmp(a, "--leak-kb-per-frame") == 0 && link_peer_parse_u32(v, &leak_kb))
			;
		else if (strcmp(a, "--max-rss-growth-kb") == 0 && link_peer_parse_u32(v, &max_growth_kb) &&
			 max_growth_kb > 0)
			;
		else if (strcmp(a, "--peer-pid") == 0 && link_peer_parse_u32(v, &pid32)) {
			peer_pid = pid32;
			have_pid = true;
		} else
			return usage("unknown option or bad number");
	}
	bool invert = strcmp(expect, "invert") == 0;
	if (!invert && strcmp(expect, "identity") != 0)
		return usage("--expect must be invert or identity");
	if (listen_only ? !have_pid : !host)
		return usage(listen_only ? "--listen-only needs --peer-pid (0: any process of this user)"
					 : "--host is required");
	if (warmup != UINT32_MAX && warmup >= frames)
		return usage("--warmup-frames must be below --frames");
	if (frames == 0 || width < 1 || width > SFX_MAX_DIMENSION || height < 1 || height > SFX_MAX_DIMENSION)
		return usage("frames must be > 0 and width/height 1..8192");

	struct sfx_host_link_config cfg = {
	    .host_path = host,
	    .max_width = width,
	    .max_height = height,
	    .log = log_cb,
	    .first_sequence = first_seq,
	    .external_host = listen_only,
	    .external_peer_pid = peer_pid,
	    .connect_timeout_ms = listen_only ? CONNECT_LIMIT_MS : 0,
	};
	struct sfx_host_link *link = sfx_host_link_create(&cfg);
	if (!link) {
		fprintf(stderr, "sfx-bridge-peer: cannot create the link\n");
		return 1;
	}
	sfx_host_link_configure(link, settings);

	uint32_t sent = 0, checked = 0, seq_errors = 0, restarts_seen = 0;
	uint64_t mismatches = 0;
	int max_err = 0;
	bool crossed_wrap = false, have_out = false, ok = wait_connected(link, listen_only);
	bool connected = ok;
	if (ok && wait_state) {
		char want[96];
		snprintf(want, sizeof(want), "\"state\":\"%s\"", wait_state);
		uint64_t deadline = sfx_monotonic_ns() + CONNECT_LIMIT_MS * 1000000ull;
		struct sfx_host_status hs;
		for (;;) {
			sfx_host_link_get_status(link, &hs);
			if (strstr(hs.host_status_json, want))
				break;
			uint64_t now = sfx_monotonic_ns();
			if (now >= deadline || hs.state != SFX_LINK_CONNECTED) {
				fprintf(stderr, "sfx-bridge-peer: host state not '%s' within %d ms (status %s)\n",
					wait_state, CONNECT_LIMIT_MS,
					hs.host_status_json[0] ? hs.host_status_json : "none");
				ok = false;
				break;
			}
			sfx_host_link_wait_event(link, (int)((deadline - now) / 1000000) + 1);
		}
	}
	uint32_t last_out = 0;
	uint32_t row_bytes = width * 4;
	long self_warm = -1, host_warm = -1, self_peak = 0, host_peak = 0;
	int64_t host_pid = 0;
	const uint32_t warm_frame = warmup == UINT32_MAX ? frames / 10 : warmup;
	for (uint32_t f = 0; ok && f < frames; f++) {
		if ((max_growth_kb || rss_every) && (f == warm_frame || (rss_every && f % rss_every == 0))) {
			struct sfx_host_status hs;
			sfx_host_link_get_status(link, &hs);
			if (f == warm_frame)
				host_pid = hs.host_pid;
			long self_kb = rss_self_kb(), host_kb = rss_process_kb(hs.host_pid);
			if (f == warm_frame) {
				self_warm = self_kb;
				host_warm = host_kb;
			}
			if (f >= warm_frame) {
				self_peak = self_kb > self_peak ? self_kb : self_peak;
				host_peak = host_kb > host_peak ? host_kb : host_peak;
			}
			if (rss_every)
				printf("rss frame=%u self_kb=%ld host_kb=%ld\n", f, self_kb, host_kb);
		}
		if (leak_kb && f > warm_frame) {
			/* The deliberate leak (negative control): touched, chained so no compiler drops it. */
			char *leak = malloc((size_t)leak_kb * 1024);
			if (leak) {
				memset(leak, (int)f, (size_t)leak_kb * 1024);
				*(void **)leak = g_leaked;
				g_leaked = leak;
			}
		}
		size_t cap = 0;
		uint8_t *px = sfx_host_link_input_begin(link, &cap);
		uint64_t deadline = sfx_monotonic_ns() + FRAME_LIMIT_MS * 1000000ull;
		/* The try-lock can be busy for a moment while the worker switches sessions. */
		while (!px && sfx_monotonic_ns() < deadline) {
			sfx_host_link_wait_event(link, 100);
			px = sfx_host_link_input_begin(link, &cap);
		}
		if (!px || cap < (size_t)row_bytes * height) {
			fprintf(stderr, "sfx-bridge-peer: no input slot for frame %u\n", f);
			ok = false;
			break;
		}
		for (uint32_t y = 0; y < height; y++)
			for (uint32_t x = 0; x < width; x++)
				for (int c = 0; c < 4; c++)
					px[(size_t)y * row_bytes + x * 4 + c] = pattern(x, y, f, c);
		uint32_t expected_seq = first_seq + f;
		uint32_t seq =
		    sfx_host_link_input_publish(link, width, height, row_bytes, SFX_PIXEL_RGBA8, sfx_monotonic_ns());
		if (seq != expected_seq) {
			fprintf(stderr, "sfx-bridge-peer: frame %u got sequence %" PRIu32 ", expected %" PRIu32 "\n", f,
				seq, expected_seq);
			seq_errors++;
			ok = false;
			break;
		}
		sent++;
		if (f > 0 && seq < first_seq)
			crossed_wrap = true;

		struct sfx_frame_view view;
		bool got = false;
		while (!got) {
			while (sfx_host_link_output_take(link, &view)) {
				if (have_out && !sfx_seq_newer(view.sequence, last_out)) {
					fprintf(stderr,
						"sfx-bridge-peer: output %" PRIu32 " not newer than %" PRIu32 "\n",
						view.sequence, last_out);
					seq_errors++;
				}
				have_out = true;
				last_out = view.sequence;
				if (view.source_sequence == seq) {
					got = true;
					break;
				}
			}
			if (got)
				break;
			uint64_t now = sfx_monotonic_ns();
			if (now >= deadline)
				break;
			sfx_host_link_wait_event(link, (int)((deadline - now) / 1000000) + 1);
		}
		if (!got) {
			struct sfx_host_status st;
			sfx_host_link_get_status(link, &st);
			fprintf(stderr,
				"sfx-bridge-peer: no result for frame %u (sequence %" PRIu32 ") within %d ms: %s\n", f,
				seq, FRAME_LIMIT_MS, st.last_error);
			ok = false;
			break;
		}
		if (view.width != width || view.height != height || view.format != SFX_PIXEL_RGBA8) {
			fprintf(stderr, "sfx-bridge-peer: result %ux%u format %d, expected %ux%u RGBA8\n", view.width,
				view.height, (int)view.format, width, height);
			mismatches++;
		} else {
			for (uint32_t y = 0; y < height; y++)
				for (uint32_t x = 0; x < width; x++)
					for (int c = 0; c < 4; c++) {
						int in = pattern(x, y, f, c);
						int want = invert && c != 3 ? 255 - in : in;
						int got_v = view.pixels[(size_t)y * view.row_bytes + x * 4 + c];
						int e = abs(got_v - want);
						if (e > max_err)
							max_err = e;
						if (e > TOLERANCE)
							mismatches++;
					}
		}
		checked++;
	}
	struct sfx_host_status st;
	sfx_host_link_get_status(link, &st);
	restarts_seen = st.restarts;
	bool rss_ok = true;
	if (max_growth_kb) {
		/* Same host throughout (no restart), sampled at warm-up, at the end, and the peak between. */
		long self_end = rss_self_kb(), host_end = rss_process_kb(st.host_pid);
		self_peak = self_end > self_peak ? self_end : self_peak;
		host_peak = host_end > host_peak ? host_end : host_peak;
		long self_growth = self_peak - self_warm, host_growth = host_peak - host_warm;
		printf("rss_self_kb warm=%ld end=%ld peak_growth=%ld rss_host_kb warm=%ld end=%ld peak_growth=%ld "
		       "limit_kb=%u frames_after_warmup=%u\n",
		       self_warm, self_end, self_growth, host_warm, host_end, host_growth, max_growth_kb,
		       checked > warm_frame ? checked - warm_frame : 0);
		if (self_warm < 0 || host_warm < 0 || self_end < 0 || host_end < 0 || st.host_pid != host_pid) {
			fprintf(stderr,
				"sfx-bridge-peer: resident memory could not be sampled (host pid %lld -> %lld)\n",
				(long long)host_pid, (long long)st.host_pid);
			rss_ok = false;
		} else if (self_growth > (long)max_growth_kb || host_growth > (long)max_growth_kb) {
			fprintf(
			    stderr,
			    "sfx-bridge-peer: resident memory grew past %u KiB after warm-up (self %ld, host %ld)\n",
			    max_growth_kb, self_growth, host_growth);
			rss_ok = false;
		}
	}
	sfx_host_link_destroy(link);
	bool all_done = sfx_host_link_join_all(10000); /* as module unload does */
	printf("frames_sent=%u frames_checked=%u mismatches=%" PRIu64 " max_abs_err=%d sequence_errors=%u "
	       "wrapped=%d restarts=%u host_status=%s\n",
	       sent, checked, mismatches, max_err, seq_errors, crossed_wrap ? 1 : 0, restarts_seen,
	       st.host_status_json[0] ? st.host_status_json : "none");
	if (!all_done)
		fprintf(stderr, "sfx-bridge-peer: worker did not finish within 10 s\n");
	/* One verdict over every condition, so that a CTest regex on it cannot miss one. */
	char failed[160] = "";
	struct {
		bool bad;
		const char *name;
	} conds[] = {
	    {!connected, "connect"},
	    {checked != frames || !ok, "frames"},
	    {mismatches != 0, "mismatches"},
	    {seq_errors != 0, "sequence_errors"},
	    {restarts_seen > max_restarts, "restarts"},
	    {!rss_ok, "rss"},
	    {!all_done, "workers"},
	};
	for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
		if (conds[i].bad) {
			strcat(failed, failed[0] ? "," : "");
			strcat(failed, conds[i].name);
		}
	if (failed[0])
		printf("result=FAIL failed=%s\n", failed);
	else
		printf("result=PASS\n");
	return failed[0] ? 1 : 0;
}
