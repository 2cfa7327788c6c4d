/*
 * rand.h: unguessable identifiers from libsodium's CSPRNG.
 */
#ifndef MU_RAND_H
#define MU_RAND_H

#include <stddef.h>

/* n random characters of the Crockford base32 alphabet (5 bits each) into
 * buf, NUL-terminated; size must be > n. */
void rand_base32(char *buf, size_t size, size_t n);

#endif
