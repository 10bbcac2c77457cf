/* Region header init and validation (protocol section 2): a good header passes and every bad
 * field is rejected with a message naming it. */
#include "frame-region.h"
#include "test-check.h"

#include <stdlib.h>
#ifdef _WIN32
#include <malloc.h>
#endif

#define W    64
#define H    48
#define PAGE 4096u

/* The Microsoft C runtime (mingw) has no aligned_alloc; its aligned blocks need their own free. */
static void *alloc_aligned(size_t size)
{
#ifdef _WIN32
	return _aligned_malloc(size, 64);
#else
	return aligned_alloc(64, (size + 63) / 64 * 64);
#endif
}

static void free_aligned(void *p)
{
#ifdef _WIN32
	_aligned_free(p);
#else
	free(p);
#endif
}

/* The region in a block rounded up to whole pages, as a Windows view of it is. */
static uint8_t *make_region(size_t *size)
{
	uint32_t stride = sfx_region_slot_stride(W, H);
	*size = (size_t)sfx_region_total_size(stride);
	size_t paged = (*size + PAGE - 1) / PAGE * PAGE;
	uint8_t *base = alloc_aligned(paged);
	memset(base, 0xAB, paged);
	char err[256] = "";
	CHECK_MSG(sfx_region_init(base, *size, W, H, err, sizeof(err)), "%s", err);
	return base;
}

typedef void (*mutate_fn)(struct sfx_region_header *h);

static void expect_reject(const char *what, mutate_fn mutate, const char *field)
{
	size_t size;
	uint8_t *base = make_region(&size);
	mutate((struct sfx_region_header *)base);
	char err[256] = "";
	bool ok = sfx_region_validate(base, size, err, sizeof(err));
	CHECK_MSG(!ok, "%s was accepted", what);
	CHECK_CONTAINS(err, field);
	CHECK_CONTAINS(err, "expected");
	CHECK_CONTAINS(err, "found");
	free_aligned(base);
}

static void bad_magic(struct sfx_region_header *h)
{
	h->magic = 0x12345678;
}
static void bad_major(struct sfx_region_header *h)
{
	h->version_major = 2;
}
static void bad_header_size(struct sfx_region_header *h)
{
	h->header_size = 128;
}
static void bad_slot_count(struct sfx_region_header *h)
{
	h->slot_count = 2;
}
static void bad_stride_align(struct sfx_region_header *h)
{
	h->slot_stride += 1;
}
static void bad_stride_small(struct sfx_region_header *h)
{
	h->slot_stride = 64;
}
static void bad_width_zero(struct sfx_region_header *h)
{
	h->max_width = 0;
}
static void bad_width_big(struct sfx_region_header *h)
{
	h->max_width = 8193;
}
static void bad_height(struct sfx_region_header *h)
{
	h->max_height = 0;
}
static void bad_region_size(struct sfx_region_header *h)
{
	h->region_size += 64;
}
static void bad_reserved0(struct sfx_region_header *h)
{
	h->reserved0 = 1;
}
static void bad_reserved_tail(struct sfx_region_header *h)
{
	h->reserved[199] = 1;
}
static void bad_input_xchg(struct sfx_region_header *h)
{
	atomic_store(&h->input_exchange, 3);
}
static void bad_output_xchg(struct sfx_region_header *h)
{
	atomic_store(&h->output_exchange, 0x9);
}
static void bad_host_state(struct sfx_region_header *h)
{
	atomic_store(&h->host_state, 7);
}

static void test_good_header(void)
{
	size_t size;
	uint8_t *base = make_region(&size);
	const struct sfx_region_header *h = (const void *)base;
	CHECK(h->magic == 0x4F584653u);
	CHECK(memcmp(base, "SFXO", 4) == 0);
	CHECK(h->version_major == 1 && h->version_minor == 0);
	CHECK(h->header_size == 256 && h->slot_count == 3);
	CHECK(h->slot_stride % 64 == 0 && h->slot_stride >= 64 + W * H * 4);
	CHECK(h->region_size == 256 + 6ull * h->slot_stride);
	CHECK(atomic_load(&((struct sfx_region_header *)base)->input_exchange) == 1);
	CHECK(atomic_load(&((struct sfx_region_header *)base)->output_exchange) == 1);
	for (size_t i = 56; i < 256; i++)
		CHECK(base[i] == 0);
	char err[256] = "";
	CHECK_MSG(sfx_region_validate(base, size, err, sizeof(err)), "%s", err);

	/* Mapped size must match the header, within this OS's page rounding (none on POSIX). */
	CHECK(!sfx_region_validate(base, size + SFX_REGION_MAPPED_SLACK + 1, err, sizeof(err)));
	CHECK_CONTAINS(err, "region_size");
	CHECK(!sfx_region_validate(base, 100, err, sizeof(err)));
	CHECK_CONTAINS(err, "region_size");
	CHECK(!sfx_region_validate(base, size - 1, err, sizeof(err)));
	CHECK_CONTAINS(err, "region_size");

	/* A later minor may use reserved space. */
	((struct sfx_region_header *)base)->version_minor = 3;
	((struct sfx_region_header *)base)->reserved[10] = 42;
	CHECK_MSG(sfx_region_validate(base, size, err, sizeof(err)), "%s", err);
	free_aligned(base);
}

