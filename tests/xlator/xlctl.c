/* xlctl.c: agora-xlctl, a small test client that speaks the control
 * protocol to one brick on its own (through coordinator/brick_client.c).
 *
 *   agora-xlctl [options] COMMAND [ARGS]... [-- COMMAND [ARGS]...]...
 *
 * Options:
 *   -v FILE      per-brick client volfile, or
 *   -H HOST -B BRICK [-P PORT]   make one (BRICK: path, or subvolume with -P)
 *   -k FILE      cluster key file (default: none: requests go unsigned-by-key
 *                with an all-zero MAC)
 *   -n ID        sender node id (default 1)
 *   -T TAG       sender incarnation (default: realtime ns)
 *   -l FILE      accepted and ignored (the former client's log file)
 *   -w MS        connect and call timeout (default 10000)
 *
 * Commands (several may follow, separated by "--"; each prints one line):
 *   prepare ROUND [FROM]                 PREPARE ballot ROUND.ID from slot FROM
 *   accept ROUND FIRST COMMIT [VALUE]... ACCEPT; VALUE: noop | raw:TEXT |
 *                                        join:ID,HOST,IP,KEYFILE | leader:ID
 *   fetch FROM | release ROUND
 *   heartbeat MEMBER | poll ROUND | status
 *   submit ORIGIN SEQ join:ID,HOST,IP,KEYFILE
 *   replay-heartbeat MEMBER              the same envelope twice
 *   badmac-heartbeat MEMBER              a heartbeat with a corrupted MAC
 *   bench N                              N heartbeats, prints the mean latency
 *   envelope-hex MEMBER                  (alone, no brick) print a heartbeat
 *                                        envelope in hex, for setfattr
 *   bench-accept N ROUND FIRST           N ACCEPTs of one entry (each fsynced)
 *   replay-submit ORIGIN SEQ VALUE       the same SUBMIT envelope twice
 *   submit-raw ORIGIN SEQ BYTES          a SUBMIT of BYTES bytes of garbage
 *   fetch-save FROM FILE                 FETCH from slot FROM; the reply (an
 *                                        encoded FETCHED message) saved to FILE
 *   install-file FILE ROUND              replay a saved FETCHED reply as a
 *                                        leader of ballot ROUND would: INSTALL
 *                                        its snapshot (if any), then ACCEPT its
 *                                        entries with its commit index
 *   wal-info FILE                        (alone, no brick) replay an acceptor
 *                                        log file and print what it holds
 * VALUE for accept and submit: noop | raw:TEXT | join:ID,HOST,IP,KEYFILE |
 * leader:ID, optionally prefixed by req:ORIGIN:SEQ: (a queued request's
 * identity, so that applying it drops it from the bricks' queues).
 *
 * Exit status: 0 when every command got a reply (whatever it says), 1 when
 * one failed at the transport or was refused by the brick (errno printed),
 * 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agora/auth.h"
#include "agora/control.h"
#include "agora/acceptor.h"
#include "agora/envelope.h"
#include "agora/frame.h"
#include "agora/msg.h"
#include "agora/sm.h"
#include "brick_client.h"

static struct agora_brick *brick;
static struct agora_key key;
static uint32_t sender = 1;
static uint64_t tag, seq;

static uint64_t now_ns(int clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(void)
{
    fprintf(stderr, "usage: agora-xlctl [-v VOLFILE | -H HOST -B BRICK [-P PORT]] [-k KEYFILE] "
                    "[-n ID] [-T TAG] COMMAND [ARGS]... [-- COMMAND...]\n");
    exit(2);
}

static int fail(const char *what, int rc)
{
    printf("ERROR %s errno=%d %s\n", what, -rc, strerror(-rc));
    return 1;
}

static char *read_line_file(const char *path)
{
    static char buf[16384];
    FILE *f = fopen(path, "r");
    if (f == NULL || fgets(buf, sizeof(buf), f) == NULL) {
        if (f)
            fclose(f);
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf;
}

/* Encodes a VALUE spec into out. */
static void make_value(const char *spec, struct agora_ballot b, const char *origin, uint64_t oseq,
                       struct agora_buf *out)
{
    struct agora_cmd cmd;
    char why[256] = "";
    char tmp[1024];
    static char oid[256];
    if (strncmp(spec, "req:", 4) == 0) {
        /* req:ORIGIN:SEQ:VALUE */
        const char *a = spec + 4, *c1 = strchr(a, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL || (size_t)(c1 - a) >= sizeof(oid))
            usage();
        memcpy(oid, a, (size_t)(c1 - a));
        oid[c1 - a] = '\0';
        origin = oid;
        oseq = strtoull(c1 + 1, NULL, 10);
        spec = c2 + 1;
    }
    agora_cmd_init(&cmd);
    cmd.origin = origin;
    cmd.seq = oseq;
    if (strcmp(spec, "noop") == 0)
        return;
    if (strncmp(spec, "raw:", 4) == 0) {
        agora_buf_put(out, spec + 4, strlen(spec + 4));
        return;
    }
    snprintf(tmp, sizeof(tmp), "%s", spec);
    if (strncmp(tmp, "join:", 5) == 0) {
        char *f[4] = {NULL}, *save = NULL, *p = tmp + 5;
        for (int i = 0; i < 4; i++, p = NULL)
            f[i] = strtok_r(p, ",", &save);
        if (f[3] == NULL)
            usage();
        cmd.kind = AGORA_CMD_MEMBER_JOIN;
        cmd.u.join.id = f[0];
        cmd.u.join.hostname = f[1];
        cmd.u.join.ip = f[2];
        cmd.u.join.sshkey = read_line_file(f[3]);
        cmd.u.join.kind = AGORA_MEMBER_HOST;
    } else if (strncmp(tmp, "leader:", 7) == 0) {
        cmd.kind = AGORA_CMD_LEADER;
        cmd.u.leader.ballot = b;
        cmd.u.leader.id = tmp + 7;
    } else {
        usage();
    }
    if (agora_cmd_encode(&cmd, out, why, sizeof(why)) != AGORA_OK) {
        fprintf(stderr, "cannot encode %s: %s\n", spec, why);
        exit(2);
    }
}

