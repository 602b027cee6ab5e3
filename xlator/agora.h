/* agora.h: private declarations of the agora brick translator
 * (docs/translator.md). Three parts share this header:
 *
 *   agora.c   the xlator_api table, options, init/fini/reconfigure, statedump
 *   worker*.c the control protocol: one worker thread takes requests off a
 *             queue, authenticates them, steps the Paxos acceptor, makes the
 *             write-ahead log durable (one fdatasync per batch), applies
 *             committed entries, keeps the membership registers, and unwinds
 *             (worker_int.h lists the files)
 *   view_*.c  the read-only virtual directory /.agora/ and the EROFS guard
 *             (view_int.h lists them)
 * and group_table.c (its own header) holds the named leases' acceptors.
 */
#ifndef AGORA_XLATOR_H
#define AGORA_XLATOR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <glusterfs/xlator.h>
#include <glusterfs/mem-types.h>
#include <glusterfs/list.h>

#include "agora/acceptor.h"
#include "agora/auth.h"
#include "agora/sm.h"
#include "group_table.h"

/* The control protocol's entry point: glfs_ipc(fs, AGORA_IPC_OP, xd_in,
 * &xd_out) with the request envelope as the binary value of
 * AGORA_IPC_REQUEST in xd_in; the reply envelope comes back as
 * AGORA_IPC_REPLY in xd_out. */
#define AGORA_IPC_OP 0x41474f52 /* "AGOR" */
#define AGORA_IPC_REQUEST "agora.request"
#define AGORA_IPC_REPLY "agora.reply"
/* The same request as a virtual extended attribute set on any inode (what a
 * mount can send): processed, never stored; the reply is not returned. */
#define AGORA_XATTR_CALL "agora.call"

enum gf_agora_mem_types {
    gf_agora_mt_priv = gf_common_mt_end + 1,
    gf_agora_mt_req,
    gf_agora_mt_view,
    gf_agora_mt_str,
    gf_agora_mt_reply,
    gf_agora_mt_end
};

/* ---- the virtual directory ---------------------------------------------- */

#define AGORA_VIEW_MAX_FILES 8

struct agora_vfile {
    char name[32];
    uuid_t gfid;
    char *data; /* GF_MALLOC'd, len bytes */
    size_t len;
    struct timespec mtime; /* changes whenever the bytes change */
};

/* One rendered generation of the directory; immutable once published,
 * shared by reference (open fds keep the generation they opened). */
struct agora_view {
    int refs; /* under priv->view_lock */
    uint64_t applied;
    struct timespec dir_time;
    size_t n;
    struct agora_vfile files[AGORA_VIEW_MAX_FILES];
};

/* ---- the control protocol --------------------------------------------------- */

enum agora_req_kind { AGORA_REQ_IPC = 1, AGORA_REQ_XATTR = 2 };

struct agora_req {
    struct list_head list;
    call_frame_t *frame;
    enum agora_req_kind kind;
    uint8_t *bytes; /* the envelope (GF_MALLOC'd) */
    size_t len;
    uint64_t arrived; /* monotonic ns */
    int op_ret;
    int op_errno;
    uint8_t *reply; /* sealed reply envelope (GF_MALLOC'd), IPC only */
    size_t reply_len;
    struct agora_group *group; /* a named lease's request: its log must be durable */
};

struct agora_sender {
    uint32_t id;
    uint64_t tag, seq; /* highest (tag, seq) accepted */
};

struct agora_member_reg {
    char *id;
    uint32_t sender;
    uint64_t last; /* monotonic ns of the last heartbeat */
    uint64_t beats;
    uint64_t tag, seq; /* envelope of the last heartbeat */
};

struct agora_queued {
    char *origin;
    uint64_t seq;
    uint64_t at; /* monotonic ns */
    uint8_t *data;
    uint32_t len;
};

struct agora_client {
    char *uid;
    uint64_t last; /* monotonic ns of the last lookup/open */
};

