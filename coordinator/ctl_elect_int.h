/* ctl_elect_int.h: what ctl_elect.c (set-up: config, slot, transport,
 * signals) and ctl_elect_node.c (the contender's Ready loop) share. */
#ifndef AGD_CTL_ELECT_INT_H
#define AGD_CTL_ELECT_INT_H

#include "agora/proposer.h"
#include "conf.h"
#include "ctl_elect.h"
#include "ctl_elect_cmd.h"
#include "loop.h"
#include "transport.h"

enum elect_phase {
    EP_GATE,      /* waiting until no brick reports a lease of a former us */
    EP_CAMPAIGN,  /* campaigning / waiting for the lease */
    EP_RUNNING,   /* lease held, CMD running */
    EP_STOPPING,  /* CMD told to stop (lease lost or signal), waiting for it */
    EP_RELEASING, /* RELEASE sent, waiting for RELEASED */
    EP_DONE,
};

struct elect {
    const struct elect_opts *o;
    struct agd_config cfg;
    struct agd_loop *loop;
    struct agd_transport *tr;
    uint32_t node;                /* our id in the group */
    uint64_t tag;
    struct agora_proposer p;
    struct agd_timer wake;
    struct agora_buf enc, wrapped;
    struct elect_cmd cmd;
    agora_time_t grace, margin;
    enum elect_phase phase;
    bool lost;                    /* EP_STOPPING because the lease was lost */
    int signo;                    /* first SIGTERM/SIGINT received, 0 none */
    int code;                     /* exit status once EP_DONE */
    bool had_lease;
    uint32_t gate_seen;           /* bitmask: bricks that answered during EP_GATE */
    agora_time_t stale_until;     /* a lease of our node id lasts until then */
    uint32_t released;            /* bitmask of RELEASED */
    agora_time_t release_deadline;
    uint32_t errors[AGORA_MAX_ACCEPTORS]; /* refusals in a row per brick */
    bool answered[AGORA_MAX_ACCEPTORS];
};

/* ctl_elect_node.c */
int elect_node_start(struct elect *e);  /* after cfg, loop and tr are set */
void elect_node_signal(struct elect *e, int signo);
void elect_node_free(struct elect *e);

#endif
