/*
 * rand.c: random identifiers. See rand.h.
 */
#include "util/rand.h"

#include <sodium.h>

void rand_base32(char *buf, size_t size, size_t n)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = alphabet[randombytes_uniform(32)];
	buf[n] = 0;
}
