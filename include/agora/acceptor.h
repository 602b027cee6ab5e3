/* acceptor.h: the Paxos acceptor of one brick (DESIGN.md section 2), pure.
 *
 * The shell (the translator, or the simulation) feeds it requests with the
 * time of arrival on the brick's own monotonic clock. Each step returns the
 * reply and the bytes to append to the write-ahead log; the shell must make
 * those bytes durable (write + fdatasync) before it sends the reply.
 * After a crash the shell replays the log with agora_acceptor_recover(). */
#ifndef AGORA_ACCEPTOR_H
#define AGORA_ACCEPTOR_H

#include "agora/common.h"
#include "agora/log.h"
#include "agora/msg.h"

struct agora_acceptor_config {
    agora_time_t lease;        /* lease duration granted on ACCEPT */
    uint32_t max_reply_entries;/* cap on entries per PROMISE/FETCHED */
    uint32_t max_reply_bytes;  /* cap on value bytes per PROMISE/FETCHED */
};

struct agora_acceptor {
    struct agora_acceptor_config cfg;
    uint32_t id;                 /* acceptor index (0, 1, 2) */
    /* durable */
    struct agora_ballot promised;
    uint64_t commit;             /* every slot <= commit is chosen and held here (or in snap) */
    struct agora_log log;
    uint64_t snap_index;         /* == log.base */
    uint8_t *snap;
    uint32_t snap_len;
    /* volatile */
    uint32_t lease_holder;       /* node id, 0 = none */
    agora_time_t lease_until;
    agora_time_t quiet_until;    /* restart rule: no promise before this */
    /* counters, for status */
    uint64_t n_prepare, n_accept, n_reject, n_fetch;
};

/* Starts an acceptor with empty state at time now. Every start applies the
 * restart rule: no promise to anyone until now + lease. */
int agora_acceptor_init(struct agora_acceptor *a, const struct agora_acceptor_config *cfg,
                        uint32_t id, agora_time_t now);
void agora_acceptor_free(struct agora_acceptor *a);

/* Replays a write-ahead log image (a sequence of frames, frame.h). Stops at a
 * torn or corrupt frame; *valid is the length of the trusted prefix, which the
 * shell must truncate the file to. Returns AGORA_OK even if the tail was
 * torn. An undecodable record inside a valid frame (a bug or a format from
 * another version, not a torn write) is AGORA_ECORRUPT with *valid at that
 * record's offset: the shell must not serve, since cutting could forget a
 * promise. */
int agora_acceptor_recover(struct agora_acceptor *a, const uint8_t *wal, size_t len,
                           size_t *valid);

/* Handles one request (PREPARE, READ, ACCEPT, INSTALL, FETCH, RELEASE) that arrived at
 * `now`. Fills *reply (initialised by the call) and appends records to *wal.
 * Returns AGORA_EINVAL for a message type an acceptor does not take. */
int agora_acceptor_step(struct agora_acceptor *a, agora_time_t now, const struct agora_msg *in,
                        struct agora_msg *reply, struct agora_buf *wal);

/* Compaction: `snap` is the state machine serialised after applying every
 * slot <= upto (upto <= commit). Drops those entries and writes a complete new
 * write-ahead log image into *image, which the shell writes to a new file,
 * syncs, and renames over the old one. */
int agora_acceptor_compact(struct agora_acceptor *a, uint64_t upto, const uint8_t *snap,
                           uint32_t len, struct agora_buf *image);

/* The lease as this acceptor sees it at now: holder (0: none) and time left. */
uint32_t agora_acceptor_lease(const struct agora_acceptor *a, agora_time_t now, agora_time_t *left);

#endif
