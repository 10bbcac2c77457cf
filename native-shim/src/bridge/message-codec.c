#include "message-codec.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

size_t sfx_msg_encode(uint8_t *out, size_t cap, uint16_t type, const void *payload, size_t len)
{
	if (len > SFX_MAX_PAYLOAD || cap < SFX_MSG_HEADER_SIZE + len)
		return 0;
	put_u32(out, (uint32_t)len);
	put_u16(out + 4, type);
	put_u16(out + 6, 0);
	if (len)
		memcpy(out + SFX_MSG_HEADER_SIZE, payload, len);
	return SFX_MSG_HEADER_SIZE + len;
}

size_t sfx_msg_encode_hello(uint8_t *out, size_t cap, uint16_t major, uint16_t minor, uint32_t pid)
{
	uint8_t p[8];
	put_u16(p, major);
	put_u16(p + 2, minor);
	put_u32(p + 4, pid);
	return sfx_msg_encode(out, cap, SFX_MSG_HELLO, p, sizeof(p));
}

size_t sfx_msg_encode_u32s(uint8_t *out, size_t cap, uint16_t type, const uint32_t *values, size_t count)
{
	uint8_t p[16];
	if (count > 4)
		return 0;
	for (size_t i = 0; i < count; i++)
		put_u32(p + 4 * i, values[i]);
	return sfx_msg_encode(out, cap, type, p, 4 * count);
}

size_t sfx_msg_encode_log(uint8_t *out, size_t cap, uint8_t level, const char *text)
{
	size_t n = strlen(text);
	if (n > SFX_LOG_TEXT_MAX || cap < SFX_MSG_HEADER_SIZE + 1 + n)
		return 0;
	put_u32(out, (uint32_t)(1 + n));
	put_u16(out + 4, SFX_MSG_LOG);
	put_u16(out + 6, 0);
	out[8] = level;
	memcpy(out + 9, text, n);
	return SFX_MSG_HEADER_SIZE + 1 + n;
}

void sfx_msg_parse_hello(const struct sfx_msg *m, struct sfx_hello *out)
{
	out->major = get_u16(m->payload);
	out->minor = get_u16(m->payload + 2);
	out->pid = get_u32(m->payload + 4);
}

uint32_t sfx_msg_parse_frame_ready(const struct sfx_msg *m)
{
	return get_u32(m->payload);
}

void sfx_msg_parse_frame_done(const struct sfx_msg *m, struct sfx_frame_done *out)
{
	out->sequence = get_u32(m->payload);
	out->source_sequence = get_u32(m->payload + 4);
	out->process_us = get_u32(m->payload + 8);
}

/* ---- UTF-8 and JSON checks -------------------------------------------------------------------- */

bool sfx_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/* A syntax check only (RFC 8259), so a malformed CONFIGURE/STATUS is rejected at the boundary. */
struct json_cursor {
	const uint8_t *s;
	size_t len, pos;
	int depth;
};

#define JSON_MAX_DEPTH 64

