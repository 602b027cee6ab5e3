/* history.h: the history log for the fault-injection checker (DESIGN.md
 * section 6): JSON lines, one event each, stamped on the loop's clock
 * (CLOCK_MONOTONIC in agorad, so the logs of every agorad on one machine
 * merge on one time line):
 *
 *   {"t":123456789,"node":1,"event":"lease_acquired","ballot":"7.1","lease_end":...}
 *   {"t":...,"node":1,"event":"lease_end","ballot":"7.1","lease_end":...}
 *   {"t":...,"node":1,"event":"lease_lost","ballot":"7.1"}
 *   {"t":...,"node":1,"event":"committed","index":42,"origin":"api:c","seq":7,"result":"ok"}
 *   {"t":...,"node":1,"event":"cmd_started","pid":4242}
 *   {"t":...,"node":1,"event":"cmd_stopped","pid":4242,"status":"signal 15"}
 *
 * lease_end, just before lease_lost, is the end of the lease being lost as
 * this node computed it (no other node may lead before it); committed is
 * one applied slot (result ok, rejected, stale or noop; origin and seq when
 * the entry has them), on every node.
 * cmd_started is stamped before the fork and cmd_stopped after the whole
 * process group is gone, so each recorded interval contains the real one:
 * if the recorded intervals of all nodes never overlap, the commands never
 * ran at the same instant. Each line is one write() to an O_APPEND file. */
#ifndef AGD_HISTORY_H
#define AGD_HISTORY_H

#include <stdint.h>

#include "agora/common.h"

struct agd_history;

/* Opens (creates, appends to) path. NULL path: *out = NULL, a valid
 * history that records nothing. Returns 0 or -errno. */
int agd_history_open(const char *path, uint32_t node, struct agd_history **out);
void agd_history_close(struct agd_history *h);

/* Appends {"t":t,"node":N,"event":event<extra>}; extra is either "" or
 * starts with a comma: ",\"pid\":42". Returns 0 or -errno. */
int agd_history_add(struct agd_history *h, agora_time_t t, const char *event,
                    const char *extra_fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
