/* inbox.h: the registration inbox (DESIGN.md section 4), run by the leader.
 *
 * agorad.json's "inbox_dir" names the inbox folder on a mount of the volume
 * (for example /mnt/agora/.agora-inbox; created with mode 1777 if missing).
 * While this agorad holds the lease it scans the folder every
 * 2 x heartbeat_ms (at least 500 ms). For each request file NAME
 * (inbox_req.h):
 *   - invalid (format, host name, IP, key, key options, size, the name
 *     taken by a member that did not come from the inbox) or refused by the
 *     state machine's own check (agora_sm_check: duplicate key...):
 *     NAME.verdict says "rejected: " and exactly why; nothing is proposed;
 *   - valid: MEMBER_JOIN (kind container, origin "inbox:NAME", the request's
 *     seq) is proposed; once applied NAME.verdict says "accepted: ...".
 *     The same (origin, seq) is applied once however often it is retried;
 *   - NAME removed: the member NAME that the inbox registered gets a
 *     MEMBER_LEAVE and its verdict file is removed.
 * File system calls run on a thread of their own: a hung mount never holds
 * the loop (the scan is then simply late). */
#ifndef AGD_INBOX_H
#define AGD_INBOX_H

#include <stdbool.h>

#include "agora/common.h"

struct agd_node;
struct agd_inbox;

int agd_inbox_new(struct agd_node *n, const char *dir, struct agd_inbox **out);
void agd_inbox_free(struct agd_inbox *ib);

/* Once per node turn; `leading`: we hold the lease. Returns when it wants
 * the next turn. */
agora_time_t agd_inbox_turn(struct agd_inbox *ib, agora_time_t now, bool leading);

#endif
