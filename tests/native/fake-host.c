/*
 * A minimal effects host in C for the bridge tests: it plays the host side of protocol 1.0 with
 * the bridge's own pieces (open + validate the region, connect, HELLO, take input frames, write
 * inverted or identical output frames, FRAME_DONE, heartbeat, SHUTDOWN).
 *
 *   fake-host --shm <name> --control <address>
 *
 * Misbehaviour for supervisor tests comes from SFX_FAKE_HOST_MODE (the shim fixes the command line):
 *   invert (default) | identity | crash (exit 3 on the first frame) | crash-late (exit 3 on the
 *   31st frame, after 30 answered) | hang (stop everything on the
 *   first frame) | stall (heartbeat goes on, frames are never answered) | bad-major (HELLO 2.0) |
 *   exit-early (exit 4 before connecting).
 * Malformed peers (the shim must end the session naming the field, never crash):
 *   status-first (STATUS before HELLO) | hello-twice | huge-length (length 0xFFFFFFFF) |
 *   bad-flags | bad-json (STATUS "{") | bad-log-level | bad-slot (output width past max_width) |
 *   bad-row-bytes (row_bytes * height past the slot) | bad-exchange (output word 0xFF) |
 *   wrong-direction (sends FRAME_READY). And one that is valid though unusual: log-nul (a LOG whose
 *   text holds U+0000).
 *   big-status (valid: one STATUS of 60,000 bytes whose "error" ends in "END-OF-ERROR", as a host
 *   reports a long provider error).
 * SFX_FAKE_HOST_FIRST_OUTPUT sets the first output sequence (default 0xFFFFFFF8, so the shim's
 * output side crosses the wrap within a few frames).
 * SFX_FAKE_HOST_DELAY_MS (0..60000) makes every frame take that long, heartbeating all the while: a
 * slow model in a live host, which the shim must wait for, never restart.
 */
#include "test-host.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct test_host g_host;

static void queue(const uint8_t *msg, size_t n)
{
	if (!test_host_queue(&g_host, msg, n))
		exit(5);
}

#define BIG_STATUS_BYTES 60000
#define BEAT_MS          100 /* a slow frame's work beats this often */

struct fake_host {
	const char *mode;
	int delay_ms;
	struct sfx_wake *timer; /* never signalled: a slow frame's work is waits on it */
	uint32_t out_seq;
	bool have_in;
	uint32_t last_in;
	uint32_t answered;
};

