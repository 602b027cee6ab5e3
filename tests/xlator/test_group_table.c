/* test_group_table.c: the translator's table of named leases
 * (xlator/group_table.h), on a real folder: one acceptor and one log per
 * name, the brick's restart rule, promises kept across restarts, the bound
 * on the number of names, bad names, a torn tail, compaction. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "group_table.h"

#define LEASE (3 * AGORA_SEC)

static const struct agora_acceptor_config CFG = {
    .lease = LEASE, .max_reply_entries = 1024, .max_reply_bytes = 1 << 20};

struct fx {
    char dir[256];
    struct agora_groups t;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "%s/agora-groups-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[400];
    agora_groups_close(&f->t);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* A brick started at `started`, opened at `now`. */
static void open_at(struct fx *f, agora_time_t started, agora_time_t now)
{
    char why[512];
    assert_int_equal(agora_groups_open(&f->t, f->dir, &CFG, started, now, why, sizeof(why)), 0);
}

/* PREPARE(round.node) to g at now; returns the reply type (and reason). */
static int prepare(struct agora_group *g, agora_time_t now, uint64_t round, uint32_t node,
                   uint8_t *reason)
{
    struct agora_msg in, out;
    agora_msg_init(&in);
    in.type = AGORA_MSG_PREPARE;
    in.from = node;
    in.ballot = (struct agora_ballot){.round = round, .node = node};
    in.slot = 1;
    assert_int_equal(agora_acceptor_step(&g->acc, now, &in, &out, &g->pending), AGORA_OK);
    int type = out.type;
    if (reason != NULL)
        *reason = out.reason;
    agora_msg_clear(&out);
    return type;
}

static void durable(struct fx *f, struct agora_group *g)
{
    agora_groups_written(&f->t, g, agora_groups_write(g));
    assert_true(g->ok);
}

static struct agora_group *get(struct fx *f, const char *name, agora_time_t now)
{
    int err = -1;
    struct agora_group *g = agora_groups_get(&f->t, name, now, &err);
    assert_int_equal(err, 0);
    assert_non_null(g);
    return g;
}

static void a_new_name_gets_its_own_log_file(void **state)
{
    struct fx *f = *state;
    char path[400];
    struct stat st;
    open_at(f, 0, 2 * LEASE);
    struct agora_group *g = get(f, "job-1", 2 * LEASE);
    assert_true(g->ok);
    snprintf(path, sizeof(path), "%s/groups/job-1.wal", f->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_ptr_equal(get(f, "job-1", 2 * LEASE), g); /* the same group again */
    assert_ptr_not_equal(get(f, "job-2", 2 * LEASE), g);
}

static void a_group_made_after_the_quiet_period_promises_at_once(void **state)
{
    struct fx *f = *state;
    open_at(f, 0, 2 * LEASE);
    assert_int_equal(prepare(get(f, "a", 2 * LEASE), 2 * LEASE, 1, 7, NULL), AGORA_MSG_PROMISE);
}

static void the_brick_restart_rule_holds_for_groups(void **state)
{
    struct fx *f = *state;
    uint8_t reason = 0;
    open_at(f, AGORA_SEC, AGORA_SEC);
    struct agora_group *g = get(f, "a", AGORA_SEC);
    assert_int_equal(prepare(g, AGORA_SEC + LEASE / 2, 1, 7, &reason), AGORA_MSG_REJECT);
    assert_int_equal(reason, AGORA_REJECT_RESTART);
    assert_int_equal(prepare(g, AGORA_SEC + LEASE, 1, 7, NULL), AGORA_MSG_PROMISE);
}

static void a_promise_survives_a_restart(void **state)
{
    struct fx *f = *state;
    open_at(f, 0, 2 * LEASE);
    struct agora_group *g = get(f, "x", 2 * LEASE);
    assert_int_equal(prepare(g, 2 * LEASE, 5, 7, NULL), AGORA_MSG_PROMISE);
    durable(f, g);
    agora_groups_close(&f->t);
    open_at(f, 10 * LEASE, 10 * LEASE); /* loaded at open, before any request */
    assert_int_equal(f->t.n, 1);
    g = f->t.g[0];
    assert_string_equal(g->name, "x");
    assert_int_equal(g->acc.promised.round, 5);
    assert_int_equal(g->acc.promised.node, 7);
    /* the old ballot cannot be promised again */
    assert_int_equal(prepare(g, 12 * LEASE, 5, 7, NULL), AGORA_MSG_REJECT);
}

static void the_number_of_names_is_bounded(void **state)
{
    struct fx *f = *state;
    char name[32];
    int err = 0;
    open_at(f, 0, 0);
    for (int i = 0; i < AGORA_GROUPS_MAX; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        get(f, name, 0);
    }
    assert_null(agora_groups_get(&f->t, "one-too-many", 0, &err));
    assert_int_equal(err, -ENOSPC);
    assert_non_null(get(f, "n0", 0)); /* known names still work */
    agora_groups_close(&f->t);
    open_at(f, 0, 0); /* and the bound holds across a restart */
    assert_int_equal(f->t.n, AGORA_GROUPS_MAX);
    assert_null(agora_groups_get(&f->t, "one-too-many", 0, &err));
    assert_int_equal(err, -ENOSPC);
}

static void bad_names_are_refused(void **state)
{
    struct fx *f = *state;
    int err = 0;
    open_at(f, 0, 0);
    assert_null(agora_groups_get(&f->t, "../x", 0, &err));
    assert_int_equal(err, -EINVAL);
    assert_null(agora_groups_get(&f->t, ".hidden", 0, &err));
    assert_int_equal(err, -EINVAL);
    assert_int_equal(f->t.n, 0);
}

static void a_torn_tail_is_cut_and_the_promise_kept(void **state)
{
    struct fx *f = *state;
    char path[400];
    open_at(f, 0, 2 * LEASE);
    struct agora_group *g = get(f, "t", 2 * LEASE);
    prepare(g, 2 * LEASE, 3, 9, NULL);
    durable(f, g);
    uint64_t size = g->wal_size;
    agora_groups_close(&f->t);
    snprintf(path, sizeof(path), "%s/groups/t.wal", f->dir);
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\x40\x00\x00\x00torn", 8), 8); /* a frame cut short */
    close(fd);
    open_at(f, 0, 0);
    g = f->t.g[0];
    assert_true(g->ok);
    assert_int_equal(g->wal_size, size);
    assert_int_equal(g->acc.promised.round, 3);
}

static void a_growing_log_is_compacted(void **state)
{
    struct fx *f = *state;
    open_at(f, 0, 2 * LEASE);
    struct agora_group *g = get(f, "c", 2 * LEASE);
    for (uint64_t r = 1; r <= 4000; r++) { /* 4000 PROMISED records: 84 KB */
        assert_int_equal(prepare(g, 2 * LEASE, r, 7, NULL), AGORA_MSG_PROMISE);
        if (r % 100 == 0)
            durable(f, g);
    }
    assert_true(g->wal_size < AGORA_GROUP_COMPACT_BYTES);
    agora_groups_close(&f->t);
    open_at(f, 0, 0);
    assert_int_equal(f->t.g[0]->acc.promised.round, 4000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(a_new_name_gets_its_own_log_file),
        T(a_group_made_after_the_quiet_period_promises_at_once),
        T(the_brick_restart_rule_holds_for_groups),
        T(a_promise_survives_a_restart),
        T(the_number_of_names_is_bounded),
        T(bad_names_are_refused),
        T(a_torn_tail_is_cut_and_the_promise_kept),
        T(a_growing_log_is_compacted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