static void print_msg(const struct agora_msg *m)
{
    printf("%s from=%u ballot=%" PRIu64 ".%u slot=%" PRIu64 " count=%" PRIu64
           " commit=%" PRIu64 " snap=%" PRIu64 " lease_holder=%u lease_left_ms=%" PRIu64,
           agora_msg_type_name(m->type), m->from, m->ballot.round, m->ballot.node, m->slot,
           m->count, m->commit, m->snap_index, m->lease_holder, m->lease_left / 1000000);
    if (m->type == AGORA_MSG_REJECT)
        printf(" reason=%s", m->reason == AGORA_REJECT_BALLOT    ? "BALLOT"
                             : m->reason == AGORA_REJECT_LEASE   ? "LEASE"
                             : m->reason == AGORA_REJECT_RESTART ? "RESTART"
                                                                 : "?");
    printf(" entries=%u", m->n_entries);
    for (uint32_t i = 0; i < m->n_entries && i < 8; i++)
        printf(" %" PRIu64 ":%" PRIu64 ".%u:%u", m->entries[i].slot, m->entries[i].ballot.round,
               m->entries[i].ballot.node, m->entries[i].len);
    printf("\n");
}

static void print_ctl(const struct agora_ctl *c)
{
    printf("%s", agora_ctl_type_name(c->type));
    if (c->type == AGORA_CTL_ACK)
        printf(" status=%s text=\"%s\" promised=%" PRIu64 ".%u", agora_ctl_status_name(c->status),
               c->text ? c->text : "", c->ballot.round, c->ballot.node);
    if (c->type == AGORA_CTL_REGISTERS) {
        printf(" promised=%" PRIu64 ".%u applied=%" PRIu64 " commit=%" PRIu64 " members=%u",
               c->ballot.round, c->ballot.node, c->applied, c->commit, c->n_members);
        for (uint32_t i = 0; i < c->n_members; i++)
            printf(" %s:%u:%" PRIu64 "ms:%" PRIu64, c->members[i].id, c->members[i].sender,
                   c->members[i].age / 1000000, c->members[i].beats);
        printf(" queued=%u", c->n_queued);
    }
    if (c->type == AGORA_CTL_STATUS_REPLY)
        printf(" %.*s", (int)c->len, (const char *)c->data);
    printf("\n");
}

static int paxos(struct agora_msg *req)
{
    struct agora_msg rep;
    req->from = sender;
    int rc = agora_brick_paxos(brick, &key, sender, tag, &seq, req, &rep);
    if (rc != 0)
        return fail(agora_msg_type_name(req->type), rc);
    print_msg(&rep);
    agora_msg_clear(&rep);
    return 0;
}

