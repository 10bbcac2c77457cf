/*
 * libFuzzer target: the control-message decoder (message-codec.c), which reads whatever the peer
 * sends. Properties checked on every input, beyond "no crash, no out-of-bounds access":
 *  - the same bytes give the same messages (or the same violation) however they are split;
 *  - every message handed out obeys protocol section 5 (known type, length <= 65536, fixed sizes,
 *    LOG level 0..3, text payloads valid UTF-8 / JSON objects, payload NUL-terminated);
 *  - the payload views read only `length` bytes (they are parsed again from an exact-size copy);
 *  - each message re-encodes to bytes that decode to the same message;
 *  - once a violation is reported, the decoder refuses everything after it.
 * The first input byte picks the chunk size pattern; the rest is the byte stream.
 */
#include "message-codec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MSGS 512

struct digest {
	uint64_t hash;
	int count;
	int result; /* -1 violation, 0 clean end */
	uint16_t types[MAX_MSGS];
	uint32_t lengths[MAX_MSGS];
};

static uint64_t mix(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static void check_message(const struct sfx_msg *m)
{
	if (m->type < SFX_MSG_HELLO || m->type > SFX_MSG_SHUTDOWN || m->length > SFX_MAX_PAYLOAD ||
	    m->payload[m->length] != 0)
		abort();
	static const int fixed[] = {-1, 8, -1, 4, 12, -1, -1, 0};
	if (fixed[m->type] >= 0 && m->length != (uint32_t)fixed[m->type])
		abort();
	/* Parse from an exact-size heap copy: ASan catches any read past `length`. */
	uint8_t *copy = malloc(m->length ? m->length : 1);
	memcpy(copy, m->payload, m->length);
	struct sfx_msg exact = {m->type, m->length, copy};
	switch (m->type) {
	case SFX_MSG_HELLO: {
		struct sfx_hello h;
		sfx_msg_parse_hello(&exact, &h);
		break;
	}
	case SFX_MSG_FRAME_READY:
		(void)sfx_msg_parse_frame_ready(&exact);
		break;
	case SFX_MSG_FRAME_DONE: {
		struct sfx_frame_done d;
		sfx_msg_parse_frame_done(&exact, &d);
		break;
	}
	case SFX_MSG_CONFIGURE:
	case SFX_MSG_STATUS:
		if (!sfx_utf8_valid(copy, m->length) || !sfx_json_object_valid(copy, m->length))
			abort();
		break;
	case SFX_MSG_LOG:
		if (m->length < 1 || m->length > 1 + SFX_LOG_TEXT_MAX || copy[0] > 3 ||
		    !sfx_utf8_valid(copy + 1, m->length - 1))
			abort();
		break;
	default:
		break;
	}
	free(copy);

	/* Round trip through the encoder and a fresh decoder. */
	static uint8_t wire[SFX_MSG_HEADER_SIZE + SFX_MAX_PAYLOAD];
	size_t n = sfx_msg_encode(wire, sizeof(wire), m->type, m->payload, m->length);
	if (n != SFX_MSG_HEADER_SIZE + m->length)
		abort();
	static struct sfx_msg_decoder d2;
	sfx_msg_decoder_init(&d2);
	struct sfx_msg back;
	size_t used = 0;
	if (sfx_msg_decoder_feed(&d2, wire, n, &used, &back, NULL, 0) != 1 || used != n || back.type != m->type ||
	    back.length != m->length || memcmp(back.payload, m->payload, m->length) != 0)
		abort();
}

/* Feeds data in chunks from `pattern`, collecting what comes out. */
static void decode(struct sfx_msg_decoder *d, const uint8_t *data, size_t len, uint8_t pattern, struct digest *out)
{
	memset(out, 0, sizeof(*out));
	sfx_msg_decoder_init(d);
	size_t pos = 0;
	unsigned step = 0;
	while (pos < len) {
		size_t chunk = pattern == 0 ? len - pos : (size_t)((pattern >> (step++ % 8)) & 7) * 3 + 1;
		if (chunk > len - pos)
			chunk = len - pos;
		size_t off = 0;
		while (off < chunk) {
			struct sfx_msg m;
			size_t used = 0;
			char err[200];
			int r = sfx_msg_decoder_feed(d, data + pos + off, chunk - off, &used, &m, err, sizeof(err));
			if (used > chunk - off)
				abort();
			off += used;
			if (r < 0) {
				if (!err[0])
					abort(); /* a violation always says why */
				/* Sticky: nothing more is accepted. */
				size_t u2 = 0;
				if (sfx_msg_decoder_feed(d, (const uint8_t *)"\0\0\0\0\1\0\0\0", 8, &u2, &m, NULL, 0) !=
				    -1)
					abort();
				out->result = -1;
				return;
			}
			if (r == 0) {
				if (off != chunk)
					abort(); /* no message yet means every byte was taken */
				break;
			}
			check_message(&m);
			if (out->count < MAX_MSGS) {
				out->types[out->count] = m.type;
				out->lengths[out->count] = m.length;
			}
			out->count++;
			out->hash = mix(out->hash, m.payload, m.length);
		}
		pos += chunk;
	}
	out->result = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static struct sfx_msg_decoder d;
	static struct digest whole, split;
	decode(&d, data + 1, size - 1, 0, &whole);
	decode(&d, data + 1, size - 1, data[0] | 1, &split);
	if (whole.result != split.result || whole.count != split.count || whole.hash != split.hash ||
	    memcmp(whole.types, split.types, sizeof(whole.types)) != 0 ||
	    memcmp(whole.lengths, split.lengths, sizeof(whole.lengths)) != 0)
		abort();
	/* The JSON and UTF-8 checks on raw bytes too (deep nesting, truncation, odd sequences). */
	(void)sfx_json_object_valid(data, size);
	(void)sfx_utf8_valid(data, size);
	return 0;
}
