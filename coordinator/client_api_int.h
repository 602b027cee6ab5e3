/* client_api_int.h: what client_api.c (socket, connections, I/O) and
 * client_api_req.c (requests, answers, pending commits) share. */
#ifndef AGD_CLIENT_API_INT_H
#define AGD_CLIENT_API_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "agora/sm.h"
#include "client_api.h"

struct api_conn {
    struct agd_client_api *a;
    int fd;
    char in[AGD_API_MAX_LINE + 1];
    size_t in_len;
    char *out;                     /* answers not written yet */
    size_t out_len, out_cap;
    unsigned pending;              /* requests of ours in flight */
    bool closing;                  /* close once out is written */
};

struct api_pending {
    struct api_conn *c;
    char origin[AGORA_SM_ID_MAX + 1];
    uint64_t seq;
    agora_time_t deadline;
};

struct agd_client_api {
    struct agd_node *n;
    struct agd_loop *loop;
    char *path;
    int lfd;
    struct api_conn *conns[AGD_API_MAX_CONNS];
    struct api_pending *pend;
    size_t n_pend, cap_pend;
    bool leading;                  /* as of the node's last turn */
};

/* client_api.c: queues `obj` (stolen) as one line to c, then writes. */
void api_send(struct agd_client_api *a, struct api_conn *c, json_t *obj);

/* client_api_req.c */
void api_handle_line(struct agd_client_api *a, struct api_conn *c, const char *line, size_t len);
void api_on_applied(void *ctx, uint64_t slot, const struct agora_cmd *cmd, int rc,
                    const char *why);
void api_on_turn(void *ctx, agora_time_t now, bool leading);
/* Forgets c's pending requests (c is closing). */
void api_drop_pending(struct agd_client_api *a, const struct api_conn *c);
/* {"ok":false,"error":code,"message":msg} */
json_t *api_error(const char *code, const char *msg);

#endif
