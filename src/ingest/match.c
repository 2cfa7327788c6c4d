/*
 * match.c: the duplicate-matching key. See match.h.
 */
#include "ingest/match.h"

#include <string.h>

/* Decode one UTF-8 sequence (input already checked); *n its length. */
static unsigned decode(const unsigned char *s, size_t *n)
{
	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	if ((s[0] & 0xE0) == 0xC0 && s[1]) {
		*n = 2;
		return (unsigned)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
	}
	if ((s[0] & 0xF0) == 0xE0 && s[1] && s[2]) {
		*n = 3;
		return (unsigned)(s[0] & 0x0F) << 12 | (unsigned)(s[1] & 0x3F) << 6 |
		       (s[2] & 0x3F);
	}
	if ((s[0] & 0xF8) == 0xF0 && s[1] && s[2] && s[3]) {
		*n = 4;
		return (unsigned)(s[0] & 0x07) << 18 | (unsigned)(s[1] & 0x3F) << 12 |
		       (unsigned)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
	}
	*n = 1;
	return 0xFFFD;
}

static size_t encode(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Case-fold what we fold; 0 for a character that is dropped. */
static unsigned fold(unsigned cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
		return cp;
	if (cp < 0x80)
		return 0;                    /* ASCII punctuation, spaces */
	if (cp >= 0x0410 && cp <= 0x042F)    /* А..Я */
		return cp + 0x20;
	if (cp == 0x0401 || cp == 0x0451)    /* Ё ё */
		return 0x0435;
	if (cp >= 0x0400 && cp <= 0x040F)    /* Ѐ..Џ */
		return cp + 0x50;
	if (cp == 0x00A0 || cp == 0x2010 || cp == 0x2011 || cp == 0x2013 ||
	    cp == 0x2014 || cp == 0x2019 || cp == 0x02BC)
		return 0;                    /* nbsp, dashes, apostrophes */
	return cp;
}

size_t match_norm(const char *s, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (!size)
		return 0;
	while (*p) {
		size_t n;
		unsigned cp = fold(decode(p, &n));
		p += n;
		if (!cp)
			continue;
		if (o + 4 >= size)
			break;
		o += encode(cp, out + o);
	}
	out[o] = 0;
	return o;
}

size_t match_text(const char *family, const char *given, const char *patronymic,
		  const char *birth_date, char *out, size_t size)
{
	const char *parts[4] = {family, given, patronymic, birth_date};
	size_t o = 0;

	for (int i = 0; i < 4 && o + 1 < size; i++) {
		if (i)
			out[o++] = '|';
		o += match_norm(parts[i] ? parts[i] : "", out + o, size - o);
	}
	out[o < size ? o : size - 1] = 0;
	return o;
}

int64_t match_key(const char *text)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (int64_t)h;
}
