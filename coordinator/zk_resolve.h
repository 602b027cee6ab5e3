/* zk_resolve.h: a ZooKeeper host list ("h:p,h:p") made numeric without
 * blocking the loop. zookeeper_init resolves its host list with a
 * synchronous getaddrinfo on the calling thread (zookeeper.c:
 * zookeeper_init_internal -> update_addrs -> resolve_hosts); given only
 * numeric addresses, that call never waits on DNS. Numeric hosts are
 * taken as they are; names go to http_resolve.h (getaddrinfo_a, one
 * eventfd each for the loop to watch).
 *
 * The result, for zookeeper_init: "ip:port,ip:port". IPv6 is written bare,
 * "::1:2181", not "[::1]:2181": resolve_hosts splits each entry at its
 * LAST colon and hands the rest to getaddrinfo unchanged (ZooKeeper 3.5
 * to 3.9), so brackets would reach getaddrinfo and fail, the bare form
 * parses. */
#ifndef AGL_ZK_RESOLVE_H
#define AGL_ZK_RESOLVE_H

#include <stddef.h>

#define AGL_ZKRES_HOSTS 16 /* hosts in one list */

struct agl_zkres;

/* Starts resolving every host of the list. NULL with why if the list is
 * malformed (an entry without a port, too many hosts) or a lookup cannot
 * start. */
struct agl_zkres *agl_zkres_start(const char *hosts, char *why, size_t whylen);
/* The eventfds of its name lookups (done or not) for the loop to watch
 * with POLLIN; returns how many (at most max). */
int agl_zkres_fds(const struct agl_zkres *r, int *fds, int max);
/* 1 while a lookup runs; 0 with out = the numeric list when at least one
 * host resolved (why then names the hosts that failed, or is ""); -1
 * when none did, why naming each ("zk: resolve HOST: ..."). Drains the
 * eventfds: call it whenever one is readable. */
int agl_zkres_result(struct agl_zkres *r, char *out, size_t outlen, char *why, size_t whylen);
/* Stop watching its fds first (agl_resolve_free's rule). Never waits. */
void agl_zkres_free(struct agl_zkres *r);

#endif
