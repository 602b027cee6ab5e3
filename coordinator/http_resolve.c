/* http_resolve.c: numeric addresses, and names through getaddrinfo_a with
 * an eventfd for the loop (http_resolve.h).
 *
 * Who frees a request: the owner may give up on it (agl_resolve_free)
 * while glibc still runs it, and glibc's notification thread touches the
 * request (its eventfd) after getaddrinfo returned. So the request counts
 * two references, the owner's and the notification's; the last one to let
 * go frees it and closes the eventfd. glibc (resolv/gai_misc.c) notifies
 * every request it ran, under its request lock, before dequeuing it; so
 * gai_cancel answering EAI_CANCELED means "never ran, no notification
 * will come" (its reference is dropped for it), and EAI_NOTCANCELED or
 * EAI_ALLDONE mean "the notification has run or will". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "http_resolve.h"

struct agl_resolve {
    struct gaicb cb;
    struct addrinfo hints;
    char name[256];
    char service[8];
    int efd;
    atomic_int refs;
};

int agl_addrs_numeric(const char *host, unsigned port, struct agl_addrs *out)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)&out->a[0];
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->a[0];

    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        out->len[0] = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        out->len[0] = sizeof *v6;
    } else {
        return -1;
    }
    out->n = 1;
    return 0;
}

static void release(struct agl_resolve *r)
{
    if (atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    if (r->cb.ar_result != NULL)
        freeaddrinfo(r->cb.ar_result);
    close(r->efd);
    free(r);
}

/* On a glibc notification thread, once getaddrinfo returned. */
static void notified(union sigval v)
{
    struct agl_resolve *r = v.sival_ptr;
    uint64_t one = 1;
    /* fails only if the counter would overflow: one write per request cannot */
    ssize_t k = write(r->efd, &one, sizeof one);

    (void)k;
    release(r);
}

struct agl_resolve *agl_resolve_start(const char *host, unsigned port, char *why, size_t whylen)
{
    struct agl_resolve *r = calloc(1, sizeof *r);
    struct sigevent sev;
    struct gaicb *list[1];
    int rc;

    if (r == NULL || (r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        snprintf(why, whylen, "resolve %s: %s", host, r == NULL ? "out of memory" : "no eventfd");
        free(r);
        return NULL;
    }
    snprintf(r->name, sizeof r->name, "%s", host);
    snprintf(r->service, sizeof r->service, "%u", port);
    r->hints.ai_family = AF_UNSPEC;
    r->hints.ai_socktype = SOCK_STREAM;
    r->hints.ai_flags = AI_NUMERICSERV;
    r->cb.ar_name = r->name;
    r->cb.ar_service = r->service;
    r->cb.ar_request = &r->hints;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = notified;
    sev.sigev_value.sival_ptr = r;
    atomic_init(&r->refs, 2);
    list[0] = &r->cb;
    if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev)) != 0) {
        snprintf(why, whylen, "resolve %s: %s", host, gai_strerror(rc));
        atomic_store(&r->refs, 1); /* not queued: no notification */
        release(r);
        return NULL;
    }
    return r;
}

int agl_resolve_fd(const struct agl_resolve *r)
{
    return r->efd;
}

int agl_resolve_result(struct agl_resolve *r, struct agl_addrs *out, char *why, size_t whylen)
{
    int rc = gai_error(&r->cb);
    uint64_t n;

    if (rc == EAI_INPROGRESS)
        return 1;
    /* drains the eventfd; EAGAIN if the notification is still to come */
    ssize_t k = read(r->efd, &n, sizeof n);
    (void)k;
    if (rc != 0)
        return snprintf(why, whylen, "resolve %s: %s", r->name, gai_strerror(rc)), -1;
    memset(out, 0, sizeof *out);
    for (struct addrinfo *ai = r->cb.ar_result; ai != NULL && out->n < AGL_ADDRS_MAX;
         ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof out->a[0])
            continue;
        memcpy(&out->a[out->n], ai->ai_addr, ai->ai_addrlen);
        out->len[out->n++] = ai->ai_addrlen;
    }
    if (out->n == 0)
        return snprintf(why, whylen, "resolve %s: no IPv4 or IPv6 address", r->name), -1;
    return 0;
}

void agl_resolve_free(struct agl_resolve *r)
{
    if (r == NULL)
        return;
    if (gai_cancel(&r->cb) == EAI_CANCELED)
        release(r); /* dequeued before it ran: the notification's reference */
    release(r);
}

const char *agl_addr_text(const struct sockaddr_storage *a, char *out, size_t outlen)
{
    const void *p = a->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr
                                             : (const void *)&((const struct sockaddr_in *)a)->sin_addr;

    if (inet_ntop(a->ss_family, p, out, (socklen_t)outlen) == NULL)
        snprintf(out, outlen, "?");
    return out;
}
