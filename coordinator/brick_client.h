/* brick_client.h: one coordinator's connection to one brick, on its own
 * (never through AFR: DESIGN.md section 2, Transport). A libgfapi instance
 * built from a single protocol/client volfile; every control request is one
 * glfs_ipc() round trip carrying the authenticated envelope
 * (docs/translator.md, docs/wire-format.md).
 *
 * Thread safety: one agora_brick may be used by one thread at a time; use one
 * per brick and call the bricks in parallel from separate threads. */
#ifndef AGORA_BRICK_CLIENT_H
#define AGORA_BRICK_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "agora/auth.h"
#include "agora/control.h"
#include "agora/msg.h"

struct agora_brick;

/* The per-brick client volfile (volfiles/brick-client.vol.in filled in):
 * host of the brick, the brick's path (glusterd's portmapper finds the
 * port), or port > 0 for a brick run without glusterd (then `subvol` names
 * the server's child volume instead of a path). username/password may be
 * NULL (the default brick accepts clients without them). Returns the length
 * written (snprintf semantics) or -1. */
int agora_brick_volfile(char *buf, size_t len, const char *host, const char *subvol, int port,
                        const char *username, const char *password);

/* Connects: glfs_new, glfs_set_volfile(volfile_path), glfs_init, with
 * glfs_init bounded by timeout_ms (a wrong password makes it hang forever;
 * the stuck instance is then abandoned, never freed). logfile may be NULL
 * ("/dev/null"). Returns 0 or -errno (-ETIMEDOUT, -EIO...). */
int agora_brick_open(const char *volfile_path, const char *logfile, int timeout_ms,
                     struct agora_brick **out);

/* One round trip: the request envelope out, the reply envelope back
 * (malloc'd, caller frees). Returns 0 or -errno from the brick (-EACCES bad
 * MAC or no key, -EALREADY replay, -EINVAL malformed, -EFBIG too big,
 * -ENOTCONN brick down...). */
int agora_brick_call(struct agora_brick *b, const uint8_t *req, size_t len, uint8_t **reply,
                     size_t *reply_len);

/* Sealed requests: each call takes the next sequence number of (sender,
 * tag) from *seq (incremented), checks the reply's MAC, tag and seq, and
 * decodes it. Return 0 or -errno (-EBADMSG: reply does not authenticate or
 * decode). */
int agora_brick_paxos(struct agora_brick *b, const struct agora_key *key, uint32_t sender,
                      uint64_t tag, uint64_t *seq, const struct agora_msg *req,
                      struct agora_msg *reply);
int agora_brick_control(struct agora_brick *b, const struct agora_key *key, uint32_t sender,
                        uint64_t tag, uint64_t *seq, const struct agora_ctl *req,
                        struct agora_ctl *reply);

/* glfs_fini() takes about 11 s (gluster-xlator-notes.md, Q4): keep
 * connections for the life of the process. `wait` false runs it in a
 * detached thread. */
void agora_brick_close(struct agora_brick *b, int wait);

#endif
