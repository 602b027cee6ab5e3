/* ctl_cluster.h: `agoractl cluster up|down|status` (agoractl(8),
 * docs/launchers.md "Cluster down and up"), and the submit-and-wait path
 * it shares with join and leave (ctl_write.c). */
#ifndef AGD_CTL_CLUSTER_H
#define AGD_CTL_CLUSTER_H

#include <stdint.h>

#include "agora/sm.h"
#include "ctl.h"
#include "ctl_bricks.h"

/* ctl_write.c: gives cmd the origin "ctl:NAME" and a fresh seq, checks it
 * against the learned state (agora_sm_check), queues it on the bricks
 * (SUBMIT) and waits up to 15 s until the leader's log decided it. CTL_OK
 * with the state that decided it in *after (the caller frees it) and its
 * commit index; otherwise an exit code, a message printed, nothing to
 * free. */
int ctl_submit_wait(struct ctl_conn *c, struct agora_cmd *cmd, struct agora_sm *after,
                    uint64_t *commit);

/* The subcommand: connects to the bricks and exits (ctl_exit). */
int ctl_cluster(const struct ctl_opts *o, int argc, char **argv);

#endif
