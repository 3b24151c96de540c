/* ps_secret.h: random tokens and their hashes (common layer). A token is
 * shown once; the store keeps only its SHA-256. */
#ifndef PS_SECRET_H
#define PS_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define PS_TOKEN_LEN 47  /* "ps_" + 43 base64url chars of 32 random bytes, and NUL */
#define PS_HASH_LEN 65   /* 64 hex chars and NUL */

/* Fill out with a new random token. false when the system has no randomness. */
bool ps_token_new(char out[PS_TOKEN_LEN]);
/* Hex SHA-256 of s. */
void ps_sha256_hex(const char *s, size_t n, char out[PS_HASH_LEN]);

#endif
