/* test_sm_tasks.c: tasks in the replicated state machine (sm.h,
 * docs/state-machine.md): the desired task and its observed state are
 * recorded and updated separately, observations of unknown tasks and
 * removals are checked, a task's host name may not clash with another
 * task's or (at another address) a member's, and the task table is bounded.
 *
 * One behaviour per test; each starts from a fresh state (sm_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sm_fixture.h"

/* ---- tasks ----------------------------------------------------------------------- */

static void test_task_desired_creates_unobserved_task(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("web-1", "Web1", "10.20.0.11"));
    const struct agora_task *t = agora_sm_task_find(sm, "web-1");
    assert_non_null(t);
    assert_string_equal(t->hostname, "web1");
    assert_int_equal(t->goal, AGORA_GOAL_RUN);
    assert_int_equal(t->state, AGORA_TASK_NONE);
    assert_string_equal(t->agent_id, "");
    assert_int_equal(t->desired_slot, 1);
    assert_int_equal(t->observed_slot, 0);
}

static void test_task_without_address_is_accepted(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("batch-1", "", ""));
    assert_string_equal(agora_sm_task_find(sm, "batch-1")->ip, "");
}

static void test_task_with_hostname_but_no_ip_is_refused(void **state)
{
    struct agora_sm *sm = *state;
    struct agora_cmd c = fx_task("web-1", "web1", "");
    assert_int_equal(agora_sm_check(sm, &c, NULL, 0), AGORA_EINVAL);
}

static void test_task_observed_records_state_agent_and_message(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("web-1", "web1", "10.20.0.11"));
    fx_ok(sm, fx_observed("web-1", AGORA_TASK_RUNNING, "MID-S4", "started"));
    const struct agora_task *t = agora_sm_task_find(sm, "web-1");
    assert_int_equal(t->state, AGORA_TASK_RUNNING);
    assert_string_equal(t->agent_id, "MID-S4");
    assert_string_equal(t->message, "started");
    assert_int_equal(t->observed_slot, 2);
}

static void test_task_desired_update_keeps_observed_state(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("web-1", "web1", "10.20.0.11"));
    fx_ok(sm, fx_observed("web-1", AGORA_TASK_RUNNING, "MID-S4", "started"));
    struct agora_cmd c = fx_task("web-1", "web1", "10.20.0.11");
    c.u.task.goal = AGORA_GOAL_STOP;
    fx_ok(sm, c);
    const struct agora_task *t = agora_sm_task_find(sm, "web-1");
    assert_int_equal(t->goal, AGORA_GOAL_STOP);
    assert_int_equal(t->state, AGORA_TASK_RUNNING);
    assert_string_equal(t->agent_id, "MID-S4");
    assert_int_equal(t->desired_slot, 3);
    assert_int_equal(t->observed_slot, 2);
}

static void test_task_observed_for_unknown_task_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    assert_int_equal(fx_apply(sm, fx_observed("nope", AGORA_TASK_RUNNING, "", "")), AGORA_ENOENT);
    assert_int_equal(agora_sm_task_count(sm), 0);
}

static void test_task_remove_deletes_task(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("web-1", "web1", "10.20.0.11"));
    fx_ok(sm, fx_task("web-2", "web2", "10.20.0.12"));
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_TASK_REMOVE;
    c.u.remove.id = "web-1";
    fx_ok(sm, c);
    assert_null(agora_sm_task_find(sm, "web-1"));
    assert_string_equal(agora_sm_task_at(sm, 0)->id, "web-2");
    assert_int_equal(fx_apply(sm, c), AGORA_ENOENT);
}

static void test_task_with_member_hostname_at_other_ip_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    assert_int_equal(fx_apply(sm, fx_task("t", "node-a", "10.9.9.9")), AGORA_EEXIST);
}

static void test_task_with_member_hostname_at_same_ip_is_accepted(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    fx_ok(sm, fx_task("t", "node-a", "10.0.0.1"));
}

static void test_task_hostname_held_by_other_task_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("web-1", "web", "10.20.0.11"));
    assert_int_equal(fx_apply(sm, fx_task("web-2", "web", "10.20.0.11")), AGORA_EEXIST);
}

static void test_join_with_task_hostname_at_other_ip_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("web-1", "web1", "10.20.0.11"));
    assert_int_equal(fx_apply(sm, fx_join("w", "web1", "10.0.0.5", KEY1)), AGORA_EEXIST);
    fx_ok(sm, fx_join("w", "web1", "10.20.0.11", KEY1));
}

static void test_task_beyond_max_tasks_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    char id[16];
    for (unsigned i = 0; i <= AGORA_SM_MAX_TASKS; i++) {
        snprintf(id, sizeof id, "t%u", i);
        int rc = fx_apply(sm, fx_task(id, "", ""));
        assert_int_equal(rc, i < AGORA_SM_MAX_TASKS ? AGORA_OK : AGORA_ETOOBIG);
    }
    assert_int_equal(agora_sm_task_count(sm), AGORA_SM_MAX_TASKS);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup_sm, fx_teardown_sm)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_task_desired_creates_unobserved_task),
        T(test_task_without_address_is_accepted),
        T(test_task_with_hostname_but_no_ip_is_refused),
        T(test_task_observed_records_state_agent_and_message),
        T(test_task_desired_update_keeps_observed_state),
        T(test_task_observed_for_unknown_task_is_rejected),
        T(test_task_remove_deletes_task),
        T(test_task_with_member_hostname_at_other_ip_is_rejected),
        T(test_task_with_member_hostname_at_same_ip_is_accepted),
        T(test_task_hostname_held_by_other_task_is_rejected),
        T(test_join_with_task_hostname_at_other_ip_is_rejected),
        T(test_task_beyond_max_tasks_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
