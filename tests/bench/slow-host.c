/*
 * sfx-bench-slow-host: an effects host that takes a fixed time per frame, to show that a slow host
 * costs OBS's graphics thread nothing. Plays the host side of protocol 1.0 with the bridge's own
 * pieces (as tests/native/fake-host.c does): validate the region, connect, HELLO, take the newest
 * input on FRAME_READY, "work" for SFX_BENCH_HOST_DELAY_MS (default 100) by waiting on a timer,
 * publish the frame unchanged, FRAME_DONE; heartbeat; exit on SHUTDOWN or end of stream.
 *
 *   sfx-bench-slow-host --shm <name> --control <address>
 *
 * The timed wait is the simulated model's run time (the workload), not synchronisation.
 */
#include "frame-region.h"
#include "message-codec.h"
#include "outbound-queue.h"
#include "platform.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_DELAY_MS 100

static struct sfx_outbound_queue g_out;

static bool queue(const uint8_t *msg, size_t n)
{
	if (n == 0 || !sfx_outq_push(&g_out, msg, n)) {
		fprintf(stderr, "slow-host: outbound queue full\n");
		return false;
	}
	return true;
}

static int delay_from_env(void)
{
	const char *text = getenv("SFX_BENCH_HOST_DELAY_MS");
	if (!text || !text[0])
		return DEFAULT_DELAY_MS;
	char *end;
	long v = strtol(text, &end, 10);
	if (*end || v < 0 || v > 10000) {
		fprintf(stderr, "slow-host: SFX_BENCH_HOST_DELAY_MS: expected 0..10000, found '%s'; using %d\n", text,
			DEFAULT_DELAY_MS);
		return DEFAULT_DELAY_MS;
	}
	return (int)v;
}

/* Takes the newest input, spends delay_ms on it, publishes it unchanged. 1 done, 0 nothing new, -1 error. */
static int process_newest(void *base, struct sfx_triple_reader *in_r, struct sfx_triple_writer *out_w,
			  struct sfx_wake *timer, int delay_ms, uint32_t *out_seq, uint32_t done[3])
{
	struct sfx_region_header *h = sfx_region_header(base);
	uint32_t stride = h->slot_stride, max_w = h->max_width, max_h = h->max_height;
	char err[256];
	int t = sfx_triple_take(in_r, err, sizeof(err));
	if (t <= 0) {
		if (t < 0)
			fprintf(stderr, "slow-host: input exchange: %s\n", err);
		return t;
	}
	const uint8_t *in = sfx_region_slot(base, stride, SFX_DIR_INPUT, in_r->front);
	struct sfx_slot_header ih;
	memcpy(&ih, in, sizeof(ih));
	if (!sfx_slot_validate(&ih, max_w, max_h, stride, err, sizeof(err))) {
		fprintf(stderr, "slow-host: input slot: %s\n", err);
		return -1;
	}
	uint64_t t0 = sfx_monotonic_ns();
	if (delay_ms > 0)
		sfx_wake_wait(timer, delay_ms); /* the workload: nothing ever signals this wake */
	uint8_t *out = sfx_region_slot(base, stride, SFX_DIR_OUTPUT, out_w->back);
	memcpy(out + SFX_SLOT_HEADER_SIZE, in + SFX_SLOT_HEADER_SIZE, (size_t)ih.row_bytes * ih.height);
	struct sfx_slot_header oh = ih;
	oh.sequence = ++*out_seq;
	oh.source_sequence = ih.sequence;
	oh.process_us = (uint32_t)((sfx_monotonic_ns() - t0) / 1000);
	memcpy(out, &oh, sizeof(oh));
	if (!sfx_triple_publish(out_w, err, sizeof(err))) {
		fprintf(stderr, "slow-host: output exchange: %s\n", err);
		return -1;
	}
	done[0] = oh.sequence;
	done[1] = oh.source_sequence;
	done[2] = oh.process_us;
	return 1;
}

