/* brick_client.c: one coordinator's connection to one brick
 * (brick_client.h): the client volfile, read into the native RPC client
 * (brick_rpc.h), and the sealed round trips. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brick_client.h"
#include "brick_rpc.h"

#define AGORA_IPC_OP 0x41474f52
#define VOLFILE_MAX 16384

struct agora_brick {
    struct brick_rpc *rpc;
};

int agora_brick_volfile(char *buf, size_t len, const char *host, const char *subvol, int port,
                        const char *username, const char *password)
{
    char port_line[64] = "", auth[600] = "";
    if (port > 0)
        snprintf(port_line, sizeof(port_line), "    option remote-port %d\n", port);
    if (username != NULL && password != NULL)
        snprintf(auth, sizeof(auth), "    option username %s\n    option password %s\n", username,
                 password);
    return snprintf(buf, len,
                    "volume agora-brick\n"
                    "    type protocol/client\n"
                    "    option remote-host %s\n"
                    "%s"
                    "    option remote-subvolume %s\n"
                    "    option transport-type tcp\n"
                    "    option transport.address-family inet\n"
                    "    option ping-timeout 5\n"
                    "%s"
                    "end-volume\n",
                    host, port_line, subvol, auth);
}

static int read_volfile(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -errno;
    size_t n = fread(buf, 1, cap - 1, f);
    int err = ferror(f) ? EIO : !feof(f) ? EFBIG : 0;
    fclose(f);
    buf[n] = 0;
    return -err;
}

/* Failures a retry will not mend (after the others, a kept native
 * connection simply reconnects on the next call). -ENOENT: no volfile. */
static bool config_error(int rc)
{
    return rc == -EINVAL || rc == -ENOMEM || rc == -ENOENT || rc == -EFBIG || rc == -EACCES;
}

static int open_native(const char *volfile_path, int timeout_ms, bool keep,
                       struct agora_brick *b)
{
    char *text = malloc(VOLFILE_MAX);
    struct brick_rpc_cfg cfg;
    if (text == NULL)
        return -ENOMEM;
    int rc = read_volfile(volfile_path, text, VOLFILE_MAX);
    if (rc == 0)
        rc = brick_rpc_parse_volfile(text, &cfg);
    explicit_bzero(text, VOLFILE_MAX);
    free(text);
    if (rc == 0)
        rc = brick_rpc_new(&cfg, timeout_ms, &b->rpc);
    explicit_bzero(&cfg, sizeof(cfg));
    if (rc != 0)
        return rc;
    rc = brick_rpc_connect(b->rpc, rpcw_now_ms() + timeout_ms);
    if (rc != 0 && (!keep || config_error(rc))) {
        brick_rpc_free(b->rpc);
        b->rpc = NULL;
    }
    return rc;
}

static int open_brick(const char *volfile_path, int timeout_ms, bool keep,
                      struct agora_brick **out)
{
    struct agora_brick *b = calloc(1, sizeof(*b));
    *out = NULL;
    if (b == NULL)
        return -ENOMEM;
    int rc = open_native(volfile_path, timeout_ms, keep, b);
    if (b->rpc == NULL) {
        free(b);
        return rc != 0 ? rc : -EIO;
    }
    *out = b;
    return rc;
}

int agora_brick_open(const char *volfile_path, int timeout_ms, struct agora_brick **out)
{
    return open_brick(volfile_path, timeout_ms, false, out);
}

int agora_brick_open_kept(const char *volfile_path, int timeout_ms, struct agora_brick **out)
{
    return open_brick(volfile_path, timeout_ms, true, out);
}

const char *agora_brick_why(const struct agora_brick *b)
{
    return b != NULL && b->rpc != NULL ? brick_rpc_why(b->rpc) : "";
}

int agora_brick_call(struct agora_brick *b, const uint8_t *req, size_t len, uint8_t **reply,
                     size_t *reply_len)
{
    return brick_rpc_ipc(b->rpc, AGORA_IPC_OP, req, len, reply, reply_len);
}

/* Seals body as (kind, sender, tag, seq), calls, opens the reply. On
 * success *rbody and *rlen point into *raw (caller frees *raw). */
static int sealed_call(struct agora_brick *b, const struct agora_key *key, uint8_t kind,
                       uint32_t sender, uint64_t tag, uint64_t *seq, const struct agora_buf *body,
                       uint8_t **raw, const uint8_t **rbody, uint32_t *rlen)
{
    struct agora_env e = {.kind = kind, .sender = sender, .tag = tag, .seq = ++*seq,
                          .body = body->data, .body_len = (uint32_t)body->len};
    struct agora_buf req;
    agora_buf_init(&req);
    int src;
    if (key->len == 0) {
        /* no key: an all-zero MAC, which every brick refuses (tests) */
        uint8_t zero[AGORA_ENV_MAC] = {0};
        src = agora_env_encode(&e, &req);
        if (src == AGORA_OK)
            src = agora_buf_put(&req, zero, sizeof(zero));
    } else {
        src = agora_env_seal(key, &e, &req);
    }
    if (src != AGORA_OK) {
        agora_buf_free(&req);
        return -ENOMEM;
    }
    size_t n = 0;
    int rc = agora_brick_call(b, req.data, req.len, raw, &n);
    agora_buf_free(&req);
    if (rc != 0)
        return rc;
    struct agora_env r;
    if (agora_env_open(key, *raw, n, 0, &r) != AGORA_OK || r.kind != kind || r.sender != 0 ||
        r.tag != tag || r.seq != e.seq) {
        free(*raw);
        *raw = NULL;
        return -EBADMSG;
    }
    *rbody = r.body;
    *rlen = r.body_len;
    return 0;
}

int agora_brick_paxos(struct agora_brick *b, const struct agora_key *key, uint32_t sender,
                      uint64_t tag, uint64_t *seq, const struct agora_msg *req,
                      struct agora_msg *reply)
{
    struct agora_buf body;
    uint8_t *raw = NULL;
    const uint8_t *rb;
    uint32_t rl;
    agora_msg_init(reply);
    agora_buf_init(&body);
    if (agora_msg_encode(req, &body) != AGORA_OK) {
        agora_buf_free(&body);
        return -ENOMEM;
    }
    int rc = sealed_call(b, key, AGORA_ENV_PAXOS, sender, tag, seq, &body, &raw, &rb, &rl);
    agora_buf_free(&body);
    if (rc == 0 && agora_msg_decode(rb, rl, reply) != AGORA_OK)
        rc = -EBADMSG;
    free(raw);
    return rc;
}

int agora_brick_control(struct agora_brick *b, const struct agora_key *key, uint32_t sender,
                        uint64_t tag, uint64_t *seq, const struct agora_ctl *req,
                        struct agora_ctl *reply)
{
    struct agora_buf body;
    uint8_t *raw = NULL;
    const uint8_t *rb;
    uint32_t rl;
    agora_ctl_init(reply);
    agora_buf_init(&body);
    if (agora_ctl_encode(req, &body) != AGORA_OK) {
        agora_buf_free(&body);
        return -ENOMEM;
    }
    int rc = sealed_call(b, key, AGORA_ENV_CONTROL, sender, tag, seq, &body, &raw, &rb, &rl);
    agora_buf_free(&body);
    if (rc == 0 && agora_ctl_decode(rb, rl, reply) != AGORA_OK)
        rc = -EBADMSG;
    free(raw);
    return rc;
}

void agora_brick_close(struct agora_brick *b)
{
    if (b == NULL)
        return;
    brick_rpc_free(b->rpc);
    free(b);
}
