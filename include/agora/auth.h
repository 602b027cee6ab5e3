/* auth.h: HMAC-SHA256 under the cluster key, and sealing/opening of
 * envelopes (envelope.h). Not part of the pure core: this is libagoraauth
 * (lib/auth.c), which uses OpenSSL's libcrypto and reads the key file. */
#ifndef AGORA_AUTH_H
#define AGORA_AUTH_H

#include "agora/common.h"
#include "agora/envelope.h"

#define AGORA_EAUTH (-64)          /* MAC mismatch */
#define AGORA_KEY_MIN 16u          /* bytes of key material, at least */
#define AGORA_KEY_MAX 1024u

struct agora_key {
    uint8_t bytes[AGORA_KEY_MAX];
    size_t len;                    /* 0: no key */
};

/* Reads the cluster key from path: a regular file (not a symlink) of mode
 * 0600 or stricter (no group/other bits), whose contents, less trailing
 * white space, are 16..1024 bytes. On error writes why and returns
 * AGORA_EINVAL (or AGORA_ENOENT when the file does not exist). */
int agora_key_load(const char *path, struct agora_key *key, char *why, size_t whylen);

int agora_hmac_sha256(const struct agora_key *key, const void *p, size_t n,
                      uint8_t mac[AGORA_ENV_MAC]);

/* Encodes e and appends its MAC to out. */
int agora_env_seal(const struct agora_key *key, const struct agora_env *e,
                   struct agora_buf *out);

/* Decodes and authenticates: AGORA_OK, AGORA_EINVAL/AGORA_ETOOBIG (malformed),
 * AGORA_EAUTH (wrong MAC, or no key). e's pointers point into p. */
int agora_env_open(const struct agora_key *key, const uint8_t *p, size_t len,
                   uint32_t max_body, struct agora_env *e);

#endif