int main(int argc, char **argv)
{
	const char *shm_name = NULL, *control = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--shm") == 0)
			shm_name = argv[i + 1];
		else if (strcmp(argv[i], "--control") == 0)
			control = argv[i + 1];
	}
	if (!shm_name || !control) {
		fprintf(stderr, "usage: sfx-bench-slow-host --shm <name> --control <address>\n");
		return 2;
	}
	const int delay_ms = delay_from_env();
	struct sfx_shm *shm = sfx_shm_open(shm_name);
	if (!shm) {
		fprintf(stderr, "slow-host: %s\n", sfx_platform_error());
		return 2;
	}
	void *base = sfx_shm_data(shm);
	char err[256];
	if (!sfx_region_validate(base, sfx_shm_size(shm), err, sizeof(err))) {
		fprintf(stderr, "slow-host: region rejected: %s\n", err);
		return 2;
	}
	struct sfx_region_header *h = sfx_region_header(base);
	sfx_conn *conn = sfx_conn_connect(control);
	struct sfx_wake *timer = sfx_wake_create();
	struct sfx_msg_decoder *dec = malloc(sizeof(*dec));
	if (!conn || !timer || !dec) {
		fprintf(stderr, "slow-host: %s\n", conn ? "out of resources" : sfx_platform_error());
		return 2;
	}
	struct sfx_triple_reader in_r;
	struct sfx_triple_writer out_w;
	sfx_triple_reader_init(&in_r, &h->input_exchange);
	sfx_triple_writer_init(&out_w, &h->output_exchange);
	sfx_msg_decoder_init(dec);
	sfx_outq_init(&g_out, 1 << 20);

	uint8_t msg[256];
	uint32_t out_seq = 0;
	if (!queue(msg,
		   sfx_msg_encode_hello(msg, sizeof(msg), SFX_PROTOCOL_MAJOR, SFX_PROTOCOL_MINOR, (uint32_t)getpid())))
		return 5;
	char status[128];
	snprintf(status, sizeof(status), "{\"state\":\"ready\",\"provider\":\"bench-slow-host\",\"latency_ms\":%d}",
		 delay_ms);
	if (!queue(msg, sfx_msg_encode(msg, sizeof(msg), SFX_MSG_STATUS, status, strlen(status))))
		return 5;
	atomic_store(&h->host_state, SFX_HOST_READY);

	for (;;) {
		atomic_fetch_add(&h->host_heartbeat, 1);
		if (!sfx_outq_flush(&g_out, conn))
			return 0; /* shim gone */
		int ready = sfx_conn_wait(conn, NULL, sfx_outq_pending(&g_out) > 0, 200);
		if (!(ready & (SFX_READY_READ | SFX_READY_ERROR)))
			continue;
		uint8_t buf[4096];
		int64_t n;
		bool frame_ready = false;
		/* Drain everything received, then do one frame for any number of FRAME_READY wake-ups. */
		while ((n = sfx_conn_recv(conn, buf, sizeof(buf))) != 0) {
			if (n < 0)
				return 0; /* end of stream: the shim is gone */
			size_t off = 0;
			while (off < (size_t)n) {
				struct sfx_msg m;
				size_t used;
				int r =
				    sfx_msg_decoder_feed(dec, buf + off, (size_t)n - off, &used, &m, err, sizeof(err));
				off += used;
				if (r < 0) {
					fprintf(stderr, "slow-host: protocol violation: %s\n", err);
					return 6;
				}
				if (r == 0)
					break;
				if (m.type == SFX_MSG_SHUTDOWN) {
					atomic_store(&h->host_state, SFX_HOST_STOPPING);
					return 0;
				}
				if (m.type == SFX_MSG_FRAME_READY)
					frame_ready = true;
			}
		}
		if (!frame_ready)
			continue;
		uint32_t done[3];
		int r = process_newest(base, &in_r, &out_w, timer, delay_ms, &out_seq, done);
		if (r < 0)
			return 6;
		if (r > 0 && !queue(msg, sfx_msg_encode_u32s(msg, sizeof(msg), SFX_MSG_FRAME_DONE, done, 3)))
			return 5;
	}
}
