#include "png-writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

static uint32_t crc_update(uint32_t crc, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		crc = crc_table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
	return crc;
}

static void put_u32_be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool write_chunk(FILE *f, const char type[4], const uint8_t *data, size_t len)
{
	uint8_t header[8];
	put_u32_be(header, (uint32_t)len);
	memcpy(header + 4, type, 4);
	uint32_t crc = crc_update(0xFFFFFFFFu, (const uint8_t *)type, 4);
	crc = crc_update(crc, data, len) ^ 0xFFFFFFFFu;
	uint8_t trailer[4];
	put_u32_be(trailer, crc);
	return fwrite(header, 1, 8, f) == 8 && (len == 0 || fwrite(data, 1, len, f) == len) &&
	       fwrite(trailer, 1, 4, f) == 4;
}

bool png_write_bgra(const char *path, const uint8_t *bgra, uint32_t width, uint32_t height, size_t row_bytes)
{
	crc_init();

	/* Raw scanlines: a filter byte (0 = none) then RGBA. */
	const size_t line = 1 + (size_t)width * 4;
	const size_t raw_len = line * height;
	uint8_t *raw = malloc(raw_len);
	if (!raw)
		return false;
	for (uint32_t y = 0; y < height; y++) {
		uint8_t *dst = raw + y * line;
		const uint8_t *src = bgra + y * row_bytes;
		dst[0] = 0;
		for (uint32_t x = 0; x < width; x++) {
			dst[1 + x * 4 + 0] = src[x * 4 + 2];
			dst[1 + x * 4 + 1] = src[x * 4 + 1];
			dst[1 + x * 4 + 2] = src[x * 4 + 0];
			dst[1 + x * 4 + 3] = src[x * 4 + 3];
		}
	}

	/* zlib stream: header, stored blocks of at most 65535 bytes, Adler-32. */
	const size_t blocks = raw_len / 65535 + 1;
	const size_t z_len = 2 + raw_len + blocks * 5 + 4;
	uint8_t *z = malloc(z_len);
	if (!z) {
		free(raw);
		return false;
	}
	size_t zp = 0;
	z[zp++] = 0x78;
	z[zp++] = 0x01;
	size_t pos = 0;
	do {
		size_t n = raw_len - pos > 65535 ? 65535 : raw_len - pos;
		bool last = pos + n == raw_len;
		z[zp++] = last ? 1 : 0;
		z[zp++] = (uint8_t)n;
		z[zp++] = (uint8_t)(n >> 8);
		z[zp++] = (uint8_t)~n;
		z[zp++] = (uint8_t)(~n >> 8);
		memcpy(z + zp, raw + pos, n);
		zp += n;
		pos += n;
	} while (pos < raw_len);
	uint32_t a = 1, b = 0;
	for (size_t i = 0; i < raw_len; i++) {
		a = (a + raw[i]) % 65521;
		b = (b + a) % 65521;
	}
	put_u32_be(z + zp, (b << 16) | a);
	zp += 4;
	free(raw);

	uint8_t ihdr[13];
	put_u32_be(ihdr, width);
	put_u32_be(ihdr + 4, height);
	ihdr[8] = 8;  /* bit depth */
	ihdr[9] = 6;  /* colour type: RGBA */
	ihdr[10] = 0; /* deflate */
	ihdr[11] = 0; /* adaptive filtering */
	ihdr[12] = 0; /* no interlace */

	static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
	FILE *f = fopen(path, "wb");
	bool ok = f && fwrite(signature, 1, 8, f) == 8 && write_chunk(f, "IHDR", ihdr, sizeof(ihdr)) &&
		  write_chunk(f, "IDAT", z, zp) && write_chunk(f, "IEND", NULL, 0);
	if (f && fclose(f) != 0)
		ok = false;
	free(z);
	return ok;
}
