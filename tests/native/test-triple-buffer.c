/* Triple-buffer semantics (protocol section 3): latest frame wins, the three slots are always
 * owned by three different parties, indices stay valid, across random and concurrent interleavings. */
#include "frame-region.h"
#include "platform.h"
#include "test-check.h"

#define WORDS 64
static uint32_t g_slots[3][WORDS];

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void fill(uint32_t slot, uint32_t value)
{
	for (int i = 0; i < WORDS; i++)
		g_slots[slot][i] = value;
}

static void test_initial_state(void)
{
	_Atomic uint32_t word = SFX_XCHG_INITIAL;
	struct sfx_triple_writer w;
	struct sfx_triple_reader r;
	sfx_triple_writer_init(&w, &word);
	sfx_triple_reader_init(&r, &word);
	CHECK(w.back == 0 && r.front == 2 && atomic_load(&word) == 1);
	char err[200];
	CHECK(sfx_triple_take(&r, err, sizeof(err)) == 0); /* nothing yet */
	CHECK(sfx_triple_publish(&w, err, sizeof(err)));
	CHECK(atomic_load(&word) == (0 | SFX_XCHG_FRESH) && w.back == 1);
	CHECK(sfx_triple_take(&r, err, sizeof(err)) == 1);
	CHECK(r.front == 0 && atomic_load(&word) == 2);
	CHECK(sfx_triple_take(&r, err, sizeof(err)) == 0);
}

static void test_latest_wins(void)
{
	_Atomic uint32_t word = SFX_XCHG_INITIAL;
	struct sfx_triple_writer w;
	struct sfx_triple_reader r;
	sfx_triple_writer_init(&w, &word);
	sfx_triple_reader_init(&r, &word);
	char err[200];
	for (uint32_t v = 1; v <= 5; v++) {
		fill(w.back, v);
		CHECK(sfx_triple_publish(&w, err, sizeof(err)));
	}
	CHECK(sfx_triple_take(&r, err, sizeof(err)) == 1);
	CHECK(g_slots[r.front][0] == 5);
}

/* Random single-threaded interleavings against a model. */
static void test_random_interleavings(void)
{
	char err[200];
	for (int round = 0; round < 200; round++) {
		_Atomic uint32_t word = SFX_XCHG_INITIAL;
		struct sfx_triple_writer w;
		struct sfx_triple_reader r;
		sfx_triple_writer_init(&w, &word);
		sfx_triple_reader_init(&r, &word);
		uint32_t published = 0, taken = 0;
		for (int step = 0; step < 500; step++) {
			if (rng() & 1) {
				fill(w.back, ++published);
				CHECK(sfx_triple_publish(&w, err, sizeof(err)));
			} else {
				int t = sfx_triple_take(&r, err, sizeof(err));
				CHECK(t >= 0);
				if (published != taken) {
					CHECK(t == 1);
					CHECK(g_slots[r.front][0] == published); /* newest, never an older one */
					taken = published;
				} else {
					CHECK(t == 0);
				}
			}
			uint32_t x = atomic_load(&word);
			uint32_t middle = x & 3;
			CHECK((x & ~7u) == 0 && middle <= 2 && w.back <= 2 && r.front <= 2);
			CHECK(middle != w.back && middle != r.front && w.back != r.front);
		}
	}
}

static void test_violations(void)
{
	char err[200] = "";
	_Atomic uint32_t word = SFX_XCHG_INITIAL;
	struct sfx_triple_writer w;
	struct sfx_triple_reader r;
	sfx_triple_writer_init(&w, &word);
	sfx_triple_reader_init(&r, &word);
	atomic_store(&word, 3 | SFX_XCHG_FRESH); /* index 3 */
	CHECK(sfx_triple_take(&r, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "exchange word");
	atomic_store(&word, 2 | SFX_XCHG_FRESH); /* the reader's own slot */
	CHECK(sfx_triple_take(&r, err, sizeof(err)) == -1);
	atomic_store(&word, 0x10 | 1); /* reserved bits */
	CHECK(sfx_triple_take(&r, err, sizeof(err)) == -1);
	atomic_store(&word, 0); /* the writer's own slot */
	CHECK(!sfx_triple_publish(&w, err, sizeof(err)));
	CHECK_CONTAINS(err, "found 0x00000000");
}

/* Concurrent: a writer thread publishes frames filled with their number; the reader must only ever
 * see whole frames (no slot shared with the writer) in strictly increasing order, ending on the last. */
#define FRAMES 100000
static _Atomic uint32_t g_word;
static atomic_int g_writer_errors;

static void writer_thread(void *arg)
{
	struct sfx_wake *done = arg;
	struct sfx_triple_writer w;
	sfx_triple_writer_init(&w, &g_word);
	char err[200];
	for (uint32_t v = 1; v <= FRAMES; v++) {
		fill(w.back, v);
		if (!sfx_triple_publish(&w, err, sizeof(err)))
			atomic_fetch_add(&g_writer_errors, 1);
	}
	sfx_wake_signal(done);
}

static void test_concurrent(void)
{
	atomic_store(&g_word, SFX_XCHG_INITIAL);
	memset(g_slots, 0, sizeof(g_slots));
	struct sfx_wake *done = sfx_wake_create();
	CHECK(done != NULL);
	struct sfx_triple_reader r;
	sfx_triple_reader_init(&r, &g_word);
	CHECK(sfx_thread_start_detached(writer_thread, done));
	uint32_t last = 0, takes = 0, torn = 0, backwards = 0, violations = 0;
	char err[200];
	while (last != FRAMES) {
		int t = sfx_triple_take(&r, err, sizeof(err));
		if (t < 0) {
			violations++;
			break;
		}
		if (t == 0)
			continue;
		takes++;
		uint32_t v = g_slots[r.front][0];
		for (int i = 1; i < WORDS; i++)
			if (g_slots[r.front][i] != v)
				torn++;
		if (v <= last)
			backwards++;
		last = v;
	}
	CHECK(sfx_wake_wait(done, 30000));
	CHECK(violations == 0);
	CHECK_MSG(torn == 0, "%u torn words", torn);
	CHECK_MSG(backwards == 0, "%u frames not newer", backwards);
	CHECK(last == FRAMES);
	CHECK(takes > 0);
	CHECK(atomic_load(&g_writer_errors) == 0);
	printf("concurrent: %u takes of %u frames\n", takes, FRAMES);
	sfx_wake_destroy(done);
}

int main(void)
{
	test_initial_state();
	test_latest_wins();
	test_random_interleavings();
	test_violations();
	test_concurrent();
	return test_summary("test-triple-buffer");
}
