/* http_resolve.h: the addresses of a Mesos master, without ever blocking
 * the loop. A numeric address (IPv4, or IPv6 as "::1") is converted at
 * once. A name goes to glibc's getaddrinfo_a: its own helper thread runs
 * getaddrinfo (which may wait seconds on DNS) and, when done, a
 * notification thread writes to an eventfd that the caller's loop
 * watches. Why not getaddrinfo on the loop: one slow DNS server would
 * stall the whole agorad (the lease renewals with it); why not a thread
 * of our own: getaddrinfo_a is that thread, already written, and it
 * starts only for names (the usual numeric masters cost nothing). */
#ifndef AGL_HTTP_RESOLVE_H
#define AGL_HTTP_RESOLVE_H

#include <stddef.h>
#include <sys/socket.h>

#define AGL_ADDRS_MAX 8

struct agl_addrs {
    struct sockaddr_storage a[AGL_ADDRS_MAX];
    socklen_t len[AGL_ADDRS_MAX];
    int n;
};

struct agl_resolve;

/* host as numeric IPv4/IPv6 -> one address with port; 0, or -1 when host
 * is a name. */
int agl_addrs_numeric(const char *host, unsigned port, struct agl_addrs *out);

/* Starts resolving a name. NULL with why ("resolve HOST: ...") if it
 * cannot start. */
struct agl_resolve *agl_resolve_start(const char *host, unsigned port, char *why, size_t whylen);
/* Readable when the answer is there. */
int agl_resolve_fd(const struct agl_resolve *r);
/* 0 with the addresses (at most AGL_ADDRS_MAX, in getaddrinfo's order),
 * 1 when not done yet, -1 with why ("resolve HOST: Name or service not
 * known"). */
int agl_resolve_result(struct agl_resolve *r, struct agl_addrs *out, char *why, size_t whylen);
/* Forgets the request; never waits. Stop watching its fd first: the fd
 * stays open until the helper is done with it. */
void agl_resolve_free(struct agl_resolve *r);

/* "1.2.3.4" or "::1" for a message. */
const char *agl_addr_text(const struct sockaddr_storage *a, char *out, size_t outlen);

#endif
