/* sm_fixture.h: helpers shared by the state machine tests (test_sm_*.c,
 * test_sm_snapshot.c, test_render.c): real public keys, entry builders, and
 * "encode and apply as the next slot". Header-only; include after cmocka.h. */
#ifndef AGORA_TEST_SM_FIXTURE_H
#define AGORA_TEST_SM_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "agora/base64.h"
#include "agora/sm.h"

/* Made with ssh-keygen; the comments must never reach authorized_keys. */
#define KEY1 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOAK1OJnniKMUyRdoUAlcNUIa/dYo/5rDfzXnLMGUysL user1@host"
#define KEY2 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICTYAl3Q7FtAQUS1ofcLs3kjoXAlLWNMXOWlYeR0k8tz user2@host"
#define KEY3 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO6lQS4w0Xlq75NlvHn3R/yxUzE1Fvvre0begezl55Zs user3@host"
#define KEY4 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJrw/QXSDS1O49zfQu/JbvF7SOaQqro2pinmV5dQlTV5 user4@host"
#define KEY5 "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAYLn+/LsBkRYPMULwQdWSq5FuMSWwrebaAZSEsAe6GtrK4yxDhz09dEfkeGykFtucWow+T9VPE/u9efArYBe8A= ecdsa@host"
#define KEY1_BLOB "AAAAC3NzaC1lZDI1NTE5AAAAIOAK1OJnniKMUyRdoUAlcNUIa/dYo/5rDfzXnLMGUysL"
#define KEY2_BLOB "AAAAC3NzaC1lZDI1NTE5AAAAICTYAl3Q7FtAQUS1ofcLs3kjoXAlLWNMXOWlYeR0k8tz"
#define KEY3_BLOB "AAAAC3NzaC1lZDI1NTE5AAAAIO6lQS4w0Xlq75NlvHn3R/yxUzE1Fvvre0begezl55Zs"

static inline struct agora_cmd fx_join(const char *id, const char *host, const char *ip,
                                       const char *key)
{
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_MEMBER_JOIN;
    c.u.join.id = id;
    c.u.join.hostname = host;
    c.u.join.ip = ip;
    c.u.join.sshkey = key;
    c.u.join.kind = AGORA_MEMBER_HOST;
    return c;
}

static inline struct agora_cmd fx_member(enum agora_cmd_kind kind, const char *id)
{
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = kind;
    c.u.leave.id = id;
    return c;
}

static inline struct agora_cmd fx_leader(uint64_t round, uint32_t node, const char *id)
{
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_LEADER;
    c.u.leader.ballot.round = round;
    c.u.leader.ballot.node = node;
    c.u.leader.id = id;
    return c;
}

static inline struct agora_cmd fx_framework(const char *id)
{
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_FRAMEWORK_ID;
    c.u.framework.id = id;
    return c;
}

static inline struct agora_cmd fx_task(const char *id, const char *host, const char *ip)
{
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_TASK_DESIRED;
    c.u.task.id = id;
    c.u.task.group = "web";
    c.u.task.hostname = host;
    c.u.task.ip = ip;
    c.u.task.goal = AGORA_GOAL_RUN;
    c.u.task.image = "registry.example/web:1.2";
    c.u.task.network = "calico-net";
    c.u.task.cpus_milli = 500;
    c.u.task.mem_mb = 256;
    c.u.task.spec = "{\"volumes\":[]}";
    return c;
}

static inline struct agora_cmd fx_observed(const char *id, enum agora_task_state state,
                                           const char *agent, const char *message)
{
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_TASK_OBSERVED;
    c.u.observed.id = id;
    c.u.observed.state = state;
    c.u.observed.agent_id = agent;
    c.u.observed.message = message;
    return c;
}

static inline struct agora_cmd fx_config(const char *key, const char *value)
{
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_CONFIG;
    c.u.config.key = key;
    c.u.config.value = value;
    return c;
}

static inline struct agora_cmd fx_from(struct agora_cmd c, const char *origin, uint64_t seq)
{
    c.origin = origin;
    c.seq = seq;
    return c;
}

/* The state under test of test_sm_*.c: one state machine, fresh for each
 * test (cmocka_unit_test_setup_teardown(f, fx_setup_sm, fx_teardown_sm)). */
static inline int fx_setup_sm(void **state)
{
    static struct agora_sm sm;
    agora_sm_init(&sm);
    *state = &sm;
    return 0;
}

static inline int fx_teardown_sm(void **state)
{
    agora_sm_free(*state);
    return 0;
}

/* *b := a new buffer holding c encoded (c must encode). */
static inline void encode(struct agora_cmd c, struct agora_buf *b)
{
    char why[256];
    agora_buf_init(b);
    assert_int_equal(agora_cmd_encode(&c, b, why, sizeof why), AGORA_OK);
}

/* Encodes cmd (which must encode) and applies it as slot applied + 1. */
static inline int fx_apply_why(struct agora_sm *sm, struct agora_cmd c, char *why, size_t whylen)
{
    struct agora_buf b;
    agora_buf_init(&b);
    assert_int_equal(agora_cmd_encode(&c, &b, why, whylen), AGORA_OK);
    int rc = agora_sm_apply(sm, agora_sm_applied(sm) + 1, b.data, (uint32_t)b.len, why, whylen);
    agora_buf_free(&b);
    return rc;
}