/* Windows reports a view of the region rounded up to the page (VirtualQuery): the size the shim's
 * CreateFileMapping got, 74368 for 64x48, maps as 77824. That must pass there and nowhere else. */
static void test_page_rounded_mapping(void)
{
	size_t size;
	uint8_t *base = make_region(&size);
	size_t paged = (size + PAGE - 1) / PAGE * PAGE;
	CHECK(paged > size); /* 64x48 is not a whole number of pages, or this proves nothing */
	char err[256] = "";
	CHECK_MSG(sfx_region_validate_mapping(base, paged, PAGE - 1, err, sizeof(err)), "%s", err);
	CHECK_MSG(sfx_region_validate_mapping(base, size, PAGE - 1, err, sizeof(err)), "%s", err);
	CHECK(!sfx_region_validate_mapping(base, size + PAGE, PAGE - 1, err, sizeof(err)));
	CHECK_CONTAINS(err, "within 4095 bytes");
	CHECK(!sfx_region_validate_mapping(base, paged, 0, err, sizeof(err)));
	CHECK_CONTAINS(err, "region_size: expected the mapped size");
	err[0] = '\0';
	bool ok = sfx_region_validate(base, paged, err, sizeof(err));
#ifdef _WIN32
	CHECK_MSG(ok, "page-rounded view of %zu bytes as %zu refused on Windows: %s", size, paged, err);
#else
	CHECK_MSG(!ok, "page-rounded size %zu accepted for a %zu-byte POSIX object", paged, size);
#endif
	free_aligned(base);
}

static void test_init_rejects(void)
{
	char err[256] = "";
	uint8_t buf[512];
	CHECK(!sfx_region_init(buf, sizeof(buf), 0, 10, err, sizeof(err)));
	CHECK(!sfx_region_init(buf, sizeof(buf), 8193, 10, err, sizeof(err)));
	CHECK(!sfx_region_init(buf, sizeof(buf), 4, 4, err, sizeof(err)));
	CHECK_CONTAINS(err, "region_size");
	CHECK(sfx_region_slot_stride(8192, 8192) == 64 + 8192u * 8192u * 4u);
	CHECK(sfx_region_slot_stride(1, 1) == 128);
	CHECK(sfx_region_slot_stride(3, 1) == 128);
	CHECK(sfx_region_slot_stride(13, 1) == 128);
	CHECK(sfx_region_slot_stride(17, 1) == 192);
}

static void test_slot_validate(void)
{
	uint32_t stride = sfx_region_slot_stride(W, H);
	struct sfx_slot_header s = {.sequence = 1, .width = W, .height = H, .row_bytes = W * 4, .pixel_format = 1};
	char err[256] = "";
	CHECK_MSG(sfx_slot_validate(&s, W, H, stride, err, sizeof(err)), "%s", err);
	struct {
		struct sfx_slot_header s;
		const char *field;
	} bad[] = {
	    {{.width = 0, .height = H, .row_bytes = W * 4, .pixel_format = 1}, "width"},
	    {{.width = W + 1, .height = H, .row_bytes = (W + 1) * 4, .pixel_format = 1}, "width"},
	    {{.width = W, .height = 0, .row_bytes = W * 4, .pixel_format = 1}, "height"},
	    {{.width = W, .height = H + 1, .row_bytes = W * 4, .pixel_format = 2}, "height"},
	    {{.width = W, .height = H, .row_bytes = W * 4 - 1, .pixel_format = 1}, "row_bytes"},
	    {{.width = W, .height = H, .row_bytes = W * 4 + 64, .pixel_format = 1}, "row_bytes"},
	    {{.width = W, .height = H, .row_bytes = W * 4, .pixel_format = 0}, "pixel_format"},
	    {{.width = W, .height = H, .row_bytes = W * 4, .pixel_format = 3}, "pixel_format"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CHECK_MSG(!sfx_slot_validate(&bad[i].s, W, H, stride, err, sizeof(err)), "case %zu accepted", i);
		CHECK_CONTAINS(err, bad[i].field);
	}
	/* A narrower frame may use padding up to the capacity. */
	struct sfx_slot_header narrow = {.width = 10, .height = H, .row_bytes = W * 4, .pixel_format = 2};
	CHECK(sfx_slot_validate(&narrow, W, H, stride, err, sizeof(err)));
}

int main(void)
{
	test_good_header();
	test_page_rounded_mapping();
	test_init_rejects();
	test_slot_validate();
	expect_reject("magic", bad_magic, "magic");
	expect_reject("major", bad_major, "version_major");
	expect_reject("header_size", bad_header_size, "header_size");
	expect_reject("slot_count", bad_slot_count, "slot_count");
	expect_reject("stride alignment", bad_stride_align, "slot_stride");
	expect_reject("stride size", bad_stride_small, "slot_stride");
	expect_reject("width 0", bad_width_zero, "max_width");
	expect_reject("width 8193", bad_width_big, "max_width");
	expect_reject("height", bad_height, "max_height");
	expect_reject("region_size", bad_region_size, "region_size");
	expect_reject("reserved0", bad_reserved0, "reserved");
	expect_reject("reserved tail", bad_reserved_tail, "offset 255");
	expect_reject("input exchange", bad_input_xchg, "input_exchange");
	expect_reject("output exchange", bad_output_xchg, "output_exchange");
	expect_reject("host_state", bad_host_state, "host_state");
	return test_summary("test-frame-region");
}