static int control(const struct agora_ctl *req)
{
    struct agora_ctl rep;
    int rc = agora_brick_control(brick, &key, sender, tag, &seq, req, &rep);
    if (rc != 0)
        return fail(agora_ctl_type_name(req->type), rc);
    print_ctl(&rep);
    agora_ctl_clear(&rep);
    return 0;
}

/* A sealed heartbeat envelope for MEMBER (raw bytes, for replay tests). */
static void heartbeat_env(const char *member, struct agora_buf *out)
{
    struct agora_ctl c;
    struct agora_buf body;
    agora_ctl_init(&c);
    agora_buf_init(&body);
    c.type = AGORA_CTL_HEARTBEAT;
    agora_ctl_set_member(&c, member, strlen(member));
    agora_ctl_encode(&c, &body);
    struct agora_env e = {.kind = AGORA_ENV_CONTROL, .sender = sender, .tag = tag, .seq = ++seq,
                          .body = body.data, .body_len = (uint32_t)body.len};
    if (key.len > 0) {
        agora_env_seal(&key, &e, out);
    } else {
        uint8_t zero[AGORA_ENV_MAC] = {0};
        agora_env_encode(&e, out);
        agora_buf_put(out, zero, sizeof(zero));
    }
    agora_buf_free(&body);
    agora_ctl_clear(&c);
}

/* A sealed control envelope for c. */
static void ctl_env(const struct agora_ctl *c, struct agora_buf *out)
{
    struct agora_buf body;
    agora_buf_init(&body);
    agora_ctl_encode(c, &body);
    struct agora_env e = {.kind = AGORA_ENV_CONTROL, .sender = sender, .tag = tag, .seq = ++seq,
                          .body = body.data, .body_len = (uint32_t)body.len};
    agora_env_seal(&key, &e, out);
    agora_buf_free(&body);
}

static int raw_call(const char *what, const struct agora_buf *env);

/* Reads a whole file (malloc'd). */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);
    size_t r;
    while (buf != NULL && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (nb == NULL)
                free(buf);
            buf = nb;
        }
    }
    fclose(f);
    if (buf == NULL)
        exit(2);
    *len = n;
    return buf;
}

/* wal-info FILE: what an acceptor log file holds (offline). */
static int wal_info(const char *path)
{
    size_t len, valid = 0, off = 0;
    uint8_t *buf = slurp(path, &len);
    struct agora_acceptor a;
    struct agora_acceptor_config cfg = {.lease = AGORA_SEC};
    agora_acceptor_init(&a, &cfg, 0, 0);
    int rc = agora_acceptor_recover(&a, buf, len, &valid);
    const uint8_t *p;
    uint32_t plen;
    unsigned kinds[8] = {0}, frames = 0, first = 0;
    while (agora_frame_next(buf, valid, &off, &p, &plen, NULL) == AGORA_FRAME_OK) {
        unsigned k = plen > 0 ? p[0] : 0;
        if (frames++ == 0)
            first = k;
        kinds[k < 8 ? k : 0]++;
    }
    /* record kinds: 1 PROMISED, 2 ACCEPTED, 3 COMMIT, 4 SNAPSHOT (docs/wire-format.md) */
    printf("WAL bytes=%zu valid=%zu rc=%d frames=%u first=%u promised=%u accepted=%u commits=%u "
           "snapshots=%u promised_ballot=%" PRIu64 ".%u commit=%" PRIu64 " snap=%" PRIu64
           " snap_len=%u last_slot=%" PRIu64 "\n",
           len, valid, rc, frames, first, kinds[1], kinds[2], kinds[3], kinds[4],
           a.promised.round, a.promised.node, a.commit, a.snap_index, a.snap_len,
           agora_log_last(&a.log));
    agora_acceptor_free(&a);
    free(buf);
    return 0;
}

/* fetch-save FROM FILE */
static int fetch_save(uint64_t from, const char *path)
{
    struct agora_msg req, rep;
    struct agora_buf enc;
    agora_msg_init(&req);
    req.type = AGORA_MSG_FETCH;
    req.from = sender;
    req.slot = from;
    int rc = agora_brick_paxos(brick, &key, sender, tag, &seq, &req, &rep);
    if (rc != 0)
        return fail("FETCH", rc);
    print_msg(&rep);
    agora_buf_init(&enc);
    FILE *f = fopen(path, "wb");
    if (agora_msg_encode(&rep, &enc) != AGORA_OK || f == NULL ||
        fwrite(enc.data, 1, enc.len, f) != enc.len) {
        fprintf(stderr, "cannot save %s\n", path);
        exit(2);
    }
    fclose(f);
    agora_buf_free(&enc);
    agora_msg_clear(&rep);
    return 0;
}

