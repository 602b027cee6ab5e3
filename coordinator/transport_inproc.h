/* transport_inproc.h: the in-process transport (transport.h) for tests.
 * A "net" holds real core acceptors (agora_acceptor_*), their write-ahead
 * logs in memory, and a FIFO of messages in flight, all on one loop's
 * clock. Each agorad instance gets an endpoint (a struct agd_transport)
 * into the net. Delivery is deterministic: requests are stepped in send
 * order after `latency`, replies come back through on_reply from the net's
 * timer, never from inside send().
 *
 * Faults for tests: an acceptor can be down (requests to it are lost; it
 * comes back with its durable state and the restart rule, as after a
 * crash), and a link node -> acceptor can be cut (both directions). */
#ifndef AGD_TRANSPORT_INPROC_H
#define AGD_TRANSPORT_INPROC_H

#include <stdbool.h>

#include "agora/acceptor.h"
#include "loop.h"
#include "transport.h"

struct agd_inproc_net;

/* n acceptors (1..AGORA_MAX_ACCEPTORS) granting leases of `lease` ns. */
struct agd_inproc_net *agd_inproc_net_new(struct agd_loop *l, uint32_t n, agora_time_t lease);
/* Every endpoint must be closed first. */
void agd_inproc_net_free(struct agd_inproc_net *net);

void agd_inproc_set_latency(struct agd_inproc_net *net, agora_time_t latency);
/* Down: requests are lost. Back up: a restart (recover from its log). */
int agd_inproc_set_up(struct agd_inproc_net *net, uint32_t acceptor, bool up);
void agd_inproc_cut(struct agd_inproc_net *net, uint32_t node, uint32_t acceptor, bool cut);
const struct agora_acceptor *agd_inproc_acceptor(const struct agd_inproc_net *net, uint32_t i);
uint64_t agd_inproc_delivered(const struct agd_inproc_net *net);

/* An endpoint for the agorad with node id `node` (1..31). */
struct agd_transport *agd_inproc_endpoint(struct agd_inproc_net *net, uint32_t node);

#endif
