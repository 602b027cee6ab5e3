/* view_read.c: open, read, flush, fsync, opendir and readdir(p) on /.agora/.
 *
 * An open for reading keeps a reference to the rendering it opened in the
 * fd's context: reads through it never mix two versions (released with the
 * fd). An open for writing, truncating, appending or creating is EROFS.
 * flush and fsync of a view file succeed and do nothing. The directory
 * lists ".", ".." and the files, readdirp with their attributes as a
 * lookup answers them. The attributes a read answers have a ctime of 1 s,
 * which md-cache discards (view_attr.c), except for a read of an older
 * rendering (read_iatt).
 */
#include <errno.h>
#include <fcntl.h>

#include "view_int.h"

#include <glusterfs/iobuf.h>

int32_t agora_open(call_frame_t *frame, xlator_t *this, loc_t *loc, int32_t flags, fd_t *fd,
                   dict_t *xdata)
{
    WIND_IF(!view_loc_may_be_virtual(loc) && !view_fd_may_be_virtual(fd), open, loc, flags, fd,
            xdata);
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    int k = view_classify(priv, v, loc, NULL);
    if (k == V_NONE && fd != NULL)
        k = view_classify_fd(v, fd);
    if (k == V_NONE)
        agora_view_unref(this, v);
    VIEW_PASS(k, open, loc, flags, fd, xdata);
    view_note_client(priv, frame);
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_APPEND | O_CREAT))) {
        agora_view_unref(this, v);
        view_count_erofs(priv);
        STACK_UNWIND_STRICT(open, frame, -1, EROFS, NULL, NULL);
        return 0;
    }
    /* the fd keeps the generation it opened: reads never mix two */
    if (fd_ctx_set(fd, this, (uint64_t)(uintptr_t)v) != 0)
        agora_view_unref(this, v);
    STACK_UNWIND_STRICT(open, frame, 0, 0, fd, NULL);
    return 0;
}

int32_t agora_view_release(xlator_t *this, fd_t *fd)
{
    uint64_t val = 0;
    if (fd_ctx_del(fd, this, &val) == 0 && val != 0)
        agora_view_unref(this, (struct agora_view *)(uintptr_t)val);
    return 0;
}

/* The attributes a read of file k of rendering v answers: ctime 1 s, which
 * md-cache discards (view_attr.c), unless v is older than the current
 * rendering and the file changed since. Then the kernel is about to cache
 * the old bytes (its pages are shared by every open of the file), maybe
 * after md-cache already dropped them for the new version, and nothing
 * would drop them before the next change. So: the old mtime with the
 * current ctime, which md-cache stores (not older than its own) and, the
 * mtime differing, drops the kernel's pages again; the next lookup, 1 s
 * later at most, brings the current mtime and drops them once more. */
static void read_iatt(xlator_t *this, const struct agora_view *v, int k, struct iatt *buf)
{
    const struct agora_vfile *f = &v->files[k];
    struct agora_view *cur = view_get(this->private);
    view_file_iatt_nocache(f, buf);
    if (cur != NULL && cur != v && (size_t)k < cur->n &&
        (cur->files[k].mtime.tv_sec != f->mtime.tv_sec ||
         cur->files[k].mtime.tv_nsec != f->mtime.tv_nsec)) {
        buf->ia_ctime = cur->files[k].mtime.tv_sec;
        buf->ia_ctime_nsec = (uint32_t)cur->files[k].mtime.tv_nsec;
    }
    agora_view_unref(this, cur);
}

/* Unwinds a read of file k of rendering v at offset (at most size bytes). */
static int32_t read_file(call_frame_t *frame, xlator_t *this, const struct agora_view *v, int k,
                         size_t size, off_t offset)
{
    const struct agora_vfile *f = &v->files[k];
    struct iatt buf;
    struct iovec vec = {.iov_base = NULL, .iov_len = 0};
    struct iobref *iobref = iobref_new();
    struct iobuf *iobuf = NULL;
    size_t n = 0;
    read_iatt(this, v, k, &buf);
    if (offset >= 0 && (uint64_t)offset < f->len)
        n = f->len - (size_t)offset < size ? f->len - (size_t)offset : size;
    if (iobref == NULL || (iobuf = iobuf_get2(this->ctx->iobuf_pool, n ? n : 1)) == NULL) {
        if (iobref)
            iobref_unref(iobref);
        STACK_UNWIND_STRICT(readv, frame, -1, ENOMEM, NULL, 0, NULL, NULL, NULL);
        return 0;
    }
    iobref_add(iobref, iobuf);
    if (n > 0)
        memcpy(iobuf_ptr(iobuf), f->data + offset, n);
    vec.iov_base = iobuf_ptr(iobuf);
    vec.iov_len = n;
    STACK_UNWIND_STRICT(readv, frame, (int32_t)n, 0, &vec, 1, &buf, iobref, NULL);
    iobuf_unref(iobuf);
    iobref_unref(iobref);
    return 0;
}

int32_t agora_readv(call_frame_t *frame, xlator_t *this, fd_t *fd, size_t size, off_t offset,
                    uint32_t flags, dict_t *xdata)
{
    ORDINARY_FD_PASS(fd, readv, fd, size, offset, flags, xdata);
    struct agora_view *v = view_of_fd(this, fd);
    int k = view_classify_fd(v, fd);
    if (k == V_NONE || k == V_DIR)
        agora_view_unref(this, v);
    VIEW_PASS(k, readv, fd, size, offset, flags, xdata);
    if (k == V_DIR) {
        STACK_UNWIND_STRICT(readv, frame, -1, EISDIR, NULL, 0, NULL, NULL, NULL);
        return 0;
    }
    read_file(frame, this, v, k, size, offset);
    agora_view_unref(this, v);
    return 0;
}

