/*
 * str.h: bounded string copying without printf's machinery (snprintf with
 * "%s" costs a format parse per call: a fifth of an agency check's own
 * time went there).
 */
#ifndef MU_STR_H
#define MU_STR_H

#include <stddef.h>
#include <string.h>

/* Copy src (NULL: "") into dst of size bytes, truncating; always
 * NUL-terminated when size > 0. Returns dst. */
static inline char *mu_copy(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size ? size - 1 : 0) : 0;

	if (size) {
		memcpy(dst, src ? src : "", n);
		dst[n] = '\0';
	}
	return dst;
}

#endif
