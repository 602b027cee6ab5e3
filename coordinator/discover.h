/* discover.h: finding the bricks of a volume (agorad.json "volume":
 * {"name", "servers"}), so that agorad can talk to each brick on its own
 * (DESIGN.md section 2, Transport).
 *
 * How: the client volfile that glusterd serves for the volume lists every
 * brick as a protocol/client section (remote-host, remote-subvolume, and for
 * a trusted client the username/password the bricks expect). We ask
 * glusterd for it with one GETSPEC call over TCP (discover_fetch.c), under
 * a deadline, trying each server in turn. Not through libgfapi:
 * glfs_get_volfile waits for glfs_init, which waits for every brick, so one
 * hung brick held it for the volume's ping-timeout (measured: 3 s with
 * ping-timeout 3; 42 s by default), and a failed attempt's glfs_fini takes
 * ~11 s. Not `gluster volume info --xml` either: it needs the gluster CLI
 * and a glusterd on the same host, and gives no credentials.
 * The bricks keep the volfile's order, which is the same for every agorad
 * (the acceptor index of a brick must be). */
#ifndef AGD_DISCOVER_H
#define AGD_DISCOVER_H

#include <stddef.h>

#include "conf.h"

#define AGD_DISCOVER_TIMEOUT_MS 10000
#define AGD_VOLFILE_MAX (1u << 20)

/* Parses a client volfile: every protocol/client section, in order, into
 * bricks[] (malloc'd strings; at most max). Returns the number found, or -1
 * with the reason in err. Pure: no I/O. */
int agd_volfile_bricks(const char *text, struct agd_brick *bricks, size_t max, char *err,
                       size_t errlen);

/* Fetches the client volfile of `volume` from the first server that answers
 * (each under timeout_ms), malloc'd text into *out. Returns 0 or -1 with the
 * reason in err. logfile is unused. */
int agd_volfile_fetch(char *const *servers, size_t n, const char *volume, int timeout_ms,
                      const char *logfile, char **out, char *err, size_t errlen);

/* Both: fills c->bricks / c->n_bricks from the volfile server when the
 * config names a volume (nothing to do with an explicit brick list). */
int agd_discover_bricks(struct agd_config *c, const char *logfile, char *err, size_t errlen);

#endif