struct agora_counters {
    uint64_t requests, rejections, auth_failures, replays, malformed, too_big;
    uint64_t paxos, control, heartbeats, submits, polls;
    uint64_t batches, fsyncs, max_batch;
    uint64_t fsync_ns_total, fsync_ns_max;
    uint64_t fop_ns_total, fop_ns_max; /* ipc arrival -> unwind */
    uint64_t applied_ok, applied_rejected, compactions, upcalls;
    uint64_t erofs;
};

/* Freshness stages of the last view change (docs/translator.md, Freshness):
 * realtime ns, comparable with a reader's clock on the same machine. */
struct agora_fresh {
    uint64_t batch_real;   /* the batch that advanced applied was taken */
    uint64_t durable_real; /* its write + fdatasync returned */
    uint64_t applied_real; /* applied reached `applied` */
    uint64_t publish_real; /* the new view was published */
    uint64_t upcall_real;  /* the last upcall of that publish was sent */
    uint64_t applied;      /* applied index the view shows */
    uint64_t render_ns;    /* rendering took */
    uint64_t upcalls;      /* upcalls sent for that publish */
};

struct agora_priv {
    /* options (under lock) */
    char *key_file;
    uint32_t lease_ms;
    uint64_t max_request_bytes;
    uint32_t max_entry_bytes;
    gf_boolean_t allow_key_options;
    char *view_name;
    uint32_t queue_max;
    uint32_t compact_entries;

    pthread_mutex_t lock; /* everything below unless noted */
    pthread_cond_t cond;
    struct agora_key key; /* len 0: no key, refuse control requests */
    char key_why[256];
    bool nokey_logged;

    char *brick_dir;
    char state_dir[4096];
    char wal_path[4200];
    int wal_fd;
    uint64_t wal_size;
    bool acceptor_ok; /* false: the log could not be read; refuse requests */
    struct agora_acceptor acc;
    struct agora_sm sm;
    uint64_t started; /* monotonic ns */
    /* the named leases' groups (group_table.h); groups_ok false: the
     * folder could not be read, PAXOS_GROUP requests get EIO */
    struct agora_groups groups;
    bool groups_ok;

    struct list_head queue;
    uint32_t n_queue;
    bool stop;
    bool worker_started;
    pthread_t worker;

    struct agora_sender *senders;
    size_t n_senders;
    struct agora_member_reg *members;
    size_t n_members;
    struct agora_queued *queued;
    size_t n_queued;

    struct agora_counters c;
    struct agora_fresh fresh; /* last view change that advanced applied */

    /* the view (under view_lock) */
    pthread_mutex_t view_lock;
    struct agora_view *view;
    struct agora_client *clients;
    size_t n_clients;
    char view_name_cur[256]; /* the name lookups match, under view_lock */
};

/* GF_REALLOC does not take NULL: this does (gf_agora_mt_str). */
static inline void *agora_grow(void *p, size_t n)
{
    return p != NULL ? GF_REALLOC(p, n) : GF_MALLOC(n, gf_agora_mt_str);
}

/* monotonic and real clocks in ns */
uint64_t agora_now_mono(void);
uint64_t agora_now_real(void);

/* worker*.c */
int agora_store_open(xlator_t *this);
int agora_worker_start(xlator_t *this);
void agora_worker_stop(xlator_t *this);
void agora_submit(xlator_t *this, struct agora_req *req);
int agora_status_json(xlator_t *this, struct agora_buf *out); /* lock held */

