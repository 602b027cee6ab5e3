/* member.h: membership (DESIGN.md section 3) for one agorad.
 *
 * Every agorad:
 *   - heartbeats its member id to every brick each heartbeat_ms
 *     (control HEARTBEAT; the bricks keep the time in memory);
 *   - makes sure the log holds its membership as configured: while it is
 *     not (or not as configured) a member, it queues MEMBER_JOIN on the
 *     bricks (control SUBMIT, origin = its member id, seq = realtime in us,
 *     kept across retries until decided, so a retried request is applied
 *     once); a leader proposes it directly;
 *   - on a clean stop, leaves (MEMBER_LEAVE, the same way).
 * The leader additionally, each heartbeat_ms while it holds the lease:
 *   - polls every brick (control POLL with its ballot: a deposed leader is
 *     fenced) for the registers: heartbeat ages and queued requests;
 *   - proposes every queued request once (the state machine decides, by
 *     origin and seq; only LEADER entries are never taken from the queue);
 *   - proposes MEMBER_EXPIRE for a host member not seen by any brick within
 *     member_ttl_ms. "Seen" is measured on the leader's clock (now - age at
 *     the reply); a member never seen counts from the moment this node took
 *     the lease, so a new leader (or bricks that restarted and lost their
 *     registers) gives every member a full TTL first. Container members (the
 *     inbox, agoractl join) do not heartbeat and never expire. */
#ifndef AGD_MEMBER_H
#define AGD_MEMBER_H

#include <stdbool.h>

#include "agora/common.h"
#include "transport.h"

struct agd_node;
struct agd_members;

struct agd_members *agd_members_new(struct agd_node *n);
void agd_members_free(struct agd_members *m);

/* Once per node turn; returns when it wants the next turn. */
agora_time_t agd_members_turn(struct agd_members *m, agora_time_t now, bool holds);

/* A reply of kind CONTROL. */
void agd_members_on_reply(struct agd_members *m, const struct agd_reply *r);

/* Clean stop: leaves the membership. Call at every turn of the shutdown;
 * true once our MEMBER_LEAVE is applied, or we were no member, or the
 * deadline passed. */
bool agd_members_leave(struct agd_members *m, agora_time_t now, bool holds);

#endif