int32_t agora_flush(call_frame_t *frame, xlator_t *this, fd_t *fd, dict_t *xdata)
{
    int k = view_kind_fd(this, fd);
    VIEW_PASS(k, flush, fd, xdata);
    STACK_UNWIND_STRICT(flush, frame, 0, 0, NULL);
    return 0;
}

int32_t agora_fsync(call_frame_t *frame, xlator_t *this, fd_t *fd, int32_t datasync,
                    dict_t *xdata)
{
    int k = view_kind_fd(this, fd);
    VIEW_PASS(k, fsync, fd, datasync, xdata);
    STACK_UNWIND_STRICT(fsync, frame, 0, 0, NULL, NULL, NULL);
    return 0;
}

/* ---- the directory ----------------------------------------------------------------------- */

int32_t agora_opendir(call_frame_t *frame, xlator_t *this, loc_t *loc, fd_t *fd, dict_t *xdata)
{
    int k = view_kind_loc(this, loc, NULL);
    VIEW_PASS(k, opendir, loc, fd, xdata);
    view_note_client(this->private, frame);
    if (k != V_DIR)
        STACK_UNWIND_STRICT(opendir, frame, -1, ENOTDIR, NULL, NULL);
    else
        STACK_UNWIND_STRICT(opendir, frame, 0, 0, fd, NULL);
    return 0;
}

/* One entry (i: 0 ".", 1 "..", then the files) with its attributes: a
 * file's as a lookup answers them (the real ctime). The kernel reads
 * directories with readdirplus, which gives it the entries and attributes
 * at once, so md-cache may store them and notice a change: with any other
 * ctime a listing would refresh the kernel's entries without md-cache ever
 * dropping the kernel's pages (measured: changes seen seconds late). */
static gf_dirent_t *dir_entry(const struct agora_view *v, fd_t *fd, size_t i, bool plus)
{
    const char *name = i == 0 ? "." : i == 1 ? ".." : v->files[i - 2].name;
    gf_dirent_t *e = gf_dirent_for_name(name);
    if (e == NULL)
        return NULL;
    e->d_off = (off_t)(i + 1);
    if (i == 0) {
        view_dir_iatt(v, &e->d_stat);
        e->d_type = DT_DIR;
    } else if (i == 1) {
        e->d_stat.ia_type = IA_IFDIR;
        gf_uuid_copy(e->d_stat.ia_gfid, (unsigned char *)view_root_gfid);
        e->d_stat.ia_ino = 1;
        e->d_type = DT_DIR;
    } else {
        view_file_iatt(&v->files[i - 2], &e->d_stat);
        e->d_type = DT_REG;
        if (plus) {
            inode_t *in = inode_find(fd->inode->table, e->d_stat.ia_gfid);
            e->inode = in ? in : inode_new(fd->inode->table);
        }
    }
    e->d_ino = e->d_stat.ia_ino;
    return e;
}

static int list_dir(const struct agora_view *v, fd_t *fd, off_t offset, bool plus,
                    gf_dirent_t *entries)
{
    int count = 0;
    size_t total = v->n + 2;
    for (size_t i = offset < 0 ? 0 : (size_t)offset; i < total; i++) {
        gf_dirent_t *e = dir_entry(v, fd, i, plus);
        if (e == NULL)
            return -ENOMEM;
        list_add_tail(&e->list, &entries->list);
        count++;
    }
    return count;
}

static int32_t do_readdir(call_frame_t *frame, xlator_t *this, fd_t *fd, size_t size,
                          off_t offset, dict_t *xdata, bool plus)
{
    if (plus)
        ORDINARY_FD_PASS(fd, readdirp, fd, size, offset, xdata);
    ORDINARY_FD_PASS(fd, readdir, fd, size, offset, xdata);
    struct agora_view *v = view_get(this->private);
    int k = view_classify_fd(v, fd);
    gf_dirent_t entries;
    if (k == V_NONE)
        agora_view_unref(this, v);
    if (k == V_NONE && plus)
        VIEW_PASS(k, readdirp, fd, size, offset, xdata);
    VIEW_PASS(k, readdir, fd, size, offset, xdata);
    INIT_LIST_HEAD(&entries.list);
    int n = k == V_DIR ? list_dir(v, fd, offset, plus, &entries) : -ENOTDIR;
    agora_view_unref(this, v);
    int32_t op_ret = n < 0 ? -1 : n;
    int32_t op_errno = n < 0 ? -n : 0;
    if (plus)
        STACK_UNWIND_STRICT(readdirp, frame, op_ret, op_errno, &entries, NULL);
    else
        STACK_UNWIND_STRICT(readdir, frame, op_ret, op_errno, &entries, NULL);
    gf_dirent_free(&entries);
    return 0;
}

int32_t agora_readdir(call_frame_t *frame, xlator_t *this, fd_t *fd, size_t size, off_t offset,
                      dict_t *xdata)
{
    return do_readdir(frame, this, fd, size, offset, xdata, false);
}

int32_t agora_readdirp(call_frame_t *frame, xlator_t *this, fd_t *fd, size_t size, off_t offset,
                       dict_t *xdata)
{
    return do_readdir(frame, this, fd, size, offset, xdata, true);
}
