#include "test-host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int test_host_args(struct test_host *th, const char *prefix, const char *program, int argc, char **argv)
{
	memset(th, 0, sizeof(*th));
	th->prefix = prefix;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--shm") == 0)
			th->shm_name = argv[i + 1];
		else if (strcmp(argv[i], "--control") == 0)
			th->control = argv[i + 1];
	}
	if (!th->shm_name || !th->control) {
		fprintf(stderr, "usage: %s --shm <name> --control <address>\n", program);
		return 2;
	}
	return 0;
}

int test_host_connect(struct test_host *th)
{
	th->shm = sfx_shm_open(th->shm_name);
	if (!th->shm) {
		fprintf(stderr, "%s: %s\n", th->prefix, sfx_platform_error());
		return 2;
	}
	th->base = sfx_shm_data(th->shm);
	char err[256];
	if (!sfx_region_validate(th->base, sfx_shm_size(th->shm), err, sizeof(err))) {
		fprintf(stderr, "%s: region rejected: %s\n", th->prefix, err);
		return 2;
	}
	th->region = sfx_region_header(th->base);
	th->conn = sfx_conn_connect(th->control);
	if (!th->conn) {
		fprintf(stderr, "%s: %s\n", th->prefix, sfx_platform_error());
		return 2;
	}
	th->dec = malloc(sizeof(*th->dec));
	if (!th->dec) {
		fprintf(stderr, "%s: out of resources\n", th->prefix);
		return 2;
	}
	sfx_triple_reader_init(&th->in_r, &th->region->input_exchange);
	sfx_triple_writer_init(&th->out_w, &th->region->output_exchange);
	sfx_msg_decoder_init(th->dec);
	sfx_outq_init(&th->out, 1 << 20);
	return 0;
}

bool test_host_queue(struct test_host *th, const uint8_t *msg, size_t n)
{
	if (n == 0 || !sfx_outq_push(&th->out, msg, n)) {
		fprintf(stderr, "%s: outbound queue full\n", th->prefix);
		return false;
	}
	return true;
}

int test_host_run(struct test_host *th, test_host_message_fn on_message, test_host_drained_fn after_drain, void *ctx)
{
	struct sfx_region_header *h = th->region;
	char err[256];
	for (;;) {
		atomic_fetch_add(&h->host_heartbeat, 1);
		if (!sfx_outq_flush(&th->out, th->conn))
			return 0; /* shim gone */
		int ready = sfx_conn_wait(th->conn, NULL, sfx_outq_pending(&th->out) > 0, 200);
		if (!(ready & (SFX_READY_READ | SFX_READY_ERROR)))
			continue;
		uint8_t buf[4096];
		int64_t n;
		while ((n = sfx_conn_recv(th->conn, buf, sizeof(buf))) != 0) {
			if (n < 0)
				return 0; /* end of stream: the shim is gone */
			size_t off = 0;
			while (off < (size_t)n) {
				struct sfx_msg m;
				size_t used;
				int r = sfx_msg_decoder_feed(th->dec, buf + off, (size_t)n - off, &used, &m, err,
							     sizeof(err));
				off += used;
				if (r < 0) {
					fprintf(stderr, "%s: protocol violation: %s\n", th->prefix, err);
					return 6;
				}
				if (r == 0)
					break;
				if (m.type == SFX_MSG_SHUTDOWN) {
					atomic_store(&h->host_state, SFX_HOST_STOPPING);
					return 0;
				}
				int code = on_message(ctx, &m);
				if (code != TEST_HOST_CONTINUE)
					return code;
			}
		}
		if (after_drain) {
			int code = after_drain(ctx);
			if (code != TEST_HOST_CONTINUE)
				return code;
		}
	}
}
