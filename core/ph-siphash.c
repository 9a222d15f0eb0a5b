/* SipHash-2-4 (ph-siphash.h), written from the paper's description: four 64-bit words of
 * state, two compression rounds per 8-byte word of input, four finalization rounds; words are
 * read little-endian whatever the host. Pure. */
#include "ph-siphash.h"

#include <string.h>

typedef struct {
	guint64 v0, v1, v2, v3;
} PhSipState;

static inline guint64
ph_siphash_rotl(guint64 x, guint b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void
ph_siphash_round(PhSipState *s)
{
	s->v0 += s->v1;
	s->v1 = ph_siphash_rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ph_siphash_rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ph_siphash_rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ph_siphash_rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ph_siphash_rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ph_siphash_rotl(s->v2, 32);
}

static inline guint64
ph_siphash_word(const guint8 *bytes)
{
	guint64 word;
	memcpy(&word, bytes, sizeof(word));
	return GUINT64_FROM_LE(word);
}

static inline void
ph_siphash_compress(PhSipState *s, guint64 m)
{
	s->v3 ^= m;
	ph_siphash_round(s);
	ph_siphash_round(s);
	s->v0 ^= m;
}

guint64
ph_siphash24(const guint8 key[PH_SIPHASH_KEY_BYTES], const guint8 *data, gsize length)
{
	guint64 k0 = ph_siphash_word(key), k1 = ph_siphash_word(key + 8);
	/* "somepseudorandomlygeneratedbytes", the paper's initial constants */
	PhSipState s = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
	                k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
	gsize whole = length - length % 8;
	for (gsize i = 0; i < whole; i += 8)
		ph_siphash_compress(&s, ph_siphash_word(data + i));
	/* the last word: the 0-7 bytes left, the length's low byte on top */
	guint8 tail[8] = {0};
	memcpy(tail, data + whole, length - whole);
	tail[7] = (guint8)length;
	ph_siphash_compress(&s, ph_siphash_word(tail));
	s.v2 ^= 0xff;
	for (guint i = 0; i < 4; i++)
		ph_siphash_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
