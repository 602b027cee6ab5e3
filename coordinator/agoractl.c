/* agoractl.c: the command line of Agora (agoractl(8)): global options,
 * the subcommand table, --help for each. Every subcommand talks to the
 * bricks on their own (ctl_bricks.h); status, members, hosts and keys can
 * read /.agora/ of a mount instead (--mount DIR). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_spec.h"
#include "conf.h"
#include "ctl.h"
#include "ctl_bricks.h"
#include "ctl_cluster.h"
#include "ctl_elect.h"
#include "agora/envelope.h"

/* Connects to the bricks and runs one subcommand; never returns (ctl_exit
 * ends the process). */
enum over { O_STATUS, O_MEMBERS, O_HOSTS, O_KEYS, O_LOG, O_JOIN, O_LEAVE };

static int over_bricks(const struct ctl_opts *o, enum over what, int argc, char **argv)
{
    struct ctl_conn c;
    int rc = ctl_connect(o, &c);
    if (rc != CTL_OK)
        ctl_exit(rc);
    switch (what) {
    case O_STATUS: rc = ctl_status_bricks(o, &c); break;
    case O_MEMBERS: rc = ctl_members_bricks(o, &c); break;
    case O_HOSTS: rc = ctl_render_bricks(o, &c, "hosts"); break;
    case O_KEYS: rc = ctl_render_bricks(o, &c, "authorized_keys"); break;
    case O_LOG: rc = ctl_log_bricks(o, &c); break;
    case O_JOIN: rc = ctl_join_bricks(&c, argc, argv); break;
    case O_LEAVE: rc = ctl_leave_bricks(&c, argc, argv); break;
    }
    ctl_exit(rc);
}

static int run_status(const struct ctl_opts *o, int argc, char **argv)
{
    return o->mount != NULL ? ctl_status(o, argc, argv) : over_bricks(o, O_STATUS, argc, argv);
}

static int run_members(const struct ctl_opts *o, int argc, char **argv)
{
    return o->mount != NULL ? ctl_members(o, argc, argv) : over_bricks(o, O_MEMBERS, argc, argv);
}

static int run_hosts(const struct ctl_opts *o, int argc, char **argv)
{
    return o->mount != NULL ? ctl_cat_file(o, "hosts") : over_bricks(o, O_HOSTS, argc, argv);
}

static int run_keys(const struct ctl_opts *o, int argc, char **argv)
{
    return o->mount != NULL ? ctl_cat_file(o, "authorized_keys")
                            : over_bricks(o, O_KEYS, argc, argv);
}

static int run_log(const struct ctl_opts *o, int argc, char **argv)
{
    if (argc != 0) {
        fprintf(stderr, "agoractl log: unexpected argument '%s'\n", argv[0]);
        return CTL_USAGE;
    }
    return over_bricks(o, O_LOG, argc, argv);
}

static int run_join(const struct ctl_opts *o, int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "agoractl join: need ID HOSTNAME IP KEYFILE\n");
        return CTL_USAGE;
    }
    return over_bricks(o, O_JOIN, argc, argv);
}

static int run_leave(const struct ctl_opts *o, int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "agoractl leave: need ID\n");
        return CTL_USAGE;
    }
    return over_bricks(o, O_LEAVE, argc, argv);
}

static int run_elect(const struct ctl_opts *o, int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "agoractl elect: need -- CMD [ARGS...]\n");
        return CTL_USAGE;
    }
    if (!agora_group_name_ok(o->name, strlen(o->name))) {
        fprintf(stderr, "agoractl elect: --name: 1 to %d of A-Z a-z 0-9 _ . -, not starting "
                        "with '.', got '%s'\n", AGORA_GROUP_NAME_MAX, o->name);
        return CTL_USAGE;
    }
    struct elect_opts e = {.config = o->config, .name = o->name, .retry = o->retry,
                           .argv = argv};
    return ctl_elect_run(&e);
}

/* agoractl spec check FILE: every problem of a cluster spec, with its JSON
 * path (docs/cluster-spec.md). Needs no cluster. */
static int run_spec(const struct ctl_opts *o, int argc, char **argv)
{
    (void)o;
    if (argc != 2 || strcmp(argv[0], "check") != 0) {
        fprintf(stderr, "agoractl spec: usage: agoractl spec check FILE\n");
        return CTL_USAGE;
    }
    return agl_spec_check_file(argv[1], stdout, stderr);
}

