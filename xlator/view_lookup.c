/* view_lookup.c: lookup, stat, fstat and access on /.agora/ and its files.
 *
 * Lookups answer a file's attributes with the render time as mtime and
 * ctime, stat and fstat with a ctime of 1 s, which md-cache does not store
 * (view_render.c: view_file_iatt, view_file_iatt_nocache). Lookups also
 * answer trusted.glusterfs.mdata, so that the client's utime translator
 * never tries to set it, and no trusted.afr.* key, so AFR sees nothing
 * pending. A name in the directory that is none of its files is ENOENT.
 * A lookup of the directory winds a lookup of the real root to the child
 * for its postparent, so the clients' cached root attributes stay right.
 */
#include <errno.h>
#include <fcntl.h>

#include "view_int.h"

#include <glusterfs/iatt.h>

static dict_t *mdata_reply(const struct iatt *ia)
{
    dict_t *xd = dict_new();
    struct mdata_iatt *md = GF_CALLOC(1, sizeof(*md), gf_agora_mt_str);
    if (xd == NULL || md == NULL) {
        GF_FREE(md);
        return xd;
    }
    iatt_to_mdata(md, (struct iatt *)ia);
    /* dict_set_mdata keeps the pointer: it must be a heap buffer */
    if (dict_set_mdata(xd, GF_XATTR_MDATA_KEY, md, false) != 0)
        GF_FREE(md);
    return xd;
}

struct lookup_local {
    inode_t *inode;
    struct iatt buf;
    dict_t *xd;
};

static int32_t dir_lookup_cbk(call_frame_t *frame, void *cookie, xlator_t *this, int32_t op_ret,
                              int32_t op_errno, inode_t *inode, struct iatt *root,
                              dict_t *xdata, struct iatt *postparent)
{
    struct lookup_local *l = frame->local;
    struct iatt parent;
    frame->local = NULL;
    memset(&parent, 0, sizeof(parent));
    if (op_ret == 0 && root != NULL)
        parent = *root; /* the root as posix reports it */
    STACK_UNWIND_STRICT(lookup, frame, 0, 0, l->inode, &l->buf, l->xd, &parent);
    inode_unref(l->inode);
    if (l->xd)
        dict_unref(l->xd);
    GF_FREE(l);
    return 0;
}

/* The directory: its postparent is the real root, asked of the child. */
static int32_t lookup_dir(call_frame_t *frame, xlator_t *this, loc_t *loc,
                          const struct iatt *buf, dict_t *xd)
{
    struct lookup_local *l = GF_CALLOC(1, sizeof(*l), gf_agora_mt_str);
    loc_t root;
    memset(&root, 0, sizeof(root));
    if (l == NULL || loc->inode == NULL) {
        GF_FREE(l);
        if (xd)
            dict_unref(xd);
        STACK_UNWIND_STRICT(lookup, frame, -1, ENOMEM, NULL, NULL, NULL, NULL);
        return 0;
    }
    l->inode = inode_ref(loc->inode);
    l->buf = *buf;
    l->xd = xd;
    frame->local = l;
    root.inode = inode_ref(loc->inode->table->root);
    gf_uuid_copy(root.gfid, view_root_gfid);
    root.path = "/";
    STACK_WIND(frame, dir_lookup_cbk, FIRST_CHILD(this), FIRST_CHILD(this)->fops->lookup, &root,
               NULL);
    inode_unref(root.inode);
    return 0;
}

int32_t agora_lookup(call_frame_t *frame, xlator_t *this, loc_t *loc, dict_t *xdata)
{
    ORDINARY_LOC_PASS(loc, lookup, loc, xdata);
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    bool missing;
    int k = view_classify(priv, v, loc, &missing);
    struct iatt buf, parent;
    if (k == V_NONE && !missing) {
        agora_view_unref(this, v);
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->lookup, loc, xdata);
        return 0;
    }
    view_note_client(priv, frame);
    if (missing) {
        view_dir_iatt(v, &parent);
        agora_view_unref(this, v);
        STACK_UNWIND_STRICT(lookup, frame, -1, ENOENT, NULL, NULL, NULL, &parent);
        return 0;
    }
    view_iatt(v, k, &buf);
    view_dir_iatt(v, &parent);
    agora_view_unref(this, v);
    dict_t *xd = mdata_reply(&buf);
    if (k == V_DIR)
        return lookup_dir(frame, this, loc, &buf, xd);
    STACK_UNWIND_STRICT(lookup, frame, 0, 0, loc->inode, &buf, xd, &parent);
    if (xd)
        dict_unref(xd);
    return 0;
}

int32_t agora_stat(call_frame_t *frame, xlator_t *this, loc_t *loc, dict_t *xdata)
{
    ORDINARY_LOC_PASS(loc, stat, loc, xdata);
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    int k = view_classify(priv, v, loc, NULL);
    struct iatt buf;
    if (k != V_NONE)
        view_iatt_nocache(v, k, &buf);
    agora_view_unref(this, v);
    VIEW_PASS(k, stat, loc, xdata);
    STACK_UNWIND_STRICT(stat, frame, 0, 0, &buf, NULL);
    return 0;
}

int32_t agora_fstat(call_frame_t *frame, xlator_t *this, fd_t *fd, dict_t *xdata)
{
    ORDINARY_FD_PASS(fd, fstat, fd, xdata);
    struct agora_view *v = view_of_fd(this, fd);
    int k = view_classify_fd(v, fd);
    struct iatt buf;
    if (k != V_NONE)
        view_iatt_nocache(v, k, &buf);
    agora_view_unref(this, v);
    VIEW_PASS(k, fstat, fd, xdata);
    STACK_UNWIND_STRICT(fstat, frame, 0, 0, &buf, NULL);
    return 0;
}

int32_t agora_access(call_frame_t *frame, xlator_t *this, loc_t *loc, int32_t mask,
                     dict_t *xdata)
{
    int k = view_kind_loc(this, loc, NULL);
    VIEW_PASS(k, access, loc, mask, xdata);
    if (mask & W_OK)
        STACK_UNWIND_STRICT(access, frame, -1, EROFS, NULL);
    else
        STACK_UNWIND_STRICT(access, frame, 0, 0, NULL);
    return 0;
}
