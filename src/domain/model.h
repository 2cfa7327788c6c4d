/*
 * model.h: the records of the register as plain C structs.
 *
 * Fixed-size character arrays with named limits: a record never owns heap
 * memory, so it can be copied, zeroed and dropped without a free function.
 * Validation lives beside each record (person.c, office.c); the store keeps
 * these records and never decides anything about them.
 */
#ifndef MU_MODEL_H
#define MU_MODEL_H

#include <stdint.h>

#include "util/err.h"

#define NATIONAL_ID_MIN 4
#define NATIONAL_ID_MAX 32
#define NAME_MAX_LEN 100
#define REGION_MAX_LEN 64
#define OFFICE_ID_MAX 32
#define ADDRESS_MAX_LEN 300
#define PHONE_MAX_LEN 20
#define EMAIL_MAX_LEN 254
#define ZONE_MAX_LEN 64
#define TOKEN_ID_LEN 16     /* public token id: "t" + 15 base32 chars */
#define SUMMONS_ID_MAX 24
#define VCODE_LEN 20        /* verification code: 20 base32 chars = 100 bits */
#define REASON_MAX_LEN 300

#define PERSON_MIN_AGE 14
#define PERSON_MAX_AGE 100
#define OFFICE_DEFAULT_CAPACITY 200

struct office {
	char id[OFFICE_ID_MAX + 1];
	char name[NAME_MAX_LEN * 2 + 1];
	char region[REGION_MAX_LEN + 1];
	char timezone[ZONE_MAX_LEN + 1];
	int daily_capacity;
	int64_t created_at;
};

enum person_status { PS_ACTIVE = 0, PS_REMOVED };

struct person {
	char national_id[NATIONAL_ID_MAX + 1];
	char family_name[NAME_MAX_LEN * 4 + 1]; /* UTF-8: 100 chars, 4 bytes max */
	char given_name[NAME_MAX_LEN * 4 + 1];
	char patronymic[NAME_MAX_LEN * 4 + 1];
	char birth_date[11]; /* YYYY-MM-DD */
	char sex;            /* 'M' or 'F' */
	char region[REGION_MAX_LEN + 1];
	char office[OFFICE_ID_MAX + 1];
	char address[ADDRESS_MAX_LEN * 4 + 1];
	char phone[PHONE_MAX_LEN + 1];
	char email[EMAIL_MAX_LEN + 1];
	char fitness;        /* 0 (none), 'A', 'B', 'V', 'G', 'D' */
	enum person_status status;
	char removal_reason[24]; /* deceased, over_age, deregistered */
	char removal_date[11];
	int64_t version;     /* 1 on creation, +1 on every change */
	int64_t updated_at;
	char source[64];     /* who supplied the current version */
};

enum role {
	ROLE_ADMIN = 0,
	ROLE_CLERK,
	ROLE_COMMISSAR,
	ROLE_MEDICAL_BOARD,
	ROLE_AGENCY,
	ROLE_CITIZEN,
	ROLE_AUDITOR,
	ROLE_CHANNEL,
	ROLE__COUNT
};

#define ROLE_BIT(r) (1u << (r))

struct token {
	char id[TOKEN_ID_LEN + 1];
	enum role role;
	char office[OFFICE_ID_MAX + 1];          /* clerk scope; "" = national */
	char agency[32];                         /* agency: check kind */
	char person[NATIONAL_ID_MAX + 1];        /* citizen: the person */
	char label[64];
	int64_t created_at;
	int64_t revoked_at;                      /* 0 if active */
};

struct summons {
	char id[SUMMONS_ID_MAX + 1];
	char national_id[NATIONAL_ID_MAX + 1];
	char office[OFFICE_ID_MAX + 1];
	int purpose;                             /* enum purpose */
	int64_t issued_at;
	int64_t report_at;
	char verification_code[VCODE_LEN + 1];
	char created_by[TOKEN_ID_LEN + 1];
	char campaign[SUMMONS_ID_MAX + 1];
};

/* Role names on the wire and back; -1 when unknown. */
const char *role_name(enum role r);
int role_parse(const char *s);

/* Validate a person record per CONTRACT.md; `today` is the current instant
 * (for the age check). The office's existence is the caller's business.
 * Returns MU_EINVAL naming the field. */
enum mu_err person_validate(const struct person *p, int64_t today,
			    struct mu_error *err) MU_MUSTCHECK;

/* A removal from the register as of `now`: reason deceased, over_age or
 * deregistered; date a real YYYY-MM-DD, not in the future, and not before
 * birth_date (NULL: not known here). MU_EINVAL naming the field. */
enum mu_err person_removal_check(const char *birth_date, const char *reason,
				 const char *date, int64_t now,
				 struct mu_error *err) MU_MUSTCHECK;

/* 1 if s is a valid national id (4..32 of A-Z 0-9 -). */
int person_id_valid(const char *s);

/* Validate an office (id charset, non-empty name/region, real zone,
 * capacity range). */
enum mu_err office_validate(const struct office *o,
			    struct mu_error *err) MU_MUSTCHECK;

/* Office id's time zone going from was_zone to new_zone: refused
 * (MU_EINVAL, field timezone) once a summons names the office, whose legal
 * periods were counted in the old zone; a new one would move every one of
 * them, past ones included. */
enum mu_err office_zone_change_check(const char *id, const char *was_zone,
				     const char *new_zone, int has_summonses,
				     struct mu_error *err) MU_MUSTCHECK;

/* 1 if s is valid UTF-8 without control characters. */
int text_valid(const char *s);

#endif