static const struct ctl_cmd CMDS[] = {
    {"status", "", "leader, ballot, lease left, commit index, members, bricks",
     "Prints one JSON object with --json: leader (member id or null), ballot,\n"
     "lease_ms_left, commit_index, members [{id, host, ip, kind, alive}], bricks\n"
     "[{name, reachable, lag}]. Exits 3 when no quorum of bricks names a leader.\n"
     "With --mount DIR: from DIR/.agora/ (no lease, commit index or bricks).\n",
     run_status},
    {"members", "", "the members, their kind and whether they are alive",
     "A host is alive when a brick heard its heartbeat within member_ttl_ms;\n"
     "a container always is.\n",
     run_members},
    {"log", "[--from N]", "the committed log from slot N (decoded entries)", "", run_log},
    {"hosts", "", "/.agora/hosts, rendered from the bricks' state", "", run_hosts},
    {"keys", "", "/.agora/authorized_keys, rendered from the bricks' state", "", run_keys},
    {"join", "ID HOSTNAME IP KEYFILE", "register a host or container without agorad",
     "Checked against the state first (a refusal names the reason, exit 1),\n"
     "then queued on the bricks and committed once by the leader (waits up to\n"
     "15 s; exit 3 if nothing commits it). The member is a container: it does\n"
     "not heartbeat and is never expired.\n",
     run_join},
    {"leave", "ID", "remove a member", "Queued and committed like join.\n", run_leave},
    {"cluster", "up|down|status", "stop every task of the cluster spec, or run them again",
     "down commits config cluster=down in the log: the leader, now or after a\n"
     "failover, stops every task and runs none (Mesos: TEARDOWN of the\n"
     "framework; the local launcher kills its processes). up commits\n"
     "cluster=up: the leader plans the spec again (Mesos: a new framework).\n"
     "Both return once the entry is committed (waits up to 15 s; exit 3 if\n"
     "nothing commits it, 1 if refused). status: desired vs observed, one line\n"
     "per task; --json prints tasks.json; --mount DIR reads DIR/.agora/tasks.json.\n",
     ctl_cluster},
    {"spec", "check FILE", "check a cluster spec; print every problem with its JSON path",
     "Exit 0 when FILE is a valid cluster spec (a one-line summary), 1 with one\n"
     "line per problem: FILE: $.json.path: reason. Needs no cluster.\n",
     run_spec},
    {"elect", "[--name N] [--retry] -- CMD [ARGS...]",
     "run CMD only while holding the named lease N",
     "Like etcdctl elect / consul lock. Campaigns for the lease N (default\n"
     "\"default\"; 1-64 of A-Z a-z 0-9 _ . -) until it holds it, then runs CMD\n"
     "once (stdout and stderr to ours, stdin /dev/null) under a keeper process\n"
     "that SIGKILLs CMD's process group by the end of the lease even if agoractl\n"
     "is killed or stopped. lease_ms and heartbeat_ms come from agorad.json,\n"
     "grace_ms and margin_ms from its leader_command (1000, 200 by default).\n"
     "  CMD exits        the lease is released; exit with CMD's status\n"
     "                   (128+N if signal N ended it)\n"
     "  lease lost       CMD gets SIGTERM, SIGKILL grace_ms later; exit 3\n"
     "                   (--retry: campaign again and rerun CMD instead)\n"
     "  SIGTERM/SIGINT   CMD stopped the same way, lease released; exit 143/130\n"
     "                   (a second signal exits at once; the keeper kills CMD)\n"
     "Other exits: 1 the bricks refuse the lease (at most 64 names) or no slot,\n"
     "2 usage, 78 bad configuration (the id must be below 2^20), 127 CMD cannot\n"
     "be run. Status lines (\"lease N: held\", \"lost\") go to stderr.\n",
     run_elect},
};
#define N_CMDS (sizeof(CMDS) / sizeof(CMDS[0]))

static void usage(FILE *f)
{
    fprintf(f, "Usage: agoractl [-c PATH] [--mount DIR] [--json] COMMAND [ARGS...]\n"
               "The command line of Agora.\n\n"
               "  -c, --config PATH  agorad's configuration (default " AGD_CONFIG_DEFAULT ")\n"
               "  -m, --mount DIR    read /.agora/ from this FUSE mount of the volume\n"
               "  -j, --json         machine-readable output\n"
               "  -h, --help         this help; COMMAND --help for a command's\n\nCommands:\n");
    for (size_t i = 0; i < N_CMDS; i++)
        fprintf(f, "  %-8s %s\n", CMDS[i].name, CMDS[i].summary);
    fprintf(f, "\nExit status: 0 ok, 1 failed, 2 usage, 3 no leader or quorum,\n"
               "78 bad configuration; elect: CMD's status (agoractl elect --help).\n"
               "See agoractl(8).\n");
}

static void cmd_usage(FILE *f, const struct ctl_cmd *c)
{
    fprintf(f, "Usage: agoractl [global options] %s%s%s\n%s.\n%s%s", c->name, *c->args ? " " : "",
            c->args, c->summary, *c->help ? "\n" : "", c->help);
}

/* Options valid before and after the command name. */
static int parse_opts(int argc, char **argv, struct ctl_opts *o, bool *help)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"mount", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {"name", required_argument, NULL, 'n'},   {"from", required_argument, NULL, 'f'},
        {"retry", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "+c:m:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'm': o->mount = optarg; break;
        case 'j': o->json = true; break;
        case 'h': *help = true; break;
        case 'n': o->name = optarg; break;
        case 'r': o->retry = true; break;
        case 'f':
            o->from = strtoull(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0') {
                fprintf(stderr, "agoractl: --from: not a slot number: %s\n", optarg);
                return -1;
            }
            break;
        default: return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct ctl_opts o = {.config = AGD_CONFIG_DEFAULT, .name = "default"};
    bool help = false;
    if (parse_opts(argc, argv, &o, &help) != 0) {
        usage(stderr);
        return CTL_USAGE;
    }
    if (optind >= argc) {
        usage(help ? stdout : stderr);
        return help ? CTL_OK : CTL_USAGE;
    }
    const struct ctl_cmd *cmd = NULL;
    for (size_t i = 0; i < N_CMDS && cmd == NULL; i++)
        cmd = strcmp(argv[optind], CMDS[i].name) == 0 ? &CMDS[i] : NULL;
    if (cmd == NULL) {
        fprintf(stderr, "agoractl: unknown command '%s'\n", argv[optind]);
        usage(stderr);
        return CTL_USAGE;
    }
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    optind = 1; /* the command's own options (and the global ones again) */
    if (parse_opts(sub_argc, sub_argv, &o, &help) != 0) {
        cmd_usage(stderr, cmd);
        return CTL_USAGE;
    }
    if (help) {
        cmd_usage(stdout, cmd);
        return CTL_OK;
    }
    return cmd->run(&o, sub_argc - optind, sub_argv + optind);
}