/* One input frame, inverted or copied (or made wrong, by mode) into the output. */
static int answer_frame(struct fake_host *fh)
{
	struct test_host *th = &g_host;
	struct sfx_region_header *h = th->region;
	uint32_t stride = h->slot_stride, max_w = h->max_width, max_h = h->max_height;
	const char *mode = fh->mode;
	char err[256];
	uint8_t msg[256];
	int t = sfx_triple_take(&th->in_r, err, sizeof(err));
	if (t < 0) {
		fprintf(stderr, "fake-host: input exchange: %s\n", err);
		return 6;
	}
	if (t == 0)
		return TEST_HOST_CONTINUE; /* coalesced: newest already done */
	uint8_t *in = sfx_region_slot(th->base, stride, SFX_DIR_INPUT, th->in_r.front);
	struct sfx_slot_header ih;
	memcpy(&ih, in, sizeof(ih));
	if (!sfx_slot_validate(&ih, max_w, max_h, stride, err, sizeof(err))) {
		fprintf(stderr, "fake-host: input slot: %s\n", err);
		return 6;
	}
	if (fh->have_in && !sfx_seq_newer(ih.sequence, fh->last_in)) {
		fprintf(stderr, "fake-host: input %" PRIu32 " not newer than %" PRIu32 "\n", ih.sequence, fh->last_in);
		return TEST_HOST_CONTINUE;
	}
	fh->have_in = true;
	fh->last_in = ih.sequence;
	uint64_t t0 = sfx_monotonic_ns();
	/* The simulated model's run time (the workload, not synchronisation), alive by heartbeat. */
	while (fh->delay_ms > 0 && sfx_monotonic_ns() - t0 < (uint64_t)fh->delay_ms * 1000000ull) {
		sfx_wake_wait(fh->timer, BEAT_MS);
		atomic_fetch_add(&h->host_heartbeat, 1);
	}
	uint8_t *out = sfx_region_slot(th->base, stride, SFX_DIR_OUTPUT, th->out_w.back);
	bool invert = strcmp(mode, "identity") != 0;
	for (uint32_t y = 0; y < ih.height; y++) {
		const uint8_t *src = in + SFX_SLOT_HEADER_SIZE + (size_t)y * ih.row_bytes;
		uint8_t *dst = out + SFX_SLOT_HEADER_SIZE + (size_t)y * ih.row_bytes;
		for (uint32_t x = 0; x < ih.width * 4; x++)
			dst[x] = (invert && (x & 3) != 3) ? (uint8_t)(255 - src[x]) : src[x];
	}
	struct sfx_slot_header oh = ih;
	if (strcmp(mode, "bad-slot") == 0)
		oh.width = max_w + 1;
	if (strcmp(mode, "bad-row-bytes") == 0)
		oh.row_bytes = stride; /* * height > stride - 64 */
	oh.sequence = fh->out_seq++;
	oh.source_sequence = ih.sequence;
	oh.process_us = (uint32_t)((sfx_monotonic_ns() - t0) / 1000);
	memcpy(out, &oh, sizeof(oh));
	if (strcmp(mode, "bad-exchange") == 0)
		atomic_store(&h->output_exchange, 0xFFu); /* instead of publishing */
	else if (!sfx_triple_publish(&th->out_w, err, sizeof(err))) {
		fprintf(stderr, "fake-host: output exchange: %s\n", err);
		return 6;
	}
	uint32_t done[3] = {oh.sequence, oh.source_sequence, oh.process_us};
	queue(msg, sfx_msg_encode_u32s(msg, sizeof(msg), SFX_MSG_FRAME_DONE, done, 3));
	/* A slow frame's FRAME_DONE goes out now, not after the rest of the received batch (each of
	 * which may take another slow frame), as a real host sends it. */
	if (fh->delay_ms > 0 && !sfx_outq_flush(&th->out, th->conn))
		return 0; /* the shim is gone */
	return TEST_HOST_CONTINUE;
}

static int on_message(void *ctx, const struct sfx_msg *m)
{
	struct fake_host *fh = ctx;
	const char *mode = fh->mode;
	if (m->type == SFX_MSG_CONFIGURE) {
		uint8_t msg[256];
		char text[128];
		snprintf(text, sizeof(text), "configured with %" PRIu32 " bytes", m->length);
		queue(msg, sfx_msg_encode_log(msg, sizeof(msg), 3, text));
		return TEST_HOST_CONTINUE;
	}
	if (m->type != SFX_MSG_FRAME_READY)
		return TEST_HOST_CONTINUE;
	if (strcmp(mode, "crash") == 0)
		return 3;
	if (strcmp(mode, "crash-late") == 0 && fh->answered++ >= 30)
		return 3;
	if (strcmp(mode, "stall") == 0)
		return TEST_HOST_CONTINUE; /* alive (heartbeat) but never answers a frame */
	if (strcmp(mode, "hang") == 0) {
		/* Simulates a stuck host: no heartbeat, no replies, until killed. */
		struct sfx_wake *never = sfx_wake_create();
		sfx_wake_wait(never, 60000);
		return 7;
	}
	return answer_frame(fh);
}

