/* transport_brick.h: the transport (transport.h) to real bricks: one
 * native RPC connection per brick (brick_client.h), each owned by its own
 * thread, so that a hung brick holds one thread and never the loop.
 *
 *   loop thread                       brick thread i (one per brick)
 *   send(i, req) -> queue i (bounded) -> pop, seal (auth.h), agora_brick_call
 *                                        (blocking, under a deadline), open the reply
 *   eventfd readable <- done queue    <- push result, write eventfd
 *   on_reply(result)
 *
 * A full queue drops its oldest request (the proposer resends). A brick
 * that cannot be connected is retried every second; requests meanwhile are
 * answered AGD_TR_UNREACHABLE. */
#ifndef AGD_TRANSPORT_BRICK_H
#define AGD_TRANSPORT_BRICK_H

#include "conf.h"
#include "loop.h"
#include "transport.h"

#define AGD_BRICK_CONNECT_TIMEOUT_MS 5000
#define AGD_BRICK_RETRY_MS 1000

/* Needs cfg->bricks (the explicit list) and the cluster key; the volfile
 * directory holds one client volfile per brick (created if missing).
 * Returns 0, or -1 with the reason in err. */
int agd_brick_transport_new(const struct agd_config *cfg, struct agd_loop *loop, uint64_t tag,
                            const char *volfile_dir, struct agd_transport **out, char *err,
                            size_t errlen);

#endif
