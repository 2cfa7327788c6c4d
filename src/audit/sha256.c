/*
 * sha256.c: SHA-256 with the x86 SHA extensions when the processor has
 * them, libsodium otherwise.
 *
 * The accelerated path is the standard use of SHA256RNDS2/MSG1/MSG2 from
 * Intel's "Intel SHA Extensions" paper (Gulley et al., 2013): the state is
 * kept as ABEF/CDGH, each group of four rounds adds the round constants
 * to four schedule words, and the schedule for rounds 16..63 is
 * W[g] = msg2(msg1(W[g-4], W[g-3]) + alignr(W[g-1], W[g-2]), W[g-1]),
 * kept in four registers that take turns.
 * Padding is FIPS 180-4's. Functions using the instructions carry a
 * target attribute, so no special compiler flags are needed, and they run
 * only after CPUID said the instructions exist.
 */
#include "audit/sha256.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_SHANI_CODE 1
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Four rounds with schedule words w (RNDS2 does two at a time). */
#define ROUNDS4(w, g)                                                          \
	do {                                                                   \
		msg = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[4 * (g)])); \
		st1 = _mm_sha256rnds2_epu32(st1, st0, msg);                    \
		st0 = _mm_sha256rnds2_epu32(st0, st1, _mm_shuffle_epi32(msg, 0x0E)); \
	} while (0)
/* a = W[g-4] becomes W[g] from b = W[g-3], c = W[g-2], d = W[g-1]. */
#define SCHEDULE(a, b, c, d)                                                   \
	a = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a, b),     \
					       _mm_alignr_epi8(d, c, 4)), d)
#define LOAD(i) \
	_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * (i))), mask)

/* Compress `blocks` 64-byte blocks into state (a..h). */
__attribute__((target("sha,sse4.1,ssse3")))
static void blocks_ni(uint32_t state[8], const unsigned char *data, size_t blocks)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i st0, st1, tmp, msg, w0, w1, w2, w3;

	tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);
	st1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);
	st0 = _mm_alignr_epi8(tmp, st1, 8);    /* ABEF */
	st1 = _mm_blend_epi16(st1, tmp, 0xF0); /* CDGH */
	while (blocks--) {
		__m128i abef = st0, cdgh = st1;
		w0 = LOAD(0);
		ROUNDS4(w0, 0);
		w1 = LOAD(1);
		ROUNDS4(w1, 1);
		w2 = LOAD(2);
		ROUNDS4(w2, 2);
		w3 = LOAD(3);
		ROUNDS4(w3, 3);
		for (int g = 4; g < 16; g += 4) {
			SCHEDULE(w0, w1, w2, w3);
			ROUNDS4(w0, g);
			SCHEDULE(w1, w2, w3, w0);
			ROUNDS4(w1, g + 1);
			SCHEDULE(w2, w3, w0, w1);
			ROUNDS4(w2, g + 2);
			SCHEDULE(w3, w0, w1, w2);
			ROUNDS4(w3, g + 3);
		}
		st0 = _mm_add_epi32(st0, abef);
		st1 = _mm_add_epi32(st1, cdgh);
		data += 64;
	}
	tmp = _mm_shuffle_epi32(st0, 0x1B);    /* FEBA */
	st1 = _mm_shuffle_epi32(st1, 0xB1);    /* DCHG */
	st0 = _mm_blend_epi16(tmp, st1, 0xF0); /* DCBA */
	st1 = _mm_alignr_epi8(st1, tmp, 8);    /* HGFE */
	_mm_storeu_si128((__m128i *)&state[0], st0);
	_mm_storeu_si128((__m128i *)&state[4], st1);
}

static int detect(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b >> 29) & 1; /* SHA */
}

static void sha256_ni(const unsigned char *data, size_t n, unsigned char out[32])
{
	uint32_t st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	unsigned char last[128] = {0};
	size_t full = n / 64, rem = n % 64, pad = rem + 9 <= 64 ? 64 : 128;
	uint64_t bits = (uint64_t)n * 8;

	blocks_ni(st, data, full);
	memcpy(last, data + full * 64, rem);
	last[rem] = 0x80;
	for (int i = 0; i < 8; i++)
		last[pad - 1 - i] = (unsigned char)(bits >> (8 * i));
	blocks_ni(st, last, pad / 64);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(st[i] >> 24);
		out[4 * i + 1] = (unsigned char)(st[i] >> 16);
		out[4 * i + 2] = (unsigned char)(st[i] >> 8);
		out[4 * i + 3] = (unsigned char)st[i];
	}
}
#endif

static atomic_int accelerated = -1; /* -1: not asked the processor yet */

int audit_sha256_accelerated(void)
{
#ifdef HAVE_SHANI_CODE
	int a = atomic_load_explicit(&accelerated, memory_order_relaxed);

	if (a < 0) {
		a = detect();
		atomic_store_explicit(&accelerated, a, memory_order_relaxed);
	}
	return a;
#else
	return 0;
#endif
}

void audit_sha256_use_accelerated(int on)
{
	atomic_store_explicit(&accelerated, -1, memory_order_relaxed);
	if (!on || !audit_sha256_accelerated())
		atomic_store_explicit(&accelerated, 0, memory_order_relaxed);
}

void audit_sha256(const void *data, size_t n, unsigned char out[32])
{
#ifdef HAVE_SHANI_CODE
	if (audit_sha256_accelerated()) {
		sha256_ni(data, n, out);
		return;
	}
#endif
	crypto_hash_sha256(out, data, n);
}
