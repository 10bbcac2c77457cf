/*
 * Writes seed inputs for the fuzz targets (valid message streams, a valid region with valid and
 * invalid slots), so a short run starts from deep inside the formats instead of guessing magics.
 * usage: fuzz-seeds <message seed dir> <region seed dir>
 */
#include "frame-region.h"
#include "message-codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_file(const char *dir, const char *name, const uint8_t *data, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "fuzz-seeds: cannot write %s\n", path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fuzz-seeds <message seed dir> <region seed dir>\n");
		return 2;
	}
	static uint8_t buf[1 << 16];
	size_t n = 1;
	buf[0] = 0x5A; /* chunk pattern */
	n += sfx_msg_encode_hello(buf + n, sizeof(buf) - n, 1, 0, 4242);
	const char *status = "{\"state\":\"ready\",\"provider\":\"cpu\",\"fps\":29.5,\"error\":null,\"l\":[1,2,{}]}";
	n += sfx_msg_encode(buf + n, sizeof(buf) - n, SFX_MSG_STATUS, status, strlen(status));
	n += sfx_msg_encode_log(buf + n, sizeof(buf) - n, 2, "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
	uint32_t done[3] = {7, 6, 1234};
	n += sfx_msg_encode_u32s(buf + n, sizeof(buf) - n, SFX_MSG_FRAME_DONE, done, 3);
	n += sfx_msg_encode_u32s(buf + n, sizeof(buf) - n, SFX_MSG_FRAME_READY, done, 1);
	const char *cfg = "{\"model_dir\":\"/x\",\"prompt\":\"a \\\"cat\\\" \\u00e9\",\"strength\":-1.5e3}";
	n += sfx_msg_encode(buf + n, sizeof(buf) - n, SFX_MSG_CONFIGURE, cfg, strlen(cfg));
	n += sfx_msg_encode(buf + n, sizeof(buf) - n, 99, "skip me", 7); /* unknown type: skipped */
	n += sfx_msg_encode(buf + n, sizeof(buf) - n, SFX_MSG_SHUTDOWN, NULL, 0);
	write_file(argv[1], "stream-all-types", buf, n);

	/* A region of 2x2 frames: header, valid slots (incl. a padded row), and exchange operations. */
	uint32_t stride = sfx_region_slot_stride(2, 2);
	size_t total = (size_t)sfx_region_total_size(stride);
	uint8_t *region = calloc(1, total + 64);
	char err[256];
	if (!sfx_region_init(region, total, 2, 2, err, sizeof(err))) {
		fprintf(stderr, "fuzz-seeds: %s\n", err);
		return 1;
	}
	for (int dir = 0; dir < 2; dir++)
		for (uint32_t i = 0; i < 3; i++) {
			struct sfx_slot_header sh = {.sequence = i,
						     .source_sequence = i,
						     .width = 2,
						     .height = 2,
						     .row_bytes = 8 + 4 * (i == 1),
						     .pixel_format = 1 + (i & 1)};
			if (i == 2)
				sh.row_bytes = 8;
			memcpy(sfx_region_slot(region, stride, (enum sfx_direction)dir, i), &sh, sizeof(sh));
		}
	write_file(argv[2], "region-2x2", region, total);
	/* The same with a tail of triple-buffer operations (publish, take, check, corrupt). */
	static const uint8_t ops[] = {0, 3, 1, 3, 0, 0, 3, 1, 1, 3, 0, 1, 2, 1, 0, 3};
	uint8_t *with_ops = malloc(total + sizeof(ops));
	memcpy(with_ops, region, total);
	memcpy(with_ops + total, ops, sizeof(ops));
	write_file(argv[2], "region-2x2-ops", with_ops, total + sizeof(ops));
	free(with_ops);
	free(region);
	return 0;
}