/* view_*.c */
extern const uuid_t agora_view_dir_gfid;
int agora_view_publish(xlator_t *this); /* lock held: renders from priv->sm */
void agora_view_unref(xlator_t *this, struct agora_view *v);
void agora_view_fini(xlator_t *this);
void agora_view_set_name(xlator_t *this, const char *name);
int32_t agora_view_release(xlator_t *this, fd_t *fd);
/* the fops view_*.c implement (agora.c builds the table) */
int32_t agora_lookup(call_frame_t *, xlator_t *, loc_t *, dict_t *);
int32_t agora_stat(call_frame_t *, xlator_t *, loc_t *, dict_t *);
int32_t agora_fstat(call_frame_t *, xlator_t *, fd_t *, dict_t *);
int32_t agora_access(call_frame_t *, xlator_t *, loc_t *, int32_t, dict_t *);
int32_t agora_open(call_frame_t *, xlator_t *, loc_t *, int32_t, fd_t *, dict_t *);
int32_t agora_readv(call_frame_t *, xlator_t *, fd_t *, size_t, off_t, uint32_t, dict_t *);
int32_t agora_flush(call_frame_t *, xlator_t *, fd_t *, dict_t *);
int32_t agora_fsync(call_frame_t *, xlator_t *, fd_t *, int32_t, dict_t *);
int32_t agora_opendir(call_frame_t *, xlator_t *, loc_t *, fd_t *, dict_t *);
int32_t agora_readdir(call_frame_t *, xlator_t *, fd_t *, size_t, off_t, dict_t *);
int32_t agora_readdirp(call_frame_t *, xlator_t *, fd_t *, size_t, off_t, dict_t *);
int32_t agora_getxattr(call_frame_t *, xlator_t *, loc_t *, const char *, dict_t *);
int32_t agora_fgetxattr(call_frame_t *, xlator_t *, fd_t *, const char *, dict_t *);
int32_t agora_setxattr(call_frame_t *, xlator_t *, loc_t *, dict_t *, int32_t, dict_t *);
int32_t agora_fsetxattr(call_frame_t *, xlator_t *, fd_t *, dict_t *, int32_t, dict_t *);
int32_t agora_removexattr(call_frame_t *, xlator_t *, loc_t *, const char *, dict_t *);
int32_t agora_fremovexattr(call_frame_t *, xlator_t *, fd_t *, const char *, dict_t *);
int32_t agora_xattrop(call_frame_t *, xlator_t *, loc_t *, gf_xattrop_flags_t, dict_t *,
                      dict_t *);
int32_t agora_fxattrop(call_frame_t *, xlator_t *, fd_t *, gf_xattrop_flags_t, dict_t *,
                       dict_t *);
int32_t agora_setattr(call_frame_t *, xlator_t *, loc_t *, struct iatt *, int32_t, dict_t *);
int32_t agora_fsetattr(call_frame_t *, xlator_t *, fd_t *, struct iatt *, int32_t, dict_t *);
int32_t agora_truncate(call_frame_t *, xlator_t *, loc_t *, off_t, dict_t *);
int32_t agora_ftruncate(call_frame_t *, xlator_t *, fd_t *, off_t, dict_t *);
int32_t agora_writev(call_frame_t *, xlator_t *, fd_t *, struct iovec *, int32_t, off_t,
                     uint32_t, struct iobref *, dict_t *);
int32_t agora_create(call_frame_t *, xlator_t *, loc_t *, int32_t, mode_t, mode_t, fd_t *,
                     dict_t *);
int32_t agora_mknod(call_frame_t *, xlator_t *, loc_t *, mode_t, dev_t, mode_t, dict_t *);
int32_t agora_mkdir(call_frame_t *, xlator_t *, loc_t *, mode_t, mode_t, dict_t *);
int32_t agora_symlink(call_frame_t *, xlator_t *, const char *, loc_t *, mode_t, dict_t *);
int32_t agora_link(call_frame_t *, xlator_t *, loc_t *, loc_t *, dict_t *);
int32_t agora_unlink(call_frame_t *, xlator_t *, loc_t *, int, dict_t *);
int32_t agora_rmdir(call_frame_t *, xlator_t *, loc_t *, int, dict_t *);
int32_t agora_rename(call_frame_t *, xlator_t *, loc_t *, loc_t *, dict_t *);
int32_t agora_fallocate(call_frame_t *, xlator_t *, fd_t *, int32_t, off_t, size_t, dict_t *);
int32_t agora_discard(call_frame_t *, xlator_t *, fd_t *, off_t, size_t, dict_t *);
int32_t agora_zerofill(call_frame_t *, xlator_t *, fd_t *, off_t, off_t, dict_t *);
int32_t agora_ipc(call_frame_t *, xlator_t *, int32_t, dict_t *);

#endif
