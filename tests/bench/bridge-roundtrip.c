/*
 * sfx-bench-roundtrip: the bridge's round trip against its physical baseline, in one process.
 *
 *   sfx-bench-roundtrip --host <streamfx-host> --width W --height H --frames N --out DIR --name NAME
 *                       [--warmup K]
 *
 * Plays the shim with the real host-link code (as OBS does) against a real host spawned by the link.
 * Per frame: the frame is copied into the input slot (the shim's readback copy), then timed from
 * input_publish until output_take returns the output made from that sequence; waits are on link
 * events (bounded), never sleeps. Right before each frame the baseline is timed on private buffers:
 * two plain memcpy of the same frame size (the bytes have to cross into the host's output and
 * back, at least). Writes DIR/NAME-{roundtrip,roundtrip-fill,memcpy2,host-process}.ns.
 */
#include "bench-samples.h"
#include "host-link.h"
#include "link-peer.h"
#include "platform.h"
#include "protocol.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_LIMIT_MS 30000
#define FRAME_LIMIT_MS   10000
#define VERIFY_EVERY     256 /* full-frame compare every this many frames; stamps are checked on all */

/* Keeps the compiler from dropping or merging the baseline copies. */
#define COMPILER_BARRIER() __asm__ volatile("" ::: "memory")

static void log_cb(void *ctx, enum sfx_log_level level, const char *message)
{
	(void)ctx;
	if (level <= SFX_LOG_WARNING)
		fprintf(stderr, "[streamfx-obs] bench link: %s\n", message);
}

static int usage(const char *why)
{
	fprintf(stderr,
		"sfx-bench-roundtrip: %s\nusage: sfx-bench-roundtrip --host <path> --width W --height H --frames N "
		"--out DIR --name NAME [--warmup K]\n",
		why);
	return 2;
}

static uint8_t *input_slot(struct sfx_host_link *link, size_t need)
{
	uint64_t deadline = sfx_monotonic_ns() + FRAME_LIMIT_MS * 1000000ull;
	size_t cap = 0;
	uint8_t *px = sfx_host_link_input_begin(link, &cap);
	/* The try-lock can be busy for a moment while the worker handles the socket. */
	while (!px && sfx_monotonic_ns() < deadline) {
		sfx_host_link_wait_event(link, 10);
		px = sfx_host_link_input_begin(link, &cap);
	}
	return px && cap >= need ? px : NULL;
}

/* Waits (bounded, on link events) for the output made from input `seq`. */
static bool wait_output(struct sfx_host_link *link, uint32_t seq, struct sfx_frame_view *view)
{
	uint64_t deadline = sfx_monotonic_ns() + FRAME_LIMIT_MS * 1000000ull;
	for (;;) {
		while (sfx_host_link_output_take(link, view))
			if (view->source_sequence == seq)
				return true;
		uint64_t now = sfx_monotonic_ns();
		if (now >= deadline)
			return false;
		sfx_host_link_wait_event(link, (int)((deadline - now) / 1000000) + 1);
	}
}