static void json_ws(struct json_cursor *c)
{
	while (c->pos < c->len &&
	       (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' || c->s[c->pos] == '\n' || c->s[c->pos] == '\r'))
		c->pos++;
}

static bool json_lit(struct json_cursor *c, const char *lit)
{
	size_t n = strlen(lit);
	if (c->len - c->pos < n || memcmp(c->s + c->pos, lit, n) != 0)
		return false;
	c->pos += n;
	return true;
}

static bool is_hex(uint8_t ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool json_string(struct json_cursor *c)
{
	if (c->pos >= c->len || c->s[c->pos] != '"')
		return false;
	c->pos++;
	while (c->pos < c->len) {
		uint8_t ch = c->s[c->pos++];
		if (ch == '"')
			return true;
		if (ch < 0x20)
			return false;
		if (ch == '\\') {
			if (c->pos >= c->len)
				return false;
			uint8_t e = c->s[c->pos++];
			if (e == 'u') {
				if (c->len - c->pos < 4)
					return false;
				for (int k = 0; k < 4; k++)
					if (!is_hex(c->s[c->pos + k]))
						return false;
				c->pos += 4;
			} else if (!strchr("\"\\/bfnrt", e) || e == 0) {
				return false;
			}
		}
	}
	return false;
}

static bool json_digits(struct json_cursor *c)
{
	size_t start = c->pos;
	while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9')
		c->pos++;
	return c->pos > start;
}

static bool json_number(struct json_cursor *c)
{
	if (c->pos < c->len && c->s[c->pos] == '-')
		c->pos++;
	if (c->pos < c->len && c->s[c->pos] == '0')
		c->pos++;
	else if (!json_digits(c))
		return false;
	if (c->pos < c->len && c->s[c->pos] == '.') {
		c->pos++;
		if (!json_digits(c))
			return false;
	}
	if (c->pos < c->len && (c->s[c->pos] == 'e' || c->s[c->pos] == 'E')) {
		c->pos++;
		if (c->pos < c->len && (c->s[c->pos] == '+' || c->s[c->pos] == '-'))
			c->pos++;
		if (!json_digits(c))
			return false;
	}
	return true;
}

static bool json_value(struct json_cursor *c);

static bool json_container(struct json_cursor *c, uint8_t open, uint8_t close)
{
	if (++c->depth > JSON_MAX_DEPTH)
		return false;
	c->pos++; /* open */
	(void)open;
	json_ws(c);
	if (c->pos < c->len && c->s[c->pos] == close) {
		c->pos++;
		c->depth--;
		return true;
	}
	for (;;) {
		json_ws(c);
		if (open == '{') {
			if (!json_string(c))
				return false;
			json_ws(c);
			if (c->pos >= c->len || c->s[c->pos] != ':')
				return false;
			c->pos++;
		}
		if (!json_value(c))
			return false;
		json_ws(c);
		if (c->pos >= c->len)
			return false;
		if (c->s[c->pos] == ',') {
			c->pos++;
			continue;
		}
		if (c->s[c->pos] == close) {
			c->pos++;
			c->depth--;
			return true;
		}
		return false;
	}
}

static bool json_value(struct json_cursor *c)
{
	json_ws(c);
	if (c->pos >= c->len)
		return false;
	switch (c->s[c->pos]) {
	case '{':
		return json_container(c, '{', '}');
	case '[':
		return json_container(c, '[', ']');
	case '"':
		return json_string(c);
	case 't':
		return json_lit(c, "true");
	case 'f':
		return json_lit(c, "false");
	case 'n':
		return json_lit(c, "null");
	default:
		return json_number(c);
	}
}

bool sfx_json_object_valid(const uint8_t *s, size_t len)
{
	if (!sfx_utf8_valid(s, len))
		return false;
	struct json_cursor c = {s, len, 0, 0};
	json_ws(&c);
	if (c.pos >= c.len || s[c.pos] != '{')
		return false;
	if (!json_value(&c))
		return false;
	json_ws(&c);
	return c.pos == c.len;
}

/* ---- Decoder ---------------------------------------------------------------------------------- */

void sfx_msg_decoder_init(struct sfx_msg_decoder *d)
{
	d->header_have = 0;
	d->in_payload = false;
	d->payload_have = 0;
	d->skipping = false;
	d->failed = false;
	d->skipped_messages = 0;
	d->payload[0] = 0;
}

static bool known_type(uint16_t t)
{
	return t >= SFX_MSG_HELLO && t <= SFX_MSG_SHUTDOWN;
}

static const char *type_name(uint16_t t)
{
	static const char *names[] = {"?",          "HELLO",  "CONFIGURE", "FRAME_READY",
				      "FRAME_DONE", "STATUS", "LOG",       "SHUTDOWN"};
	return known_type(t) ? names[t] : "unknown";
}

#define VIOLATION(...)                                                                                                 \
	do {                                                                                                           \
		if (err && err_cap)                                                                                    \
			snprintf(err, err_cap, __VA_ARGS__);                                                           \
		d->failed = true;                                                                                      \
		return -1;                                                                                             \
	} while (0)

/* Header rules that do not need the payload. */
static int check_header(struct sfx_msg_decoder *d, char *err, size_t err_cap)
{
	uint16_t flags = get_u16(d->header + 6);
	if (d->length > SFX_MAX_PAYLOAD)
		VIOLATION("message length: expected 0..%u, found %" PRIu32, SFX_MAX_PAYLOAD, d->length);
	if (flags != 0)
		VIOLATION("message flags (type %u): expected 0, found 0x%04X", (unsigned)d->type, (unsigned)flags);
	uint32_t want = UINT32_MAX;
	switch (d->type) {
	case SFX_MSG_HELLO:
		want = 8;
		break;
	case SFX_MSG_FRAME_READY:
		want = 4;
		break;
	case SFX_MSG_FRAME_DONE:
		want = 12;
		break;
	case SFX_MSG_SHUTDOWN:
		want = 0;
		break;
	case SFX_MSG_LOG:
		if (d->length < 1 || d->length > 1 + SFX_LOG_TEXT_MAX)
			VIOLATION("LOG length: expected 1..%u, found %" PRIu32, 1 + SFX_LOG_TEXT_MAX, d->length);
		break;
	default:
		break;
	}
	if (want != UINT32_MAX && d->length != want)
		VIOLATION("%s length: expected %" PRIu32 ", found %" PRIu32, type_name(d->type), want, d->length);
	return 0;
}

static int check_payload(struct sfx_msg_decoder *d, char *err, size_t err_cap)
{
	switch (d->type) {
	case SFX_MSG_CONFIGURE:
	case SFX_MSG_STATUS:
		if (!sfx_utf8_valid(d->payload, d->length))
			VIOLATION("%s payload: expected UTF-8 text, found invalid UTF-8", type_name(d->type));
		if (!sfx_json_object_valid(d->payload, d->length))
			VIOLATION("%s payload: expected a JSON object, found malformed JSON", type_name(d->type));
		break;
	case SFX_MSG_LOG:
		if (d->payload[0] > 3)
			VIOLATION("LOG level: expected 0..3, found %u", (unsigned)d->payload[0]);
		/* U+0000 is valid UTF-8 and the protocol allows it; users of the text replace it. */
		if (!sfx_utf8_valid(d->payload + 1, d->length - 1))
			VIOLATION("LOG text: expected UTF-8, found invalid UTF-8");
		break;
	default:
		break;
	}
	return 0;
}

int sfx_msg_decoder_feed(struct sfx_msg_decoder *d, const uint8_t *data, size_t len, size_t *consumed,
			 struct sfx_msg *out, char *err, size_t err_cap)
{
	size_t pos = 0;
	if (d->failed) {
		*consumed = 0;
		if (err && err_cap)
			snprintf(err, err_cap, "stream already ended by an earlier violation");
		return -1;
	}
	while (pos < len || (d->in_payload && d->payload_have == d->length)) {
		if (!d->in_payload) {
			size_t take = SFX_MSG_HEADER_SIZE - d->header_have;
			if (take > len - pos)
				take = len - pos;
			memcpy(d->header + d->header_have, data + pos, take);
			d->header_have += take;
			pos += take;
			if (d->header_have < SFX_MSG_HEADER_SIZE)
				break;
			d->length = get_u32(d->header);
			d->type = get_u16(d->header + 4);
			d->payload_have = 0;
			if (check_header(d, err, err_cap) < 0) {
				*consumed = pos;
				return -1;
			}
			d->in_payload = true;
			d->skipping = !known_type(d->type);
		}
		if (d->payload_have < d->length) {
			size_t take = d->length - d->payload_have;
			if (take > len - pos)
				take = len - pos;
			if (!d->skipping)
				memcpy(d->payload + d->payload_have, data + pos, take);
			d->payload_have += (uint32_t)take;
			pos += take;
			if (d->payload_have < d->length)
				break;
		}
		/* Complete. */
		d->in_payload = false;
		d->header_have = 0;
		if (d->skipping) {
			d->skipped_messages++;
			continue;
		}
		d->payload[d->length] = 0;
		if (check_payload(d, err, err_cap) < 0) {
			*consumed = pos;
			return -1;
		}
		out->type = d->type;
		out->length = d->length;
		out->payload = d->payload;
		*consumed = pos;
		return 1;
	}
	*consumed = pos;
	return 0;
}
