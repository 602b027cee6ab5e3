/* view_xattr.c: extended attributes on /.agora/, and agora.call.
 *
 *   getxattr/fgetxattr      nothing is stored: a name is ENODATA, the list
 *                           (name NULL) is empty
 *   setxattr agora.call     on any inode: a control request, processed like
 *                           the ipc fop, never stored; the reply is dropped
 *   (f)setxattr, (f)removexattr on a virtual inode: EROFS (counted)
 *   xattrop/fxattrop        AFR's changelog (pre-op/post-op) on a virtual
 *                           inode: every counter reads zero, nothing is
 *                           stored, so no heal and no index entry follows
 */
#include <errno.h>

#include "view_int.h"

/* The answer to a read of xattr `name` (NULL: the list): *out the dict to
 * unwind (the caller unrefs it), or -1 with *op_errno. */
static int32_t xattr_answer(const char *name, dict_t **out, int32_t *op_errno)
{
    *out = NULL;
    *op_errno = 0;
    if (name != NULL) {
        *op_errno = ENODATA;
        return -1;
    }
    *out = dict_new();
    return 0;
}

#define XATTR_READ_UNWIND(fop, name)                                                           \
    do {                                                                                       \
        dict_t *d_;                                                                            \
        int32_t e_, r_ = xattr_answer(name, &d_, &e_);                                         \
        STACK_UNWIND_STRICT(fop, frame, r_, e_, d_, NULL);                                     \
        if (d_)                                                                                \
            dict_unref(d_);                                                                    \
        return 0;                                                                              \
    } while (0)

int32_t agora_getxattr(call_frame_t *frame, xlator_t *this, loc_t *loc, const char *name,
                       dict_t *xdata)
{
    int k = view_kind_loc(this, loc, NULL);
    VIEW_PASS(k, getxattr, loc, name, xdata);
    XATTR_READ_UNWIND(getxattr, name);
}

int32_t agora_fgetxattr(call_frame_t *frame, xlator_t *this, fd_t *fd, const char *name,
                        dict_t *xdata)
{
    int k = view_kind_fd(this, fd);
    VIEW_PASS(k, fgetxattr, fd, name, xdata);
    XATTR_READ_UNWIND(fgetxattr, name);
}

/* agora.call: a control request sent as an extended attribute (from a
 * mount, say). Processed like the ipc fop; the reply is dropped. Returns 1
 * when the fop was taken (queued or unwound), 0 when it is no such call. */
static int call_by_xattr(call_frame_t *frame, xlator_t *this, dict_t *dict)
{
    struct agora_priv *priv = this->private;
    data_t *d = dict_get(dict, AGORA_XATTR_CALL);
    if (d == NULL)
        return 0;
    if (d->len <= 0 || (uint64_t)d->len > priv->max_request_bytes) {
        STACK_UNWIND_STRICT(setxattr, frame, -1, d->len <= 0 ? EINVAL : EFBIG, NULL);
        return 1;
    }
    struct agora_req *req = GF_CALLOC(1, sizeof(*req), gf_agora_mt_req);
    uint8_t *bytes = GF_MALLOC((size_t)d->len, gf_agora_mt_str);
    if (req == NULL || bytes == NULL) {
        GF_FREE(req);
        GF_FREE(bytes);
        STACK_UNWIND_STRICT(setxattr, frame, -1, ENOMEM, NULL);
        return 1;
    }
    memcpy(bytes, d->data, (size_t)d->len);
    INIT_LIST_HEAD(&req->list);
    req->frame = frame;
    req->kind = AGORA_REQ_XATTR;
    req->bytes = bytes;
    req->len = (size_t)d->len;
    req->arrived = agora_now_mono();
    agora_submit(this, req);
    return 1;
}

/* EROFS on a virtual target (k), counted; the only unwind argument after
 * op_errno is xdata. */
#define XATTR_REFUSE(fop)                                                                      \
    do {                                                                                       \
        view_count_erofs(this->private);                                                       \
        STACK_UNWIND_STRICT(fop, frame, -1, EROFS, NULL);                                      \
        return 0;                                                                              \
    } while (0)

int32_t agora_setxattr(call_frame_t *frame, xlator_t *this, loc_t *loc, dict_t *dict,
                       int32_t flags, dict_t *xdata)
{
    if (dict != NULL && call_by_xattr(frame, this, dict))
        return 0;
    int k = view_kind_loc(this, loc, NULL);
    VIEW_PASS(k, setxattr, loc, dict, flags, xdata);
    XATTR_REFUSE(setxattr);
}

int32_t agora_fsetxattr(call_frame_t *frame, xlator_t *this, fd_t *fd, dict_t *dict,
                        int32_t flags, dict_t *xdata)
{
    int k = view_kind_fd(this, fd);
    VIEW_PASS(k, fsetxattr, fd, dict, flags, xdata);
    XATTR_REFUSE(fsetxattr);
}

int32_t agora_removexattr(call_frame_t *frame, xlator_t *this, loc_t *loc, const char *name,
                          dict_t *xdata)
{
    int k = view_kind_loc(this, loc, NULL);
    VIEW_PASS(k, removexattr, loc, name, xdata);
    XATTR_REFUSE(removexattr);
}

int32_t agora_fremovexattr(call_frame_t *frame, xlator_t *this, fd_t *fd, const char *name,
                           dict_t *xdata)
{
    int k = view_kind_fd(this, fd);
    VIEW_PASS(k, fremovexattr, fd, name, xdata);
    XATTR_REFUSE(fremovexattr);
}

/* ---- AFR's changelog ----------------------------------------------------------------------- */

static int zero_value(dict_t *d, char *key, data_t *value, void *arg)
{
    dict_t *out = arg;
    if (value->len <= 0)
        return 0;
    char *z = GF_CALLOC(1, (size_t)value->len, gf_agora_mt_str);
    if (z == NULL)
        return -1;
    if (dict_set_bin(out, key, z, (size_t)value->len) != 0) {
        GF_FREE(z);
        return -1;
    }
    (void)d;
    return 0;
}

/* Every key of in with a value of zeros as long; NULL when out of memory. */
static dict_t *zeros_like(dict_t *in)
{
    dict_t *out = dict_new();
    if (out != NULL && in != NULL && dict_foreach(in, zero_value, out) != 0) {
        dict_unref(out);
        out = NULL;
    }
    return out;
}

#define ZEROS_UNWIND(fop, dict)                                                                \
    do {                                                                                       \
        dict_t *z_ = zeros_like(dict);                                                         \
        STACK_UNWIND_STRICT(fop, frame, z_ ? 0 : -1, z_ ? 0 : ENOMEM, z_, NULL);               \
        if (z_)                                                                                \
            dict_unref(z_);                                                                    \
        return 0;                                                                              \
    } while (0)

int32_t agora_xattrop(call_frame_t *frame, xlator_t *this, loc_t *loc, gf_xattrop_flags_t op,
                      dict_t *dict, dict_t *xdata)
{
    int k = view_kind_loc(this, loc, NULL);
    VIEW_PASS(k, xattrop, loc, op, dict, xdata);
    ZEROS_UNWIND(xattrop, dict);
}

int32_t agora_fxattrop(call_frame_t *frame, xlator_t *this, fd_t *fd, gf_xattrop_flags_t op,
                       dict_t *dict, dict_t *xdata)
{
    int k = view_kind_fd(this, fd);
    VIEW_PASS(k, fxattrop, fd, op, dict, xdata);
    ZEROS_UNWIND(fxattrop, dict);
}
