/* secret.c: tokens from getrandom(2), hashed with OpenSSL's SHA-256 (common layer). */
#include "ps_secret.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

bool ps_token_new(char out[PS_TOKEN_LEN])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[33];
	size_t got = 0;
	while (got < sizeof raw) {
		ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	memcpy(out, "ps_", 3);
	char *p = out + 3;
	for (size_t i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
		*p++ = b64[v >> 18 & 63];
		*p++ = b64[v >> 12 & 63];
		*p++ = b64[v >> 6 & 63];
		*p++ = b64[v & 63];
	}
	out[3 + 43] = '\0'; /* 44 chars produced; keep 43 so the length is fixed */
	return true;
}

/* OpenSSL 3 looks the algorithm up in its provider tables on every
 * EVP_Digest with EVP_sha256(); fetched once, the lookup is skipped (a
 * third of the cost of hashing a token). */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void ps_sha256_hex(const char *s, size_t n, char out[PS_HASH_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int len = 0;
	pthread_once(&sha256_once, sha256_fetch);
	EVP_Digest(s, n, md, &len, sha256_md ? sha256_md : EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}
