/* validate.h: validators for everything a member or container may submit:
 * host names (RFC 1123), IPv4/IPv6 addresses, OpenSSH public keys. Each
 * returns AGORA_OK, or AGORA_EINVAL / AGORA_ETOOBIG and writes a one-line
 * reason (naming the offending part) into why[whylen] (why may be NULL). */
#ifndef AGORA_VALIDATE_H
#define AGORA_VALIDATE_H

#include "agora/common.h"

#define AGORA_HOSTNAME_MAX 253
#define AGORA_SSHKEY_MAX_DEFAULT 8192

/* RFC 1123 host name: dot-separated labels of 1..63 letters, digits and
 * hyphens, not starting or ending with a hyphen, total <= 253, not all-numeric
 * in the last label. Input is (s, len); embedded NULs are rejected. */
int agora_valid_hostname(const char *s, size_t len, char *why, size_t whylen);

struct agora_ip {
    int family;          /* 4 or 6 */
    uint8_t addr[16];    /* 4 or 16 bytes used */
};

/* Dotted-quad IPv4, no leading zeros, each octet <= 255. */
int agora_parse_ipv4(const char *s, size_t len, struct agora_ip *out, char *why, size_t whylen);
/* IPv6 text (RFC 4291 section 2.2), no zone id. IPv4-mapped addresses
 * (::ffff:a.b.c.d) are refused: a member gives its IPv4 address as such. */
int agora_parse_ipv6(const char *s, size_t len, struct agora_ip *out, char *why, size_t whylen);
/* Either of the above. */
int agora_parse_ip(const char *s, size_t len, struct agora_ip *out, char *why, size_t whylen);
/* Canonical text (RFC 5952 for IPv6) into out[outlen]; AGORA_ETOOBIG if short. */
int agora_format_ip(const struct agora_ip *ip, char *out, size_t outlen);

struct agora_sshkey_policy {
    bool allow_options;  /* accept a leading options field (command=..., etc.) */
    size_t max_len;      /* whole line, bytes; 0 = AGORA_SSHKEY_MAX_DEFAULT */
};

/* A parsed key; strings are NUL-terminated copies owned by the struct. */
struct agora_sshkey {
    char *options;       /* NULL when none */
    char *type;          /* e.g. "ssh-ed25519" */
    char *blob_b64;      /* the base64 field, as given (validated) */
    char *comment;       /* NULL when none; printable UTF-8 */
};

/* Parses one authorized_keys line (no trailing newline allowed inside).
 * Supported types: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521,
 * sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com. The base64
 * must decode, and the key blob's inner type and structure must match the
 * outer type. */
int agora_parse_sshkey(const char *line, size_t len, const struct agora_sshkey_policy *pol,
                       struct agora_sshkey *out, char *why, size_t whylen);
void agora_sshkey_clear(struct agora_sshkey *k);

#endif