int main(int argc, char **argv)
{
	int rc = test_host_args(&g_host, "fake-host", "fake-host", argc, argv);
	if (rc)
		return rc;
	struct fake_host fh = {0};
	fh.mode = getenv("SFX_FAKE_HOST_MODE");
	if (!fh.mode || !fh.mode[0])
		fh.mode = "invert";
	const char *mode = fh.mode;
	const char *first = getenv("SFX_FAKE_HOST_FIRST_OUTPUT");
	fh.out_seq = first ? (uint32_t)strtoul(first, NULL, 0) : 0xFFFFFFF8u;
	const char *delay = getenv("SFX_FAKE_HOST_DELAY_MS");
	fh.delay_ms = delay ? atoi(delay) : 0;
	if (fh.delay_ms < 0 || fh.delay_ms > 60000) {
		fprintf(stderr, "fake-host: SFX_FAKE_HOST_DELAY_MS: expected 0..60000, found '%s'\n", delay);
		return 2;
	}
	if (strcmp(mode, "exit-early") == 0)
		return 4;
	/* Process-lifetime, like the region and connection in g_host. */
	static struct sfx_wake *timer;
	if (fh.delay_ms > 0 && !(fh.timer = timer = sfx_wake_create()))
		return 2;
	rc = test_host_connect(&g_host);
	if (rc)
		return rc;

	uint8_t msg[256];
	bool bad_major = strcmp(mode, "bad-major") == 0;
	const char *status_first = "{\"state\":\"starting\"}";
	if (strcmp(mode, "status-first") == 0)
		queue(msg, sfx_msg_encode(msg, sizeof(msg), SFX_MSG_STATUS, status_first, strlen(status_first)));
	queue(msg, sfx_msg_encode_hello(msg, sizeof(msg), bad_major ? 2 : 1, 0, (uint32_t)getpid()));
	if (strcmp(mode, "hello-twice") == 0)
		queue(msg, sfx_msg_encode_hello(msg, sizeof(msg), 1, 0, (uint32_t)getpid()));
	if (strcmp(mode, "huge-length") == 0)
		queue((const uint8_t *)"\xFF\xFF\xFF\xFF\x05\x00\x00\x00", 8);
	if (strcmp(mode, "bad-flags") == 0)
		queue((const uint8_t *)"\x00\x00\x00\x00\x63\x00\x01\x00", 8);
	if (strcmp(mode, "bad-json") == 0)
		queue(msg, sfx_msg_encode(msg, sizeof(msg), SFX_MSG_STATUS, "{", 1));
	if (strcmp(mode, "bad-log-level") == 0)
		queue(msg, sfx_msg_encode_log(msg, sizeof(msg), 9, "level nine"));
	if (strcmp(mode, "log-nul") == 0) /* valid: U+0000 is UTF-8; the session must go on */
		queue((const uint8_t *)"\x06\x00\x00\x00\x06\x00\x00\x00\x02"
				       "a\0b\0c",
		      14);
	if (strcmp(mode, "wrong-direction") == 0)
		queue(msg, sfx_msg_encode_u32s(msg, sizeof(msg), SFX_MSG_FRAME_READY, (uint32_t[]){1}, 1));
	if (strcmp(mode, "big-status") == 0) {
		static char big[BIG_STATUS_BYTES + 1];
		static uint8_t big_msg[BIG_STATUS_BYTES + SFX_MSG_HEADER_SIZE];
		const char *head = "{\"state\":\"error\",\"error\":\"";
		const char *tail = "END-OF-ERROR\"}";
		size_t hn = strlen(head), tn = strlen(tail);
		memcpy(big, head, hn);
		memset(big + hn, 'x', BIG_STATUS_BYTES - hn - tn);
		memcpy(big + BIG_STATUS_BYTES - tn, tail, tn);
		queue(big_msg, sfx_msg_encode(big_msg, sizeof(big_msg), SFX_MSG_STATUS, big, BIG_STATUS_BYTES));
	}
	queue(msg, sfx_msg_encode_log(msg, sizeof(msg), 2, "fake host ready"));
	const char *status = "{\"state\":\"ready\",\"provider\":\"fake\",\"fps\":0}";
	if (strcmp(mode, "big-status") != 0) /* the big one stays the newest */
		queue(msg, sfx_msg_encode(msg, sizeof(msg), SFX_MSG_STATUS, status, strlen(status)));
	atomic_store(&g_host.region->host_state, SFX_HOST_READY);
	return test_host_run(&g_host, on_message, NULL, &fh);
}
