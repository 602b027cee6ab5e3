/* brick_client.h: one coordinator's connection to one brick, on its own
 * (never through AFR: DESIGN.md section 2, Transport), described by a
 * single protocol/client volfile; every control request is one IPC fop
 * round trip carrying the authenticated envelope (docs/translator.md,
 * docs/wire-format.md). Two clients behind it, chosen per process by
 * AGORA_BRICK_CLIENT:
 *   native  GlusterFS's RPC spoken directly (brick_rpc.h): portmap,
 *           SETVOLUME, IPC; one TCP socket, no threads, every call under a
 *           deadline, close in microseconds
 *   gfapi   a libgfapi instance per brick (brick_gfapi.h), glfs_ipc()
 * The notes below on glfs_init/glfs_fini concern the gfapi client.
 *
 * Thread safety: one agora_brick may be used by one thread at a time; use one
 * per brick and call the bricks in parallel from separate threads. */
#ifndef AGORA_BRICK_CLIENT_H
#define AGORA_BRICK_CLIENT_H

#include <stdbool.h>
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

/* True when AGORA_BRICK_CLIENT selects the native client. */
bool agora_brick_native(void);

/* Native client: the brick's timeout is also each call's deadline
 * (reconnection included). A failed connection attempt keeps the object
 * (open_kept) unless the volfile is bad or the brick refused us (EACCES);
 * the next call reconnects, with a back-off of 100 ms doubling to 2 s, and
 * fails at once with -ENOTCONN inside it. The last failure's text, "" if
 * none or gfapi: */
const char *agora_brick_why(const struct agora_brick *b);

/* Connects: glfs_new, glfs_set_volfile(volfile_path), glfs_init, with
 * glfs_init bounded by timeout_ms (a wrong password makes it hang forever).
 * After a timeout the instance is abandoned: glfs_fini'd if glfs_init ever
 * returns (a host that drops packets: after the TCP timeout), never freed if
 * it hangs for good. logfile may be NULL ("/dev/null"). Returns 0 or -errno
 * (-ETIMEDOUT, -EIO...). */
int agora_brick_open(const char *volfile_path, const char *logfile, int timeout_ms,
                     struct agora_brick **out);

/* The same, for a connection meant to last: when glfs_init fails because
 * the brick cannot be reached (-EIO, -ENOTCONN, -ECONNREFUSED...: its host,
 * glusterd or brick process is down), the instance is returned in *out all
 * the same, with that error. Its protocol/client keeps reconnecting (every
 * few seconds) and connects once the brick is back; until then calls fail
 * at once with -EIO/-ENOTCONN. Measured with GlusterFS 10.3: a brick
 * started 8 s after the failed glfs_init answered the next call. A fresh
 * instance per attempt would leak ~50 KB inside GlusterFS each time
 * (docs/benchmarks.md, Memory). Other errors (timeout, bad volfile): *out
 * is NULL, as with agora_brick_open. */
int agora_brick_open_kept(const char *volfile_path, const char *logfile, int timeout_ms,
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

/* Native: closes the socket. gfapi: glfs_fini() takes about 11 s
 * (gluster-xlator-notes.md, Q4): keep connections for the life of the
 * process; `wait` false runs it in a detached thread. */
void agora_brick_close(struct agora_brick *b, int wait);

#endif
