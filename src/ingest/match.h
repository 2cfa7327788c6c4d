/*
 * match.h: the key that makes two person records possible duplicates.
 *
 * Two records with different national ids are candidates when their
 * normalised full names and birth dates are equal. Normalising folds case
 * (ASCII and Cyrillic), reads 'ё' as 'е', and drops everything that is not
 * a letter or a digit (spaces, hyphens, dots, apostrophes), so "Фёдоров-Ли"
 * and "ФЕДОРОВ ЛИ" meet. Pure: no allocation, no I/O.
 */
#ifndef MU_MATCH_H
#define MU_MATCH_H

#include <stddef.h>
#include <stdint.h>

#define MATCH_KEY_MAX 1300 /* three names of 400 bytes, a date, separators */

/* Write the normalised form of s into out (NUL-terminated, truncated to
 * size); returns its length. */
size_t match_norm(const char *s, char *out, size_t size);
/* The matching text "family|given|patronymic|birth_date" into out. */
size_t match_text(const char *family, const char *given, const char *patronymic,
		  const char *birth_date, char *out, size_t size);
/* A 64-bit hash of the matching text (FNV-1a), as SQLite keeps it. */
int64_t match_key(const char *text);

#endif
