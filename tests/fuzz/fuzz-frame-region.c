/*
 * libFuzzer target: everything the shim and a C host read from the shared frame region
 * (frame-region.c): the region header, slot headers and the triple-buffer exchange words.
 *
 * Input layout: 256 bytes of region header (shorter inputs are zero-padded), then the rest of the
 * mapping (slots), then one byte per exchange-word operation. The mapping is a heap block of exactly the
 * size the header claims (capped at 4 MiB), so ASan reports any access outside the region.
 * Properties: a header that validates describes slots that lie inside the mapping; a slot header
 * that validates describes pixels that lie inside its slot (the last pixel byte is touched); the
 * triple buffer never hands out an index outside 0..2 or the one the other side holds, whatever the
 * peer writes into the word.
 */
#include "frame-region.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAP_CAP (4u << 20)

static void check_slots(uint8_t *base, size_t size)
{
	const struct sfx_region_header *h = (const struct sfx_region_header *)base;
	uint32_t stride = h->slot_stride, mw = h->max_width, mh = h->max_height;
	for (int dir = 0; dir < 2; dir++) {
		for (uint32_t i = 0; i < SFX_SLOT_COUNT; i++) {
			uint8_t *slot = sfx_region_slot(base, stride, (enum sfx_direction)dir, i);
			if (slot < base || slot + stride > base + size)
				abort();
			struct sfx_slot_header sh;
			memcpy(&sh, slot, sizeof(sh));
			char err[256];
			if (sfx_slot_validate(&sh, mw, mh, stride, err, sizeof(err))) {
				if ((uint64_t)sh.row_bytes * sh.height > stride - SFX_SLOT_HEADER_SIZE ||
				    (uint64_t)sh.width * 4 > sh.row_bytes)
					abort();
				volatile uint8_t last =
				    slot[SFX_SLOT_HEADER_SIZE + (size_t)sh.row_bytes * sh.height - 1];
				(void)last;
			} else if (!err[0]) {
				abort();
			}
		}
	}
}

static void exercise_triple(struct sfx_region_header *h, const uint8_t *ops, size_t n)
{
	struct sfx_triple_writer w;
	struct sfx_triple_reader r;
	sfx_region_reset_exchange(h);
	sfx_triple_writer_init(&w, &h->input_exchange);
	sfx_triple_reader_init(&r, &h->input_exchange);
	bool peer_wrote = false;
	char err[256];
	for (size_t i = 0; i < n; i++) {
		uint8_t op = ops[i];
		switch (op & 3) {
		case 0: /* our writer publishes */
			if (sfx_triple_publish(&w, err, sizeof(err))) {
				if (w.back > 2)
					abort();
			} else if (!peer_wrote || !err[0]) {
				abort(); /* only a corrupted word can be refused */
			}
			break;
		case 1: { /* our reader takes */
			int t = sfx_triple_take(&r, err, sizeof(err));
			if (t > 0 && r.front > 2)
				abort();
			if (t < 0 && (!peer_wrote || !err[0]))
				abort();
			break;
		}
		case 2: /* a hostile peer writes anything into the word */
			atomic_store(&h->input_exchange, (uint32_t)(op >> 2)); /* 0..7 look valid, 8..63 do not */
			peer_wrote = true;
			break;
		default:
			/* While nobody corrupts the word, the three owners hold three different slots. */
			if (!peer_wrote) {
				uint32_t mid = atomic_load(&h->input_exchange) & SFX_XCHG_INDEX_MASK;
				if (w.back == r.front || w.back == mid || r.front == mid)
					abort();
			}
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t header[SFX_REGION_HEADER_SIZE] = {0};
	memcpy(header, data, size < sizeof(header) ? size : sizeof(header));
	const struct sfx_region_header *claimed = (const struct sfx_region_header *)header;
	uint64_t want = claimed->region_size;
	size_t map = want >= SFX_REGION_HEADER_SIZE && want <= MAP_CAP ? (size_t)want : SFX_REGION_HEADER_SIZE;
	uint8_t *base = malloc(map);
	memset(base, 0, map);
	memcpy(base, data, size < map ? size : map);
	char err[256];
	if (sfx_region_validate(base, map, err, sizeof(err))) {
		check_slots(base, map);
	} else if (!err[0]) {
		abort();
	}
	/* A mapping shorter than the header must be refused, never read past. */
	size_t shortlen = size < SFX_REGION_HEADER_SIZE ? size : SFX_REGION_HEADER_SIZE - 1;
	uint8_t *small = malloc(shortlen ? shortlen : 1);
	memcpy(small, data, shortlen);
	if (sfx_region_validate(small, shortlen, err, sizeof(err)))
		abort();
	free(small);
	/* Bytes past the mapping drive the exchange-word operations. */
	if (size > map)
		exercise_triple((struct sfx_region_header *)base, data + map, size - map);
	free(base);
	return 0;
}
