/* ctl_elect.h: `agoractl elect [--name N] [--retry] -- CMD...`: runs CMD
 * only while holding the named lease N (docs/coordinator.md, "Named
 * leases"). Each name is its own Paxos group on the bricks (envelope kind
 * PAXOS_GROUP); this process is one contender of it: the pure proposer
 * (proposer.h) with a node id of its own, in a small Ready loop that
 * learns nothing but the lease (ctl_elect_node.c), and CMD under the
 * keeper (ctl_elect_cmd.h).
 *
 * Exit status: CMD's (128 + N if a signal N ended it) after it exited by
 * itself while we held the lease (the lease is then released at once);
 * 3 the lease was lost while CMD ran (CMD was stopped); 130/143 SIGINT/
 * SIGTERM (CMD stopped, lease released); 1 failure (bricks refuse the
 * group, no free slot); 2 usage; 78 bad configuration; 127 CMD cannot be
 * run. */
#ifndef AGD_CTL_ELECT_H
#define AGD_CTL_ELECT_H

#include <stdbool.h>

#define ELECT_SLOTS 1024          /* contenders per host */
#define ELECT_ID_LIMIT (1u << 20) /* config ids below this can elect */
#define ELECT_NODE_BIT 0x40000000u
#define ELECT_LOCK_DIR "/run/agora/elect"

struct elect_opts {
    const char *config;
    const char *name;
    bool retry;           /* campaign again after losing the lease */
    char *const *argv;    /* CMD, NULL-terminated */
};

/* Runs the whole thing; returns the exit status. */
int ctl_elect_run(const struct elect_opts *o);

#endif
