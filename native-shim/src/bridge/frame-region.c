#include "frame-region.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define FAIL(...)                                                                                                      \
	do {                                                                                                           \
		if (err && err_cap)                                                                                    \
			snprintf(err, err_cap, __VA_ARGS__);                                                           \
		return false;                                                                                          \
	} while (0)

uint32_t sfx_region_slot_stride(uint32_t max_width, uint32_t max_height)
{
	if (max_width < 1 || max_width > SFX_MAX_DIMENSION || max_height < 1 || max_height > SFX_MAX_DIMENSION)
		return 0;
	uint64_t bytes = SFX_SLOT_HEADER_SIZE + (uint64_t)max_width * max_height * 4u;
	bytes = (bytes + SFX_SLOT_ALIGN - 1) / SFX_SLOT_ALIGN * SFX_SLOT_ALIGN;
	return bytes > UINT32_MAX ? 0 : (uint32_t)bytes;
}

uint64_t sfx_region_total_size(uint32_t slot_stride)
{
	return SFX_REGION_HEADER_SIZE + 2u * SFX_SLOT_COUNT * (uint64_t)slot_stride;
}

bool sfx_region_init(void *base, size_t mapped_size, uint32_t max_width, uint32_t max_height, char *err, size_t err_cap)
{
	uint32_t stride = sfx_region_slot_stride(max_width, max_height);
	if (stride == 0)
		FAIL("frame size %" PRIu32 "x%" PRIu32 " is outside 1..%u", max_width, max_height, SFX_MAX_DIMENSION);
	uint64_t total = sfx_region_total_size(stride);
	if ((uint64_t)mapped_size != total)
		FAIL("region_size: expected %" PRIu64 " for %" PRIu32 "x%" PRIu32 ", mapped %zu", total, max_width,
		     max_height, mapped_size);
	struct sfx_region_header *h = base;
	memset(h, 0, sizeof(*h));
	h->magic = SFX_REGION_MAGIC;
	h->version_major = SFX_PROTOCOL_MAJOR;
	h->version_minor = SFX_PROTOCOL_MINOR;
	h->header_size = SFX_REGION_HEADER_SIZE;
	h->slot_count = SFX_SLOT_COUNT;
	h->slot_stride = stride;
	h->max_width = max_width;
	h->max_height = max_height;
	h->region_size = total;
	sfx_region_reset_exchange(base);
	return true;
}

void sfx_region_reset_exchange(void *base)
{
	struct sfx_region_header *h = base;
	atomic_store_explicit(&h->input_exchange, SFX_XCHG_INITIAL, memory_order_release);
	atomic_store_explicit(&h->output_exchange, SFX_XCHG_INITIAL, memory_order_release);
	atomic_store_explicit(&h->host_state, SFX_HOST_STARTING, memory_order_release);
	atomic_store_explicit(&h->host_heartbeat, 0, memory_order_release);
}

static bool exchange_word_ok(uint32_t w)
{
	return (w & ~(SFX_XCHG_INDEX_MASK | SFX_XCHG_FRESH)) == 0 && (w & SFX_XCHG_INDEX_MASK) <= 2;
}

/* A swap found a word no well-behaved peer writes, or our own slot in the middle: says which. */
static void describe_bad_swap(uint32_t word, uint32_t own_slot, char *err, size_t err_cap)
{
	if (err && err_cap)
		snprintf(err, err_cap,
			 "exchange word: expected bits 3-31 clear and a middle index 0..2 other than our slot %" PRIu32
			 ", found 0x%08" PRIX32,
			 own_slot, word);
}

bool sfx_region_validate(const void *base, size_t mapped_size, char *err, size_t err_cap)
{
	return sfx_region_validate_mapping(base, mapped_size, SFX_REGION_MAPPED_SLACK, err, err_cap);
}