/* install-file FILE ROUND: what a leader does for a lagging acceptor. */
static int install_file(const char *path, uint64_t round)
{
    size_t len;
    uint8_t *buf = slurp(path, &len);
    struct agora_msg f;
    int rc = 0;
    if (agora_msg_decode(buf, len, &f) != AGORA_OK || f.type != AGORA_MSG_FETCHED) {
        fprintf(stderr, "%s: not a FETCHED message\n", path);
        exit(2);
    }
    struct agora_ballot b = {round, sender};
    if (f.snap != NULL || (f.reason & AGORA_REPLY_SNAPSHOT)) {
        struct agora_msg m;
        agora_msg_init(&m);
        m.type = AGORA_MSG_INSTALL;
        m.ballot = b;
        if (agora_msg_set_snap(&m, f.snap_index, f.snap, f.snap_len) != AGORA_OK)
            exit(2);
        m.commit = f.snap_index;
        rc |= paxos(&m);
        agora_msg_clear(&m);
    }
    if (f.n_entries > 0) {
        struct agora_msg m;
        agora_msg_init(&m);
        m.type = AGORA_MSG_ACCEPT;
        m.ballot = b;
        m.slot = f.entries[0].slot;
        m.commit = f.commit;
        for (uint32_t i = 0; i < f.n_entries; i++) {
            struct agora_entry e = f.entries[i];
            e.ballot = b; /* re-proposed under the leader's ballot */
            agora_msg_add_entry(&m, &e);
        }
        rc |= paxos(&m);
        agora_msg_clear(&m);
    }
    agora_msg_clear(&f);
    free(buf);
    return rc;
}

static int raw_call(const char *what, const struct agora_buf *env)
{
    uint8_t *rep = NULL;
    size_t n = 0;
    int rc = agora_brick_call(brick, env->data, env->len, &rep, &n);
    free(rep);
    if (rc != 0)
        return fail(what, rc);
    printf("OK %s reply=%zu bytes\n", what, n);
    return 0;
}