static inline int fx_apply(struct agora_sm *sm, struct agora_cmd c)
{
    char why[256];
    return fx_apply_why(sm, c, why, sizeof why);
}

/* Applies and fails the test, printing why, unless the entry is accepted. */
static inline void fx_ok(struct agora_sm *sm, struct agora_cmd c)
{
    char why[256] = "";
    int rc = fx_apply_why(sm, c, why, sizeof why);
    if (rc != AGORA_OK)
        print_message("unexpected rejection: %s (%s)\n", why, agora_strerror(rc));
    assert_int_equal(rc, AGORA_OK);
}

/* A distinct, structurally valid ed25519 key line for any n. */
static inline void fx_key(unsigned n, char *out, size_t outlen)
{
    uint8_t blob[51] = {0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9', 0, 0, 0, 32};
    struct agora_buf b;
    agora_buf_init(&b);
    for (unsigned i = 0; i < 32; i++)
        blob[19 + i] = (uint8_t)(n * 131u + i * 7u + (n >> 8) * 17u);
    blob[19] = (uint8_t)n;
    blob[20] = (uint8_t)(n >> 8);
    assert_int_equal(agora_base64_encode(blob, sizeof blob, &b), AGORA_OK);
    snprintf(out, outlen, "ssh-ed25519 %.*s", (int)b.len, (const char *)b.data);
    agora_buf_free(&b);
}

/* Joins a, b and c (10.0.0.1-3, KEY1-3) as slots 1-3. */
static inline void fx_three(struct agora_sm *sm)
{
    fx_ok(sm, fx_join("a", "node-a", "10.0.0.1", KEY1));
    fx_ok(sm, fx_join("b", "node-b", "10.0.0.2", KEY2));
    fx_ok(sm, fx_join("c", "node-c", "10.0.0.3", KEY3));
}

/* A seeded generator for the randomised tests (xorshift64). */
static inline uint64_t fx_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static inline const char *fx_pick(uint64_t *s, const char *const *v, size_t n)
{
    return v[fx_rand(s) % n];
}

/* A random command over small pools of ids, names, addresses and keys, so
 * that collisions, re-joins, reserved names and stale requests are common. */
static inline struct agora_cmd fx_random_cmd(uint64_t *s)
{
    static const char *const ids[] = {"a", "b", "c", "d", "e", "f"};
    static const char *const hosts[] = {"h0", "h1", "H2", "h3", "cluster-1", "node1", "boss"};
    static const char *const ips[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "2001:db8::1",
                                      "2001:DB8:0::1", "10.0.0.4"};
    static const char *const keys[] = {KEY1, KEY2, KEY3, KEY4, KEY5, ("no-pty " KEY2)};
    static const char *const cfg[][2] = {
        {"allow_key_options", "true"}, {"allow_key_options", "false"},
        {"alias_prefix", "cluster-"}, {"alias_prefix", "node"}, {"alias_prefix", "h"},
        {"leader_alias", "leader"}, {"leader_alias", "boss"}, {"leader_alias", "h1"},
    };
    static const char *const tasks[] = {"t0", "t1", "t2", "t3"};
    static const char *const thosts[] = {"", "h0", "h1", "web", "web2"};
    struct agora_cmd c;
    size_t th;
    switch (fx_rand(s) % 9) {
    case 0:
    case 1:
        c = fx_join(fx_pick(s, ids, 6), fx_pick(s, hosts, 7), fx_pick(s, ips, 6),
                    fx_pick(s, keys, 6));
        break;
    case 2:
        c = fx_member(fx_rand(s) % 2 ? AGORA_CMD_MEMBER_LEAVE : AGORA_CMD_MEMBER_EXPIRE,
                      fx_pick(s, ids, 6));
        break;
    case 3: c = fx_leader(fx_rand(s) % 6, (uint32_t)(fx_rand(s) % 3 + 1), fx_pick(s, ids, 6)); break;
    case 4: {
        size_t i = fx_rand(s) % 8;
        c = fx_config(cfg[i][0], cfg[i][1]);
        break;
    }
    case 5:
        th = fx_rand(s) % 5;
        c = fx_task(fx_pick(s, tasks, 4), thosts[th], th ? fx_pick(s, ips, 6) : "");
        break;
    case 6:
    case 7:
        c = fx_observed(fx_pick(s, tasks, 4), (enum agora_task_state)(fx_rand(s) % 14 + 1),
                        "S1", fx_rand(s) % 2 ? "m" : "");
        break;
    default:
        agora_cmd_init(&c);
        c.kind = AGORA_CMD_TASK_REMOVE;
        c.u.remove.id = fx_pick(s, tasks, 4);
        break;
    }
    if (fx_rand(s) % 2)
        c = fx_from(c, fx_pick(s, ids, 3), fx_rand(s) % 6);
    return c;
}

/* Asserts that two states serialise to the same bytes. */
static inline void fx_assert_same_state(const struct agora_sm *x, const struct agora_sm *y)
{
    struct agora_buf a, b;
    agora_buf_init(&a);
    agora_buf_init(&b);
    assert_int_equal(agora_sm_snapshot(x, &a), AGORA_OK);
    assert_int_equal(agora_sm_snapshot(y, &b), AGORA_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    agora_buf_free(&a);
    agora_buf_free(&b);
}

#endif
