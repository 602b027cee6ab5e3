/* client_api.h: agorad's local client API (docs/coordinator.md, "The client
 * API"; agorad(8)): a unix stream socket (agorad.json's client_socket, mode
 * 0600) that speaks one JSON object a line each way.
 *
 *   {"op":"join","origin":"api:web","seq":7,"id":"web-1","hostname":"web-1.example",
 *    "ip":"10.1.0.7","key":"ssh-ed25519 AAAA... web-1"}
 *   {"op":"leave","origin":"api:web","seq":8,"id":"web-1"}
 *   {"op":"status"}
 *
 * A join or leave is answered once its entry is committed and applied:
 *   {"ok":true,"origin":"api:web","seq":7,"index":1234}
 * or with {"ok":false,"error":CODE,"message":TEXT,...}, CODE one of
 * bad_request, invalid, rejected (committed at "index" but refused by the
 * state machine), not_leader ("leader", "leader_node": where to go),
 * lost_lease and timeout (outcome unknown: retry the same origin and seq),
 * busy (retry later). (origin, seq) makes a retry apply once: a request
 * whose seq is not above the origin's last decided seq is answered
 * {"ok":true,"duplicate":true,...} without a new commit. Several requests
 * may be outstanding on one connection; answers come in commit order and
 * carry origin and seq.
 *
 * Everything runs on the node's loop and never blocks: non-blocking
 * sockets, at most AGD_API_MAX_CONNS connections, lines of at most
 * AGD_API_MAX_LINE bytes, AGD_API_MAX_PENDING requests in flight per
 * connection, and a connection that does not read its answers is closed. */
#ifndef AGD_CLIENT_API_H
#define AGD_CLIENT_API_H

#include <stddef.h>

#include "node.h"

#define AGD_API_MAX_CONNS 64
#define AGD_API_MAX_LINE 4096
#define AGD_API_MAX_PENDING 64
#define AGD_API_MAX_OUT (256 * 1024)   /* unread answers before we hang up */
#define AGD_API_TIMEOUT_MS 10000       /* a submitted request not decided by then */
#define AGD_API_ORIGIN_PREFIX "api:"   /* origins of the other requesters differ */

struct agd_client_api;

/* Listens on path (a stale socket left by a dead agorad is replaced; a
 * live one is an error) and observes node n. On error returns -1 with the
 * reason in err. */
int agd_client_api_new(struct agd_node *n, const char *path, struct agd_client_api **out,
                       char *err, size_t errlen);

/* Closes every connection (pending requests get no answer), removes the
 * socket file and stops observing the node. NULL is fine. */
void agd_client_api_free(struct agd_client_api *a);

#endif