static int run(int argc, char **argv)
{
    const char *cmd = argv[0];
    struct agora_msg m;
    struct agora_ctl c;
    agora_msg_init(&m);
    agora_ctl_init(&c);
    int rc = 0;
#define ARG(i) ((i) < argc ? argv[i] : (usage(), ""))
    if (strcmp(cmd, "prepare") == 0) {
        m.type = AGORA_MSG_PREPARE;
        m.ballot = (struct agora_ballot){strtoull(ARG(1), NULL, 10), sender};
        m.slot = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
        rc = paxos(&m);
    } else if (strcmp(cmd, "accept") == 0) {
        m.type = AGORA_MSG_ACCEPT;
        m.ballot = (struct agora_ballot){strtoull(ARG(1), NULL, 10), sender};
        m.slot = strtoull(ARG(2), NULL, 10);
        m.commit = strtoull(ARG(3), NULL, 10);
        for (int i = 4; i < argc; i++) {
            struct agora_buf v;
            agora_buf_init(&v);
            make_value(argv[i], m.ballot, "", 0, &v);
            struct agora_entry e = {.slot = m.slot + (uint64_t)(i - 4), .ballot = m.ballot,
                                    .data = v.data, .len = (uint32_t)v.len};
            agora_msg_add_entry(&m, &e);
            agora_buf_free(&v);
        }
        rc = paxos(&m);
    } else if (strcmp(cmd, "fetch") == 0) {
        m.type = AGORA_MSG_FETCH;
        m.slot = strtoull(ARG(1), NULL, 10);
        rc = paxos(&m);
    } else if (strcmp(cmd, "release") == 0) {
        m.type = AGORA_MSG_RELEASE;
        m.ballot = (struct agora_ballot){strtoull(ARG(1), NULL, 10), sender};
        rc = paxos(&m);
    } else if (strcmp(cmd, "heartbeat") == 0) {
        c.type = AGORA_CTL_HEARTBEAT;
        agora_ctl_set_member(&c, ARG(1), strlen(ARG(1)));
        rc = control(&c);
    } else if (strcmp(cmd, "poll") == 0) {
        c.type = AGORA_CTL_POLL;
        c.ballot = (struct agora_ballot){strtoull(ARG(1), NULL, 10), sender};
        rc = control(&c);
    } else if (strcmp(cmd, "status") == 0) {
        c.type = AGORA_CTL_STATUS;
        rc = control(&c);
    } else if (strcmp(cmd, "submit") == 0) {
        struct agora_buf v;
        agora_buf_init(&v);
        make_value(ARG(3), (struct agora_ballot){0, 0}, ARG(1), strtoull(ARG(2), NULL, 10), &v);
        c.type = AGORA_CTL_SUBMIT;
        agora_ctl_set_data(&c, v.data, (uint32_t)v.len);
        agora_buf_free(&v);
        rc = control(&c);
    } else if (strcmp(cmd, "replay-heartbeat") == 0) {
        struct agora_buf env;
        agora_buf_init(&env);
        heartbeat_env(ARG(1), &env);
        rc = raw_call("first", &env) | raw_call("replayed", &env);
        agora_buf_free(&env);
    } else if (strcmp(cmd, "badmac-heartbeat") == 0) {
        struct agora_buf env;
        agora_buf_init(&env);
        heartbeat_env(ARG(1), &env);
        env.data[env.len - 1] ^= 0x5a;
        rc = raw_call("badmac", &env);
        agora_buf_free(&env);
    } else if (strcmp(cmd, "replay-submit") == 0) {
        struct agora_buf v, env;
        agora_buf_init(&v);
        agora_buf_init(&env);
        make_value(ARG(3), (struct agora_ballot){0, 0}, ARG(1), strtoull(ARG(2), NULL, 10), &v);
        c.type = AGORA_CTL_SUBMIT;
        agora_ctl_set_data(&c, v.data, (uint32_t)v.len);
        ctl_env(&c, &env);
        rc = raw_call("first", &env) | raw_call("replayed", &env);
        agora_buf_free(&v);
        agora_buf_free(&env);
    } else if (strcmp(cmd, "submit-raw") == 0) {
        size_t n = strtoull(ARG(3), NULL, 10);
        uint8_t *junk = calloc(1, n ? n : 1);
        if (junk == NULL)
            exit(2);
        memset(junk, 'x', n);
        c.type = AGORA_CTL_SUBMIT;
        agora_ctl_set_data(&c, junk, (uint32_t)n);
        free(junk);
        rc = control(&c);
    } else if (strcmp(cmd, "fetch-save") == 0) {
        rc = fetch_save(strtoull(ARG(1), NULL, 10), ARG(2));
    } else if (strcmp(cmd, "install-file") == 0) {
        rc = install_file(ARG(1), strtoull(ARG(2), NULL, 10));
    } else if (strcmp(cmd, "bench") == 0) {
        long n = strtol(ARG(1), NULL, 10);
        c.type = AGORA_CTL_HEARTBEAT;
        agora_ctl_set_member(&c, "bench", 5);
        uint64_t t0 = now_ns(CLOCK_MONOTONIC), worst = 0;
        for (long i = 0; i < n && rc == 0; i++) {
            struct agora_ctl rep;
            uint64_t t1 = now_ns(CLOCK_MONOTONIC);
            int r = agora_brick_control(brick, &key, sender, tag, &seq, &c, &rep);
            uint64_t dt = now_ns(CLOCK_MONOTONIC) - t1;
            if (dt > worst)
                worst = dt;
            if (r != 0)
                rc = fail("bench", r);
            agora_ctl_clear(&rep);
        }
        uint64_t total = now_ns(CLOCK_MONOTONIC) - t0;
        if (rc == 0)
            printf("BENCH n=%ld mean_us=%.1f max_us=%.1f\n", n, n ? total / 1e3 / (double)n : 0.0,
                   worst / 1e3);
    } else if (strcmp(cmd, "bench-accept") == 0) {
        /* N ACCEPTs of one small entry each, committing as they go: every
         * one is a write + fdatasync on the brick */
        long n = strtol(ARG(1), NULL, 10);
        struct agora_ballot b = {strtoull(ARG(2), NULL, 10), sender};
        uint64_t slot = strtoull(ARG(3), NULL, 10), worst = 0;
        uint64_t t0 = now_ns(CLOCK_MONOTONIC);
        for (long i = 0; i < n && rc == 0; i++, slot++) {
            struct agora_msg req, rep;
            agora_msg_init(&req);
            req.type = AGORA_MSG_ACCEPT;
            req.from = sender;
            req.ballot = b;
            req.slot = slot;
            req.commit = slot;
            struct agora_entry e = {.slot = slot, .ballot = b, .data = NULL, .len = 0};
            agora_msg_add_entry(&req, &e);
            uint64_t t1 = now_ns(CLOCK_MONOTONIC);
            int r = agora_brick_paxos(brick, &key, sender, tag, &seq, &req, &rep);
            uint64_t dt = now_ns(CLOCK_MONOTONIC) - t1;
            if (dt > worst)
                worst = dt;
            if (r != 0)
                rc = fail("bench-accept", r);
            else if (rep.type != AGORA_MSG_ACCEPTED)
                rc = fail("bench-accept: not accepted", -EPROTO);
            agora_msg_clear(&req);
            agora_msg_clear(&rep);
        }
        uint64_t total = now_ns(CLOCK_MONOTONIC) - t0;
        if (rc == 0)
            printf("BENCH-ACCEPT n=%ld mean_us=%.1f max_us=%.1f\n", n,
                   n ? total / 1e3 / (double)n : 0.0, worst / 1e3);
    } else {
        usage();
    }
    agora_msg_clear(&m);
    agora_ctl_clear(&c);
    return rc;
}

