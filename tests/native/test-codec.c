/* Control-message codec (protocol section 5/6): round trips, any split of the byte stream, and
 * every framing violation reported with the field, the expected and the found value. */
#include "message-codec.h"
#include "test-check.h"

#include <stdlib.h>

static struct sfx_msg_decoder *g_dec;

/* Feeds `len` bytes in chunks of `chunk` and collects up to 8 messages (type and a payload copy). */
struct collected {
	int count;
	uint16_t types[8];
	uint32_t lengths[8];
	uint8_t payloads[8][256];
	int result; /* last feed result: -1 violation */
	char err[256];
};

static void feed_all(const uint8_t *bytes, size_t len, size_t chunk, struct collected *c)
{
	memset(c, 0, sizeof(*c));
	sfx_msg_decoder_init(g_dec);
	for (size_t off = 0; off < len;) {
		size_t n = len - off < chunk ? len - off : chunk;
		size_t pos = 0;
		while (pos < n) {
			struct sfx_msg m;
			size_t used = 0;
			int r =
			    sfx_msg_decoder_feed(g_dec, bytes + off + pos, n - pos, &used, &m, c->err, sizeof(c->err));
			pos += used;
			c->result = r;
			if (r < 0)
				return;
			if (r == 0)
				break;
			if (c->count < 8) {
				c->types[c->count] = m.type;
				c->lengths[c->count] = m.length;
				memcpy(c->payloads[c->count], m.payload, m.length < 256 ? m.length : 256);
				CHECK(m.payload[m.length] == 0);
			}
			c->count++;
		}
		off += n;
	}
}

static size_t build_stream(uint8_t *buf, size_t cap)
{
	size_t n = 0;
	n += sfx_msg_encode_hello(buf + n, cap - n, 1, 0, 4242);
	const char *cfg = "{\"strength\": 0.5, \"prompt\": \"caf\xc3\xa9\", \"list\": [1, 2e3, -0.5, true, null]}";
	n += sfx_msg_encode(buf + n, cap - n, SFX_MSG_CONFIGURE, cfg, strlen(cfg));
	uint32_t seq = 0xFFFFFFFFu;
	n += sfx_msg_encode_u32s(buf + n, cap - n, SFX_MSG_FRAME_READY, &seq, 1);
	uint32_t done[3] = {7, 0xFFFFFFFFu, 1234};
	n += sfx_msg_encode_u32s(buf + n, cap - n, SFX_MSG_FRAME_DONE, done, 3);
	n += sfx_msg_encode_log(buf + n, cap - n, 2, "model loaded");
	n += sfx_msg_encode(buf + n, cap - n, SFX_MSG_SHUTDOWN, NULL, 0);
	return n;
}

static void check_stream(const struct collected *c)
{
	CHECK_MSG(c->result >= 0, "%s", c->err);
	CHECK(c->count == 6);
	CHECK(c->types[0] == SFX_MSG_HELLO && c->lengths[0] == 8);
	struct sfx_msg m = {SFX_MSG_HELLO, 8, c->payloads[0]};
	struct sfx_hello h;
	sfx_msg_parse_hello(&m, &h);
	CHECK(h.major == 1 && h.minor == 0 && h.pid == 4242);
	CHECK(c->types[1] == SFX_MSG_CONFIGURE);
	CHECK(memcmp(c->payloads[1], "{\"strength\"", 11) == 0);
	m = (struct sfx_msg){SFX_MSG_FRAME_READY, 4, c->payloads[2]};
	CHECK(c->types[2] == SFX_MSG_FRAME_READY && sfx_msg_parse_frame_ready(&m) == 0xFFFFFFFFu);
	m = (struct sfx_msg){SFX_MSG_FRAME_DONE, 12, c->payloads[3]};
	struct sfx_frame_done d;
	sfx_msg_parse_frame_done(&m, &d);
	CHECK(c->types[3] == SFX_MSG_FRAME_DONE && d.sequence == 7 && d.source_sequence == 0xFFFFFFFFu &&
	      d.process_us == 1234);
	CHECK(c->types[4] == SFX_MSG_LOG && c->payloads[4][0] == 2 &&
	      memcmp(c->payloads[4] + 1, "model loaded", 12) == 0);
	CHECK(c->types[5] == SFX_MSG_SHUTDOWN && c->lengths[5] == 0);
}