int main(int argc, char **argv)
{
	const char *host = NULL, *out_dir = NULL, *name = NULL;
	uint32_t width = 0, height = 0, frames = 0, warmup = 200;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage("missing value after an option");
		i++;
		if (strcmp(a, "--host") == 0)
			host = v;
		else if (strcmp(a, "--out") == 0)
			out_dir = v;
		else if (strcmp(a, "--name") == 0)
			name = v;
		else if (strcmp(a, "--width") == 0 && link_peer_parse_u32(v, &width))
			;
		else if (strcmp(a, "--height") == 0 && link_peer_parse_u32(v, &height))
			;
		else if (strcmp(a, "--frames") == 0 && link_peer_parse_u32(v, &frames))
			;
		else if (strcmp(a, "--warmup") == 0 && link_peer_parse_u32(v, &warmup))
			;
		else
			return usage("unknown option or bad number");
	}
	if (!host || !out_dir || !name)
		return usage("--host, --out and --name are required");
	if (!frames || width < 1 || width > SFX_MAX_DIMENSION || height < 1 || height > SFX_MAX_DIMENSION)
		return usage("--frames must be > 0 and --width/--height 1..8192");

	const size_t row_bytes = (size_t)width * 4, bytes = row_bytes * height;
	uint8_t *src = aligned_alloc(64, (bytes + 63) / 64 * 64);
	uint8_t *mid = aligned_alloc(64, (bytes + 63) / 64 * 64);
	uint8_t *dst = aligned_alloc(64, (bytes + 63) / 64 * 64);
	struct sample_series rt, rt_fill, copy2, host_us;
	if (!src || !mid || !dst || !series_init(&rt, frames) || !series_init(&rt_fill, frames) ||
	    !series_init(&copy2, frames) || !series_init(&host_us, frames)) {
		fprintf(stderr, "sfx-bench-roundtrip: out of memory for a %ux%u frame\n", width, height);
		return 1;
	}
	for (size_t i = 0; i < bytes; i++)
		src[i] = (uint8_t)(i * 31 + (i >> 12));
	memset(mid, 0, bytes); /* fault the pages in: the baseline times copies, not page faults */
	memset(dst, 0, bytes);

	/* The link only runs a host given by absolute path. */
	char host_abs[4096];
	if (!realpath(host, host_abs)) {
		fprintf(stderr, "sfx-bench-roundtrip: host '%s' not found: %s\n", host, strerror(errno));
		return 2;
	}
	struct sfx_host_link_config cfg = {
	    .host_path = host_abs,
	    .max_width = width,
	    .max_height = height,
	    .log = log_cb,
	    .first_sequence = 1,
	};
	struct sfx_host_link *link = sfx_host_link_create(&cfg);
	if (!link) {
		fprintf(stderr, "sfx-bench-roundtrip: cannot create the link\n");
		return 1;
	}
	bool ok = link_peer_wait_connected(link, CONNECT_LIMIT_MS, false, "sfx-bench-roundtrip", NULL, NULL);
	uint64_t stamp_errors = 0, frame_errors = 0;
	uint64_t started = sfx_monotonic_ns();
	for (uint32_t f = 0; ok && f < warmup + frames; f++) {
		bool measured = f >= warmup;

		uint64_t c0 = sfx_monotonic_ns();
		memcpy(mid, src, bytes);
		COMPILER_BARRIER();
		memcpy(dst, mid, bytes);
		COMPILER_BARRIER();
		uint64_t c1 = sfx_monotonic_ns();

		uint8_t *px = input_slot(link, bytes);
		if (!px) {
			fprintf(stderr, "sfx-bench-roundtrip: no input slot for frame %u\n", f);
			ok = false;
			break;
		}
		uint64_t t_fill = sfx_monotonic_ns();
		memcpy(px, src, bytes);
		/* A per-frame stamp at both ends: the output must carry this frame's bytes, not an older one's. */
		uint64_t stamp = 0x5346584F00000000ull | f;
		memcpy(px, &stamp, sizeof(stamp));
		memcpy(px + bytes - sizeof(stamp), &stamp, sizeof(stamp));
		uint64_t t_pub = sfx_monotonic_ns();
		uint32_t seq =
		    sfx_host_link_input_publish(link, width, height, (uint32_t)row_bytes, SFX_PIXEL_RGBA8, t_pub);
		struct sfx_frame_view view;
		if (!wait_output(link, seq, &view)) {
			struct sfx_host_status st;
			sfx_host_link_get_status(link, &st);
			fprintf(stderr,
				"sfx-bench-roundtrip: no output for frame %u (sequence %" PRIu32 ") within %d ms: %s\n",
				f, seq, FRAME_LIMIT_MS, st.last_error);
			ok = false;
			break;
		}
		uint64_t t_done = sfx_monotonic_ns();

		uint64_t head, tail;
		memcpy(&head, view.pixels, sizeof(head));
		memcpy(&tail, view.pixels + bytes - sizeof(tail), sizeof(tail));
		if (view.width != width || view.height != height || head != stamp || tail != stamp)
			stamp_errors++;
		if (f % VERIFY_EVERY == 0 &&
		    memcmp(view.pixels + sizeof(stamp), src + sizeof(stamp), bytes - 2 * sizeof(stamp)) != 0)
			frame_errors++;
		if (measured) {
			series_push(&copy2, c1 - c0);
			series_push(&rt, t_done - t_pub);
			series_push(&rt_fill, t_done - t_fill);
			series_push(&host_us, (uint64_t)view.process_us * 1000);
		}
	}
	double seconds = (double)(sfx_monotonic_ns() - started) / 1e9;
	sfx_host_link_destroy(link);
	bool all_done = sfx_host_link_wait_all(10000);
	if (rt.count && memcmp(dst, src, bytes) != 0) {
		fprintf(stderr, "sfx-bench-roundtrip: baseline copy is wrong\n");
		ok = false;
	}

	char series_name[256];
	printf("%s: %ux%u frames=%zu warmup=%u seconds=%.1f stamp_errors=%" PRIu64 " frame_errors=%" PRIu64 "\n", name,
	       width, height, rt.count, warmup, seconds, stamp_errors, frame_errors);
	const struct {
		const struct sample_series *s;
		const char *suffix;
	} outputs[] = {
	    {&rt, "roundtrip"}, {&rt_fill, "roundtrip-fill"}, {&copy2, "memcpy2"}, {&host_us, "host-process"}};
	for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++) {
		snprintf(series_name, sizeof(series_name), "%s-%s", name, outputs[i].suffix);
		series_print(outputs[i].s, series_name);
		if (!series_write(outputs[i].s, out_dir, series_name))
			ok = false;
	}
	if (rt.count && copy2.count)
		printf("%s: ratio p50 roundtrip/memcpy2 = %.2f\n", name,
		       (double)series_percentile(&rt, 50) / (double)series_percentile(&copy2, 50));
	bool complete = rt.count == frames;
	series_free(&rt);
	series_free(&rt_fill);
	series_free(&copy2);
	series_free(&host_us);
	free(src);
	free(mid);
	free(dst);
	if (!all_done)
		fprintf(stderr, "sfx-bench-roundtrip: link worker did not finish within 10 s\n");
	return ok && all_done && complete && stamp_errors == 0 && frame_errors == 0 ? 0 : 1;
}
