/* group_table.h: the named leases' Paxos groups of one brick (agoractl
 * elect, docs/coordinator.md "Named leases"). Each group name has its own
 * core acceptor (acceptor.h) and its own write-ahead log,
 * STATE_DIR/groups/NAME.wal, in the same format as acceptor.wal
 * (docs/wire-format.md section 5). A group has no state machine: its log
 * holds only no-ops, so nothing is applied; the lease is what matters.
 *
 * Plain C and POSIX, no GlusterFS: worker*.c drive it under the brick's
 * lock, and tests/xlator/test_group_table.c tests it on its own.
 *
 * Rules:
 *   - at most AGORA_GROUPS_MAX groups; a new name beyond that is refused
 *     (-ENOSPC). A group is never dropped while the brick runs: forgetting
 *     its promise would be unsafe (docs/coordinator.md says why);
 *   - every group file found at open is loaded, so every name that ever
 *     granted a lease keeps its promise across brick restarts;
 *   - the restart rule holds for every group from the brick's start: no
 *     promise before start + lease. A group created later (no file: it never
 *     granted anything) has no quiet period of its own;
 *   - a group whose file cannot be read or written refuses every request
 *     (ok = false) until the brick restarts, like the main acceptor. */
#ifndef AGORA_GROUP_TABLE_H
#define AGORA_GROUP_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "agora/acceptor.h"
#include "agora/envelope.h"

#define AGORA_GROUPS_MAX 64
#define AGORA_GROUP_COMPACT_BYTES (64 * 1024) /* rewrite a log larger than this */

struct agora_group {
    char name[AGORA_GROUP_NAME_MAX + 1];
    struct agora_acceptor acc;
    int fd;                   /* the log, appended to */
    uint64_t wal_size;
    bool ok;                  /* false: refuse with EIO */
    struct agora_buf pending; /* records of the current batch, not yet written */
    uint64_t requests;
};

struct agora_groups {
    char dir[4200];           /* STATE_DIR/groups */
    struct agora_acceptor_config cfg;
    agora_time_t quiet_until; /* brick start + lease */
    struct agora_group *g[AGORA_GROUPS_MAX];
    size_t n;
};

/* Creates STATE_DIR/groups (0700) and loads every NAME.wal in it; a file
 * that cannot be loaded leaves its group in the table with ok = false.
 * started: the brick's start on the monotonic clock. Returns 0 or -errno
 * (the folder cannot be made or read), with the reason in why. */
int agora_groups_open(struct agora_groups *t, const char *state_dir,
                      const struct agora_acceptor_config *cfg, agora_time_t started,
                      agora_time_t now, char *why, size_t whylen);

/* The group of that name (a valid group name), created (empty log file)
 * if new. NULL with *err = -ENOSPC (table full), -EINVAL (bad name) or
 * -errno (the file cannot be created). */
struct agora_group *agora_groups_get(struct agora_groups *t, const char *name,
                                     agora_time_t now, int *err);

/* Appends g->pending to its file and fdatasyncs it (0 if there is nothing
 * to write). Touches only g's file and g->pending's bytes: the worker calls
 * it without the brick's lock, so no GlusterFS thread waits for the disk.
 * Returns 0 or -errno. */
int agora_groups_write(struct agora_group *g);

/* Then, under the lock, with what agora_groups_write returned: counts the
 * bytes and empties g->pending, or marks g unusable (ok = false: the memory
 * state is ahead of the disk); compacts a log that grew past
 * AGORA_GROUP_COMPACT_BYTES (on failure the old file stays in use). */
void agora_groups_written(struct agora_groups *t, struct agora_group *g, int rc);

/* Frees everything and closes the files. */
void agora_groups_close(struct agora_groups *t);

#endif
