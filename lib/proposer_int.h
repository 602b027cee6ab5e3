/* proposer_int.h: functions shared by proposer.c (follower, candidate,
 * learner) and leader.c (phase 2, lease accounting). Not installed. */
#ifndef AGORA_PROPOSER_INT_H
#define AGORA_PROPOSER_INT_H

#include "agora/proposer.h"

#define QUORUM(p) ((p)->cfg.n_acceptors / 2u + 1u)

/* Queues a message for the next ready(); takes ownership of *m's buffers. */
int prop_send(struct agora_proposer *p, struct agora_msg *m);
/* A message from us with the common fields filled in. */
void prop_msg(struct agora_proposer *p, struct agora_msg *m, uint8_t type, uint32_t to, uint64_t seq);
agora_time_t prop_backoff(struct agora_proposer *p);
unsigned prop_popcount(uint32_t v);
void prop_step_down(struct agora_proposer *p, agora_time_t now);

/* leader.c */
int leader_start(struct agora_proposer *p, agora_time_t now);
int leader_on_accepted(struct agora_proposer *p, agora_time_t now, const struct agora_msg *m);
void leader_on_reject(struct agora_proposer *p, agora_time_t now, const struct agora_msg *m);
int leader_tick(struct agora_proposer *p, agora_time_t now);
agora_time_t leader_deadline(const struct agora_proposer *p);

#endif