int main(int argc, char **argv)
{
    const char *volfile = NULL, *host = NULL, *bpath = NULL, *keyfile = NULL;
    int port = 0, wait_ms = 10000, opt;
    char tmpvol[] = "/tmp/agora-xlctl.XXXXXX";
    tag = now_ns(CLOCK_REALTIME);
    while ((opt = getopt(argc, argv, "+v:H:B:P:k:n:T:l:w:")) != -1) {
        switch (opt) {
        case 'v': volfile = optarg; break;
        case 'H': host = optarg; break;
        case 'B': bpath = optarg; break;
        case 'P': port = atoi(optarg); break;
        case 'k': keyfile = optarg; break;
        case 'n': sender = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'T': tag = strtoull(optarg, NULL, 10); break;
        case 'l': break;
        case 'w': wait_ms = atoi(optarg); break;
        default: usage();
        }
    }
    if (optind + 1 < argc && strcmp(argv[optind], "wal-info") == 0)
        return wal_info(argv[optind + 1]);
    if (optind < argc && strcmp(argv[optind], "envelope-hex") == 0) {
        /* offline: a heartbeat envelope in hex (for setfattr -v 0x...) */
        struct agora_buf env;
        if (optind + 1 >= argc)
            usage();
        if (keyfile != NULL) {
            char why[300];
            if (agora_key_load(keyfile, &key, why, sizeof(why)) != AGORA_OK)
                return 2;
        }
        agora_buf_init(&env);
        heartbeat_env(argv[optind + 1], &env);
        printf("0x");
        for (size_t i = 0; i < env.len; i++)
            printf("%02x", env.data[i]);
        printf("\n");
        agora_buf_free(&env);
        return 0;
    }
    if (optind >= argc || (volfile == NULL && (host == NULL || bpath == NULL)))
        usage();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (keyfile != NULL) {
        char why[300];
        if (agora_key_load(keyfile, &key, why, sizeof(why)) != AGORA_OK) {
            fprintf(stderr, "%s\n", why);
            return 2;
        }
    }
    if (volfile == NULL) {
        char text[2048];
        int fd = mkstemp(tmpvol);
        int n = agora_brick_volfile(text, sizeof(text), host, bpath, port, NULL, NULL);
        if (fd < 0 || n < 0 || write(fd, text, (size_t)n) != n)
            return 2;
        close(fd);
        volfile = tmpvol;
    }
    int rc = agora_brick_open(volfile, wait_ms, &brick);
    if (volfile == tmpvol)
        unlink(tmpvol);
    if (rc != 0) {
        printf("ERROR connect errno=%d %s\n", -rc, strerror(-rc));
        fflush(stdout);
        _exit(1);
    }
    int status = 0;
    for (int i = optind; i < argc;) {
        int j = i;
        while (j < argc && strcmp(argv[j], "--") != 0)
            j++;
        status |= run(j - i, argv + i);
        i = j + 1;
    }
    fflush(stdout);
    agora_brick_close(brick);
    return status;
}