static void test_round_trip_and_splits(void)
{
	uint8_t buf[1024];
	size_t n = build_stream(buf, sizeof(buf));
	/* Little-endian wire layout of the first header: length 8, type 1, flags 0. */
	CHECK(buf[0] == 8 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0 && buf[4] == 1 && buf[5] == 0 && buf[6] == 0 &&
	      buf[7] == 0);
	struct collected c;
	for (size_t chunk = 1; chunk <= n; chunk++) {
		feed_all(buf, n, chunk, &c);
		check_stream(&c);
	}
}

static void expect_violation(const uint8_t *bytes, size_t len, const char *needle1, const char *needle2)
{
	struct collected c;
	for (size_t chunk = 1; chunk <= len; chunk = chunk * 2 + 1) {
		feed_all(bytes, len, chunk, &c);
		CHECK_MSG(c.result == -1, "accepted (chunk %zu), expected a violation about %s", chunk, needle1);
		CHECK_CONTAINS(c.err, needle1);
		CHECK_CONTAINS(c.err, needle2);
		CHECK_CONTAINS(c.err, "expected");
		CHECK_CONTAINS(c.err, "found");
	}
}

static void header(uint8_t *p, uint32_t len, uint16_t type, uint16_t flags)
{
	p[0] = (uint8_t)len;
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)(len >> 16);
	p[3] = (uint8_t)(len >> 24);
	p[4] = (uint8_t)type;
	p[5] = (uint8_t)(type >> 8);
	p[6] = (uint8_t)flags;
	p[7] = (uint8_t)(flags >> 8);
}

static void test_violations(void)
{
	uint8_t b[64] = {0};
	/* Headers alone are wrong: a length over the limit, flags, a type's fixed length (the payload
	 * bytes fed are zeros). */
	static const struct {
		uint32_t length;
		uint16_t type, flags;
		size_t fed;
		const char *field, *found;
	} bad_headers[] = {
	    {65537, SFX_MSG_STATUS, 0, 8, "length", "65537"},
	    {0xFFFFFFFFu, 99, 0, 8, "length", "4294967295"},
	    {4, SFX_MSG_FRAME_READY, 1, 12, "flags", "0x0001"},
	    {8, SFX_MSG_FRAME_DONE, 0, 16, "FRAME_DONE length", "found 8"},
	    {4, SFX_MSG_HELLO, 0, 12, "HELLO length", "found 4"},
	    {1, SFX_MSG_SHUTDOWN, 0, 9, "SHUTDOWN length", "found 1"},
	    {0, SFX_MSG_LOG, 0, 8, "LOG length", "found 0"},
	};
	for (size_t i = 0; i < sizeof(bad_headers) / sizeof(bad_headers[0]); i++) {
		header(b, bad_headers[i].length, bad_headers[i].type, bad_headers[i].flags);
		expect_violation(b, bad_headers[i].fed, bad_headers[i].field, bad_headers[i].found);
	}
	header(b, 3, SFX_MSG_LOG, 0);
	b[8] = 9;
	b[9] = 'h';
	b[10] = 'i';
	expect_violation(b, 11, "LOG level", "found 9");
	header(b, 3, SFX_MSG_LOG, 0);
	b[8] = 1;
	b[9] = 0xC3;
	b[10] = 0x28;
	expect_violation(b, 11, "LOG text", "invalid UTF-8");
	/* U+0000 is valid UTF-8: a LOG carrying one is accepted (the C# host can send it). */
	header(b, 4, SFX_MSG_LOG, 0);
	memcpy(b + 8,
	       "\x01"
	       "a\0b",
	       4);
	struct collected nul;
	feed_all(b, 12, 12, &nul);
	CHECK(nul.result >= 0 && nul.count == 1 && nul.types[0] == SFX_MSG_LOG);
	const char *bad_json = "{\"a\": }";
	header(b, (uint32_t)strlen(bad_json), SFX_MSG_STATUS, 0);
	memcpy(b + 8, bad_json, strlen(bad_json));
	expect_violation(b, 8 + strlen(bad_json), "STATUS payload", "JSON");
	header(b, 2, SFX_MSG_CONFIGURE, 0);
	b[8] = '[';
	b[9] = ']';
	expect_violation(b, 10, "CONFIGURE payload", "JSON object");
	header(b, 4, SFX_MSG_CONFIGURE, 0);
	memcpy(b + 8, "{\xed\xa0\x80", 4); /* a UTF-16 surrogate in UTF-8 */
	expect_violation(b, 12, "CONFIGURE payload", "UTF-8");

	/* After a violation the decoder stays failed. */
	header(b, 4, SFX_MSG_FRAME_READY, 2);
	sfx_msg_decoder_init(g_dec);
	struct sfx_msg m;
	size_t used;
	char err[200];
	CHECK(sfx_msg_decoder_feed(g_dec, b, 12, &used, &m, err, sizeof(err)) == -1);
	header(b, 0, SFX_MSG_SHUTDOWN, 0);
	CHECK(sfx_msg_decoder_feed(g_dec, b, 8, &used, &m, err, sizeof(err)) == -1);
}

