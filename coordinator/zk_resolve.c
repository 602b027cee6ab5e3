/* zk_resolve.c: a ZooKeeper host list made numeric without blocking
 * (zk_resolve.h). Each entry is "host:port", split at the last colon
 * (as ZooKeeper does); "[v6]:port" is accepted too. The answers are read
 * again on every agl_zkres_result call, which keeps no state between
 * calls and drains every eventfd, so a notification that comes late
 * never leaves an fd readable. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_resolve.h"
#include "zk_resolve.h"

struct zkhost {
    char name[256];
    unsigned port;
    struct agl_resolve *res;   /* NULL: numeric, in addrs */
    struct agl_addrs addrs;
};

struct agl_zkres {
    int n;
    struct zkhost h[AGL_ZKRES_HOSTS];
};

/* "host:port" or "[v6]:port" (len bytes) -> h; -1 with why. */
static int parse_entry(const char *e, size_t len, struct zkhost *h, char *why, size_t whylen)
{
    char buf[sizeof h->name], *colon, *end, *host = buf;
    unsigned long port;

    if (len >= sizeof buf)
        return snprintf(why, whylen, "zk: host \"%.*s...\" is too long", 40, e), -1;
    memcpy(buf, e, len);
    buf[len] = '\0';
    colon = strrchr(buf, ':');
    if (colon == NULL || colon == buf)
        return snprintf(why, whylen, "zk: \"%s\": expected host:port", buf), -1;
    *colon = '\0';
    port = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || port == 0 || port > 65535)
        return snprintf(why, whylen, "zk: \"%s:%s\": bad port", buf, colon + 1), -1;
    if (host[0] == '[' && colon[-1] == ']') {
        host++;
        colon[-1] = '\0';
    }
    snprintf(h->name, sizeof h->name, "%s", host);
    h->port = (unsigned)port;
    return 0;
}

struct agl_zkres *agl_zkres_start(const char *hosts, char *why, size_t whylen)
{
    struct agl_zkres *r = calloc(1, sizeof *r);
    const char *p = hosts;

    if (r == NULL)
        return snprintf(why, whylen, "zk: out of memory"), NULL;
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        struct zkhost *h = &r->h[r->n];
        if (r->n == AGL_ZKRES_HOSTS) {
            snprintf(why, whylen, "zk: more than %d hosts", AGL_ZKRES_HOSTS);
            goto fail;
        }
        if (parse_entry(p, len, h, why, whylen) != 0)
            goto fail;
        r->n++;
        if (agl_addrs_numeric(h->name, h->port, &h->addrs) != 0 &&
            (h->res = agl_resolve_start(h->name, h->port, why, whylen)) == NULL)
            goto fail;
        p += len + (p[len] == ',');
    }
    if (r->n > 0)
        return r;
    snprintf(why, whylen, "zk: no host in \"%s\"", hosts);
fail:
    agl_zkres_free(r);
    return NULL;
}

int agl_zkres_fds(const struct agl_zkres *r, int *fds, int max)
{
    int k = 0;

    for (int i = 0; i < r->n && k < max; i++)
        if (r->h[i].res != NULL)
            fds[k++] = agl_resolve_fd(r->h[i].res);
    return k;
}

/* Appends a's addresses to out as "ip:port" entries; 0, -1 if out is full. */
static int append(const struct agl_addrs *a, unsigned port, char *out, size_t outlen)
{
    char ip[64];

    for (int i = 0; i < a->n; i++) {
        size_t used = strlen(out);
        int k = snprintf(out + used, outlen - used, "%s%s:%u", used > 0 ? "," : "",
                         agl_addr_text(&a->a[i], ip, sizeof ip), port);
        if (k < 0 || (size_t)k >= outlen - used) {
            out[used] = '\0';
            return -1;
        }
    }
    return 0;
}

/* Adds "; resolve HOST: ..." (or the first one, with "zk: ") to why. */
static void add_why(char *why, size_t whylen, const char *one)
{
    size_t used = strlen(why);

    if (used + 1 < whylen)
        snprintf(why + used, whylen - used, "%s%s", used > 0 ? "; " : "zk: ", one);
}

int agl_zkres_result(struct agl_zkres *r, char *out, size_t outlen, char *why, size_t whylen)
{
    bool running = false;
    char one[300];

    if (outlen == 0 || whylen == 0)
        return -1;
    out[0] = why[0] = '\0';
    for (int i = 0; i < r->n; i++) {
        struct zkhost *h = &r->h[i];
        int rc = h->res == NULL ? 0 : agl_resolve_result(h->res, &h->addrs, one, sizeof one);
        if (rc == 1)
            running = true;
        else if (rc < 0)
            add_why(why, whylen, one);
        else if (append(&h->addrs, h->port, out, outlen) != 0)
            add_why(why, whylen, "the list is too long: some addresses left out");
    }
    if (running)
        return 1;
    return out[0] != '\0' ? 0 : -1;
}

void agl_zkres_free(struct agl_zkres *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->n; i++)
        agl_resolve_free(r->h[i].res);
    free(r);
}
