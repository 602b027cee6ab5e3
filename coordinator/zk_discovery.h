/* zk_discovery.h: the leading Mesos master, read from ZooKeeper the way
 * Mesos publishes it (mesos-v1-notes.md 5.4): every master holds an
 * ephemeral sequential znode "json.info_<10 digits>" under the path, whose
 * data is its MasterInfo as JSON; the lowest sequence leads; other children
 * (log_replicas, old "info_" protobuf nodes) are skipped.
 *
 * libzookeeper-mt runs its own threads; its completions only store the
 * answer under a mutex and write a byte to a pipe, whose read end the
 * launcher's loop watches: the loop never blocks on ZooKeeper. Nor on DNS:
 * host names in the URL are resolved with getaddrinfo_a first
 * (zk_resolve.h), and the session started from their addresses. */
#ifndef AGL_ZK_DISCOVERY_H
#define AGL_ZK_DISCOVERY_H

#include <stddef.h>

struct agl_zk;

/* "zk://h:p,h:p/path" or "zk://user:pass@h:p/path" -> hosts, path. The
 * path must not be "/" (Mesos refuses it). Returns 0 or -1 with why. */
int agl_zk_parse_url(const char *url, char *hosts, size_t hostslen, char *path, size_t pathlen,
                     char *why, size_t whylen);

/* Starts the session (numeric hosts) or resolving the names (the session
 * follows, from agl_zk_drain). NULL with why if the URL is bad or no
 * session can start with numeric hosts. A name failing shows later, in
 * agl_zk_check. */
struct agl_zk *agl_zk_new(const char *url, char *why, size_t whylen);
void agl_zk_free(struct agl_zk *z);

/* Readable when the leader may have changed or a lookup is done;
 * agl_zk_drain empties it (one descriptor for the whole life of z). */
int agl_zk_fd(const struct agl_zk *z);
void agl_zk_drain(struct agl_zk *z);

/* For each attempt to reach a master (so paced by the launcher's back-off):
 * -1 with why when there is no session and none coming (every host failed
 * to resolve, or zookeeper_init failed): it starts again, resolving the
 * names anew. 1 with why for a note: some hosts failed to resolve (the
 * others are used), or the session has been lost for twice its timeout
 * (a new one is started from the names resolved again: servers moved
 * behind their names are found). 0: nothing to say. */
int agl_zk_check(struct agl_zk *z, char *why, size_t whylen);

/* The current leader as "host:port" ("" when none is known). Returns a
 * counter that grows with every change. */
unsigned agl_zk_leader(struct agl_zk *z, char *out, size_t outlen);

/* Picks the leader from the children names: the json.info_ child with the
 * lowest sequence, or NULL. (Pure, for the unit tests.) */
const char *agl_zk_pick_leader(const char *const *children, size_t n);
/* "host:port" from MasterInfo JSON (address.ip or address.hostname, and
 * address.port; the older hostname/port fields otherwise). -1 if absent. */
int agl_zk_master_address(const char *json, size_t len, char *out, size_t outlen);

#endif
