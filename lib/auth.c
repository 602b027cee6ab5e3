/* auth.c: HMAC-SHA256 (OpenSSL libcrypto) over envelopes, and the cluster
 * key file. Kept out of the pure core (libagoracore): it does I/O and links
 * libcrypto. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "agora/auth.h"

/* Writes a reason "key file PATH: WHAT" into why. */
__attribute__((format(printf, 4, 5))) static void say(char *why, size_t whylen,
                                                      const char *path, const char *fmt, ...)
{
    char tmp[160];
    va_list ap;
    if (why == NULL || whylen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    snprintf(why, whylen, "key file %s: %s", path, tmp);
}

int agora_key_load(const char *path, struct agora_key *key, char *why, size_t whylen)
{
    key->len = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            say(why, whylen, path, "does not exist");
        else if (e == ELOOP)
            say(why, whylen, path, "is a symbolic link");
        else
            say(why, whylen, path, "cannot be opened (errno %d)", e);
        return e == ENOENT ? AGORA_ENOENT : AGORA_EINVAL;
    }
    struct stat st;
    int rc = AGORA_EINVAL;
    if (fstat(fd, &st) != 0) {
        say(why, whylen, path, "cannot stat (errno %d)", errno);
    } else if (!S_ISREG(st.st_mode)) {
        say(why, whylen, path, "not a regular file");
    } else if ((st.st_mode & 077) != 0) {
        say(why, whylen, path, "mode 0%lo, must be 0600 (no group or other access)",
            (long)(st.st_mode & 07777));
    } else if (st.st_size > (off_t)AGORA_KEY_MAX + 64) {
        say(why, whylen, path, "too large (%ld bytes)", (long)st.st_size);
    } else {
        uint8_t buf[AGORA_KEY_MAX + 64];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0) {
            say(why, whylen, path, "cannot read (errno %d)", errno);
        } else {
            size_t len = (size_t)n;
            while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
                               buf[len - 1] == ' ' || buf[len - 1] == '\t'))
                len--;
            if (len < AGORA_KEY_MIN || len > AGORA_KEY_MAX) {
                say(why, whylen, path, "holds %ld bytes of key, 16 to 1024 needed", (long)len);
            } else {
                memcpy(key->bytes, buf, len);
                key->len = len;
                rc = AGORA_OK;
            }
            OPENSSL_cleanse(buf, sizeof(buf));
        }
    }
    close(fd);
    return rc;
}

int agora_hmac_sha256(const struct agora_key *key, const void *p, size_t n,
                      uint8_t mac[AGORA_ENV_MAC])
{
    unsigned int len = 0;
    if (key->len == 0)
        return AGORA_EAUTH;
    if (HMAC(EVP_sha256(), key->bytes, (int)key->len, p, n, mac, &len) == NULL ||
        len != AGORA_ENV_MAC)
        return AGORA_ENOMEM;
    return AGORA_OK;
}

int agora_env_seal(const struct agora_key *key, const struct agora_env *e,
                   struct agora_buf *out)
{
    size_t start = out->len;
    uint8_t mac[AGORA_ENV_MAC];
    int rc = agora_env_encode(e, out);
    if (rc == AGORA_OK)
        rc = agora_hmac_sha256(key, out->data + start, out->len - start, mac);
    if (rc == AGORA_OK)
        rc = agora_buf_put(out, mac, sizeof(mac));
    if (rc != AGORA_OK)
        out->len = start;
    return rc;
}

int agora_env_open(const struct agora_key *key, const uint8_t *p, size_t len,
                   uint32_t max_body, struct agora_env *e)
{
    uint8_t mac[AGORA_ENV_MAC];
    int rc = agora_env_decode(p, len, max_body, e);
    if (rc != AGORA_OK)
        return rc;
    rc = agora_hmac_sha256(key, p, e->signed_len, mac);
    if (rc != AGORA_OK)
        return rc;
    if (CRYPTO_memcmp(mac, e->mac, AGORA_ENV_MAC) != 0)
        return AGORA_EAUTH;
    return AGORA_OK;
}
