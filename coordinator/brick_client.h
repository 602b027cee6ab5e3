/* brick_client.h: one coordinator's connection to one brick, on its own
 * (never through AFR: DESIGN.md section 2, Transport), described by a
 * single protocol/client volfile; every control request is one IPC fop
 * round trip carrying the authenticated envelope (docs/translator.md,
 * docs/wire-format.md). The client is agorad's own (brick_rpc.h):
 * GlusterFS's RPC spoken directly (portmap, SETVOLUME, IPC), one TCP
 * socket, no threads, every call under a deadline, close in microseconds.
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

/* Connects: reads the volfile, asks glusterd's portmapper for the brick's
 * port (unless the volfile gives remote-port), connects and makes the
 * SETVOLUME handshake, all within timeout_ms, which is also each later
 * call's deadline (reconnection included). Returns 0 or -errno
 * (-ETIMEDOUT, -ECONNREFUSED, -EACCES refused by the brick, -EINVAL bad
 * volfile, -ENOENT no volfile...); on failure *out is NULL. */
int agora_brick_open(const char *volfile_path, int timeout_ms, struct agora_brick **out);

/* The same, for a connection meant to last: when the attempt fails for a
 * reason a retry may mend (the brick's host, glusterd or brick process
 * down, a timeout), the object is returned in *out all the same, with that
 * error. The next call reconnects, with a back-off of 100 ms doubling to
 * 2 s, and fails at once with -ENOTCONN inside it. A bad volfile or a
 * refusal (-EACCES): *out is NULL, as with agora_brick_open. */
int agora_brick_open_kept(const char *volfile_path, int timeout_ms, struct agora_brick **out);

/* The last failure's text (e.g. "glusterd H: port of B: no such brick
 * running"), "" if none. */
const char *agora_brick_why(const struct agora_brick *b);

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

/* Closes the socket and frees b (NULL: nothing). */
void agora_brick_close(struct agora_brick *b);

#endif
