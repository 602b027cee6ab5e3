/* core_fixture.h: helpers shared by the core's cmocka tests: ballots, log
 * entries, and messages as their receiver sees them (test_msg.c and the
 * fixtures built on it: acceptor_fixture.h, cluster_fixture.h,
 * sshkey_fixture.h). Everything is static inline, so a test file that uses
 * only part of it stays warning-free. */
#ifndef AGORA_TESTS_CORE_FIXTURE_H
#define AGORA_TESTS_CORE_FIXTURE_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "agora/ballot.h"
#include "agora/common.h"
#include "agora/log.h"
#include "agora/msg.h"

static inline struct agora_ballot fx_ballot(uint64_t round, uint32_t node)
{
    struct agora_ballot b = {round, node};
    return b;
}

/* Appends the entry (slot, ballot, value) to m; value NULL is a no-op
 * (length 0). */
static inline void fx_add_entry(struct agora_msg *m, uint64_t slot, struct agora_ballot b,
                                const char *value)
{
    struct agora_entry e;
    e.slot = slot;
    e.ballot = b;
    e.data = (uint8_t *)(uintptr_t)value;
    e.len = value != NULL ? (uint32_t)strlen(value) : 0;
    assert_int_equal(agora_msg_add_entry(m, &e), AGORA_OK);
}

/* e holds `value` (NULL: a no-op of length 0) at `slot`. */
static inline void fx_assert_value(const struct agora_entry *e, uint64_t slot, const char *value)
{
    assert_non_null(e);
    assert_int_equal(e->slot, slot);
    if (value == NULL) {
        assert_int_equal(e->len, 0);
        return;
    }
    assert_int_equal(e->len, strlen(value));
    assert_memory_equal(e->data, value, e->len);
}

/* *out becomes m as its receiver sees it: encoded, then decoded. The
 * encoding is canonical: re-encoding the decoded copy gives the same bytes. */
static inline void fx_wire(const struct agora_msg *m, struct agora_msg *out)
{
    struct agora_buf a, b;
    agora_buf_init(&a);
    agora_buf_init(&b);
    assert_int_equal(agora_msg_encode(m, &a), AGORA_OK);
    int rc = agora_msg_decode(a.data, a.len, out);
    if (rc == AGORA_OK)
        rc = agora_msg_encode(out, &b);
    bool same = rc == AGORA_OK && a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
    agora_buf_free(&a);
    agora_buf_free(&b);
    assert_int_equal(rc, AGORA_OK);
    assert_true(same);
}

#endif
