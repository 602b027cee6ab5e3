/* leader_launch.h: the leader's launcher duty: runs the cluster spec's
 * containers through launcher.h (local or Mesos backend) while this agorad
 * leads.
 *
 *   - Once we lead and our LEADER entry is applied (the state is then that
 *     of our term), the launcher is created and started with our ballot and
 *     the spec is planned once: agl_cluster_plan proposes the TASK_DESIRED
 *     entries that make the log's task table match the spec, or, while the
 *     log's config "cluster" is "down" (`agoractl cluster down`), stop
 *     every task. A change of that key plans again; the launcher itself
 *     runs nothing while down (Mesos: TEARDOWN, no framework).
 *   - After every change of the applied index: agl_launcher_sync.
 *   - A launcher that cannot be built or started (agl_launcher_new or
 *     _start fails at run time) is logged once and tried again after 1 s,
 *     doubling to 60 s, while we lead.
 *   - When we stop leading (lease lost, shutdown): agl_launcher_stop, then
 *     free; a new term builds a new launcher.
 *   - SIGHUP (agd_launch_reload): the spec is read again and, while we
 *     lead, planned again; a bad spec is logged and the old one kept.
 * The launcher's fds and wake-up ride on agorad's loop (launcher.h). */
#ifndef AGD_LEADER_LAUNCH_H
#define AGD_LEADER_LAUNCH_H

#include "conf.h"
#include "node.h"

struct agd_launch;

/* NULL config field cluster_spec: *out = NULL, nothing to do. Returns 0, or
 * -1 with the reason in err (the spec does not load). */
int agd_launch_new(struct agd_node *n, const struct agd_config *cfg, struct agd_launch **out,
                   char *err, size_t errlen);
void agd_launch_free(struct agd_launch *l);

/* What the launcher will need, checked before start (and by --check): with
 * "launcher": "mesos", the masters through the launcher's own parser
 * (agl_masters_check), and for zk:// masters libzookeeper-mt loaded
 * (mesos_dl.h). Returns 0, or -1 with "FILE: field 'mesos.masters': ..."
 * in err (agorad exits 78). */
int agd_launch_check(const struct agd_config *cfg, char *err, size_t errlen);
void agd_launch_reload(struct agd_launch *l);

#endif