bool sfx_region_validate_mapping(const void *base, size_t mapped_size, size_t mapped_slack, char *err, size_t err_cap)
{
	if (!base)
		FAIL("region: not mapped");
	if (mapped_size < SFX_REGION_HEADER_SIZE)
		FAIL("region_size: expected at least %u bytes, mapped %zu", SFX_REGION_HEADER_SIZE, mapped_size);
	/* One copy, then checks on the copy only: the peer may change the region under us. */
	struct sfx_region_header h;
	memcpy(&h, base, sizeof(h));
	if (h.magic != SFX_REGION_MAGIC)
		FAIL("magic: expected 0x%08X, found 0x%08" PRIX32, SFX_REGION_MAGIC, h.magic);
	if (h.version_major != SFX_PROTOCOL_MAJOR)
		FAIL("version_major: expected %d, found %u", SFX_PROTOCOL_MAJOR, (unsigned)h.version_major);
	if (h.header_size != SFX_REGION_HEADER_SIZE)
		FAIL("header_size: expected %u, found %" PRIu32, SFX_REGION_HEADER_SIZE, h.header_size);
	if (h.slot_count != SFX_SLOT_COUNT)
		FAIL("slot_count: expected %u, found %" PRIu32, SFX_SLOT_COUNT, h.slot_count);
	if (h.max_width < 1 || h.max_width > SFX_MAX_DIMENSION)
		FAIL("max_width: expected 1..%u, found %" PRIu32, SFX_MAX_DIMENSION, h.max_width);
	if (h.max_height < 1 || h.max_height > SFX_MAX_DIMENSION)
		FAIL("max_height: expected 1..%u, found %" PRIu32, SFX_MAX_DIMENSION, h.max_height);
	uint64_t min_stride = SFX_SLOT_HEADER_SIZE + (uint64_t)h.max_width * h.max_height * 4u;
	if (h.slot_stride % SFX_SLOT_ALIGN != 0 || h.slot_stride < min_stride)
		FAIL("slot_stride: expected a multiple of %u and >= %" PRIu64 ", found %" PRIu32, SFX_SLOT_ALIGN,
		     min_stride, h.slot_stride);
	uint64_t total = sfx_region_total_size(h.slot_stride);
	if (h.region_size != total)
		FAIL("region_size: expected %" PRIu64 " (256 + 6 * slot_stride), found %" PRIu64, total, h.region_size);
	if (h.region_size > (uint64_t)mapped_size || (uint64_t)mapped_size - h.region_size > mapped_slack) {
		if (mapped_slack == 0)
			FAIL("region_size: expected the mapped size %zu, found %" PRIu64, mapped_size, h.region_size);
		FAIL("region_size: expected the mapped size %zu (within %zu bytes of page rounding), found %" PRIu64,
		     mapped_size, mapped_slack, h.region_size);
	}
	/* Reserved space may carry fields of a later minor version; for 1.0 it must be zero. */
	if (h.version_minor == SFX_PROTOCOL_MINOR) {
		if (h.reserved0 != 0)
			FAIL("reserved (offset 28): expected 0, found %" PRIu32, h.reserved0);
		for (size_t i = 0; i < sizeof(h.reserved); i++)
			if (h.reserved[i] != 0)
				FAIL("reserved (offset %zu): expected 0, found %u", 56 + i, (unsigned)h.reserved[i]);
	}
	uint32_t in_x =
	    atomic_load_explicit(&((const struct sfx_region_header *)base)->input_exchange, memory_order_acquire);
	uint32_t out_x =
	    atomic_load_explicit(&((const struct sfx_region_header *)base)->output_exchange, memory_order_acquire);
	if (!exchange_word_ok(in_x))
		FAIL("input_exchange: expected index 0..2 and bits 3-31 clear, found 0x%08" PRIX32, in_x);
	if (!exchange_word_ok(out_x))
		FAIL("output_exchange: expected index 0..2 and bits 3-31 clear, found 0x%08" PRIX32, out_x);
	uint32_t state =
	    atomic_load_explicit(&((const struct sfx_region_header *)base)->host_state, memory_order_acquire);
	if (state > SFX_HOST_STOPPING)
		FAIL("host_state: expected 0..2, found %" PRIu32, state);
	return true;
}

uint8_t *sfx_region_slot(void *base, uint32_t slot_stride, enum sfx_direction dir, uint32_t index)
{
	size_t slot = (size_t)dir * SFX_SLOT_COUNT + index;
	return (uint8_t *)base + SFX_REGION_HEADER_SIZE + slot * (size_t)slot_stride;
}

bool sfx_slot_validate(const struct sfx_slot_header *s, uint32_t max_width, uint32_t max_height, uint32_t slot_stride,
		       char *err, size_t err_cap)
{
	if (s->width < 1 || s->width > max_width)
		FAIL("slot width: expected 1..%" PRIu32 ", found %" PRIu32, max_width, s->width);
	if (s->height < 1 || s->height > max_height)
		FAIL("slot height: expected 1..%" PRIu32 ", found %" PRIu32, max_height, s->height);
	if ((uint64_t)s->row_bytes < (uint64_t)s->width * 4u)
		FAIL("slot row_bytes: expected >= %" PRIu64 " (width * 4), found %" PRIu32, (uint64_t)s->width * 4u,
		     s->row_bytes);
	uint64_t capacity = slot_stride > SFX_SLOT_HEADER_SIZE ? slot_stride - SFX_SLOT_HEADER_SIZE : 0;
	if ((uint64_t)s->row_bytes * s->height > capacity)
		FAIL("slot row_bytes: row_bytes * height = %" PRIu64 " exceeds the slot capacity %" PRIu64,
		     (uint64_t)s->row_bytes * s->height, capacity);
	if (s->pixel_format != 1 && s->pixel_format != 2)
		FAIL("slot pixel_format: expected 1 (RGBA8) or 2 (BGRA8), found %" PRIu32, s->pixel_format);
	return true;
}

void sfx_triple_writer_init(struct sfx_triple_writer *w, _Atomic uint32_t *word)
{
	w->word = word;
	w->back = SFX_XCHG_INITIAL_BACK;
}

void sfx_triple_reader_init(struct sfx_triple_reader *r, _Atomic uint32_t *word)
{
	r->word = word;
	r->front = SFX_XCHG_INITIAL_FRONT;
}

bool sfx_triple_publish(struct sfx_triple_writer *w, char *err, size_t err_cap)
{
	uint32_t old = atomic_exchange_explicit(w->word, w->back | SFX_XCHG_FRESH, memory_order_acq_rel);
	uint32_t idx = old & SFX_XCHG_INDEX_MASK;
	if (!exchange_word_ok(old) || idx == w->back) {
		describe_bad_swap(old, w->back, err, err_cap);
		return false;
	}
	w->back = idx;
	return true;
}

int sfx_triple_take(struct sfx_triple_reader *r, char *err, size_t err_cap)
{
	uint32_t cur = atomic_load_explicit(r->word, memory_order_acquire);
	if (!(cur & SFX_XCHG_FRESH)) {
		if (!exchange_word_ok(cur) || (cur & SFX_XCHG_INDEX_MASK) == r->front) {
			describe_bad_swap(cur, r->front, err, err_cap);
			return -1;
		}
		return 0;
	}
	uint32_t old = atomic_exchange_explicit(r->word, r->front, memory_order_acq_rel);
	uint32_t idx = old & SFX_XCHG_INDEX_MASK;
	if (!exchange_word_ok(old) || idx == r->front) {
		describe_bad_swap(old, r->front, err, err_cap);
		return -1;
	}
	r->front = idx;
	return 1;
}
