/*
 * Control-message framing (protocol section 5): encoding, and an incremental decoder that takes
 * bytes as they arrive (any split) and yields whole, validated messages or a violation whose text
 * names the field, the expected and the found value. Unknown types are skipped without buffering.
 */
#pragma once

#include "protocol.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Encodes one message into out (cap bytes). Returns the bytes written, 0 when it does not fit or
 * the payload is longer than SFX_MAX_PAYLOAD. */
size_t sfx_msg_encode(uint8_t *out, size_t cap, uint16_t type, const void *payload, size_t len);

/* Typed payload helpers. */
size_t sfx_msg_encode_hello(uint8_t *out, size_t cap, uint16_t major, uint16_t minor, uint32_t pid);
size_t sfx_msg_encode_u32s(uint8_t *out, size_t cap, uint16_t type, const uint32_t *values, size_t count);
size_t sfx_msg_encode_log(uint8_t *out, size_t cap, uint8_t level, const char *text);

/* Payload views of a decoded message. */
struct sfx_msg {
	uint16_t type;
	uint32_t length;
	const uint8_t *payload; /* valid until the next sfx_msg_decoder_feed */
};

struct sfx_hello {
	uint16_t major, minor;
	uint32_t pid;
};

struct sfx_frame_done {
	uint32_t sequence, source_sequence, process_us;
};

void sfx_msg_parse_hello(const struct sfx_msg *m, struct sfx_hello *out);
uint32_t sfx_msg_parse_frame_ready(const struct sfx_msg *m);
void sfx_msg_parse_frame_done(const struct sfx_msg *m, struct sfx_frame_done *out);

struct sfx_msg_decoder {
	uint8_t header[SFX_MSG_HEADER_SIZE];
	size_t header_have;
	bool in_payload;
	uint16_t type;
	uint32_t length;
	uint32_t payload_have;
	bool skipping; /* unknown type: payload bytes are discarded */
	bool failed;   /* a violation ends the stream: later feeds fail too */
	uint64_t skipped_messages;
	uint8_t payload[SFX_MAX_PAYLOAD + 1]; /* +1 keeps text payloads NUL-terminated */
};

void sfx_msg_decoder_init(struct sfx_msg_decoder *d);

/* Consumes bytes from data[0..len). Returns 1 with *out filled when a message completed (call again
 * with the rest: *consumed says how far it got), 0 when all bytes were consumed without completing
 * a message, -1 on a violation (err says what). Text payloads (CONFIGURE, STATUS: UTF-8 JSON object;
 * LOG: level 0..3 and UTF-8 text) are checked here; payload[length] is always NUL. */
int sfx_msg_decoder_feed(struct sfx_msg_decoder *d, const uint8_t *data, size_t len, size_t *consumed,
			 struct sfx_msg *out, char *err, size_t err_cap);

/* Validation building blocks, exposed for tests and for encoders. */
bool sfx_utf8_valid(const uint8_t *s, size_t len);
bool sfx_json_object_valid(const uint8_t *s, size_t len);