static void test_unknown_skipped(void)
{
	static uint8_t buf[70000];
	size_t n = 0;
	uint8_t junk[300];
	memset(junk, 0xEE, sizeof(junk));
	n += sfx_msg_encode(buf + n, sizeof(buf) - n, 42, junk, sizeof(junk));
	uint32_t seq = 5;
	n += sfx_msg_encode_u32s(buf + n, sizeof(buf) - n, SFX_MSG_FRAME_READY, &seq, 1);
	n += sfx_msg_encode(buf + n, sizeof(buf) - n, 1000, NULL, 0);
	/* An unknown type may carry the maximum payload. */
	static uint8_t big[65536];
	n += sfx_msg_encode(buf + n, sizeof(buf) - n, 0xFFFF, big, sizeof(big));
	n += sfx_msg_encode(buf + n, sizeof(buf) - n, SFX_MSG_SHUTDOWN, NULL, 0);
	struct collected c;
	for (size_t chunk = 1; chunk <= n; chunk = chunk * 3 + 1) {
		feed_all(buf, n, chunk, &c);
		CHECK_MSG(c.result >= 0, "%s", c.err);
		CHECK(c.count == 2 && c.types[0] == SFX_MSG_FRAME_READY && c.types[1] == SFX_MSG_SHUTDOWN);
		CHECK(g_dec->skipped_messages == 3);
	}
}

static void test_encode_limits(void)
{
	static uint8_t buf[70000];
	static uint8_t payload[65537];
	CHECK(sfx_msg_encode(buf, sizeof(buf), SFX_MSG_STATUS, payload, 65536) == 65544);
	CHECK(sfx_msg_encode(buf, sizeof(buf), SFX_MSG_STATUS, payload, 65537) == 0);
	CHECK(sfx_msg_encode(buf, 10, SFX_MSG_FRAME_READY, payload, 4) == 0);
	char text[4098];
	memset(text, 'x', sizeof(text));
	text[4096] = 0;
	CHECK(sfx_msg_encode_log(buf, sizeof(buf), 1, text) == 8 + 1 + 4096);
	text[4096] = 'x';
	text[4097] = 0;
	CHECK(sfx_msg_encode_log(buf, sizeof(buf), 1, text) == 0);
}

static void test_text_checks(void)
{
	CHECK(sfx_utf8_valid((const uint8_t *)"plain", 5));
	CHECK(sfx_utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80", 4));
	CHECK(!sfx_utf8_valid((const uint8_t *)"\xc0\xaf", 2));         /* overlong */
	CHECK(!sfx_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	CHECK(!sfx_utf8_valid((const uint8_t *)"\xe2\x82", 2));         /* truncated */
	const char *good[] = {"{}", " { \"a\" : { \"b\" : [ ] } } ", "{\"s\":\"\\u00e9\\n\"}", "{\"n\":-0.0e+1}"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK_MSG(sfx_json_object_valid((const uint8_t *)good[i], strlen(good[i])), "%s", good[i]);
	const char *bad[] = {"",           "{",           "{\"a\":1,}",  "{\"a\" 1}",       "{a:1}",
			     "{\"a\":01}", "{\"a\":1} x", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\x01\"}",
			     "\"str\""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(!sfx_json_object_valid((const uint8_t *)bad[i], strlen(bad[i])), "%s", bad[i]);
	char deep[300];
	memset(deep, '[', sizeof(deep));
	memcpy(deep, "{\"a\":", 5);
	CHECK(!sfx_json_object_valid((const uint8_t *)deep, sizeof(deep)));
}

int main(void)
{
	g_dec = malloc(sizeof(*g_dec));
	test_round_trip_and_splits();
	test_violations();
	test_unknown_skipped();
	test_encode_limits();
	test_text_checks();
	free(g_dec);
	return test_summary("test-codec");
}
