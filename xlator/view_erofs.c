/* view_erofs.c: the refusal table of /.agora/: every modifying fop on the
 * directory or a file in it fails with EROFS (counted in status.json
 * "erofs"); anything else is wound to the child untouched.
 *
 *   on the inode (loc):  setattr, truncate, unlink, rmdir
 *   on the inode (fd):   fsetattr, ftruncate, writev, fallocate, discard,
 *                        zerofill
 *   a new entry:         create, mknod, mkdir, symlink inside the directory
 *                        (also under a name it does not have); the
 *                        directory's own name in the root: EEXIST
 *   two names:           link, rename: EROFS when either side is virtual
 *
 * (extended attributes: view_xattr.c; opens for writing: view_read.c)
 */
#include <errno.h>

#include "view_int.h"

#define N3 NULL, NULL, NULL
#define N5 NULL, NULL, NULL, NULL, NULL
#define N6 NULL, NULL, NULL, NULL, NULL, NULL

/* Refuses with errno e (counted when EROFS) and returns; the unwind
 * arguments after op_errno (...) are NULLs for every fop here. */
#define REFUSE(fop, e, ...)                                                                    \
    do {                                                                                       \
        if ((e) == EROFS)                                                                      \
            view_count_erofs(this->private);                                                   \
        STACK_UNWIND_STRICT(fop, frame, -1, e, __VA_ARGS__);                                   \
        return 0;                                                                              \
    } while (0)

/* GUARD_LOC/GUARD_FD(fop, nulls, loc or fd, wind arguments...): EROFS on a
 * virtual target, wind otherwise. */
#define GUARD_LOC(fop, nulls, loc, ...)                                                        \
    do {                                                                                       \
        int k_ = view_kind_loc(this, loc, NULL);                                               \
        VIEW_PASS(k_, fop, __VA_ARGS__);                                                       \
        REFUSE(fop, EROFS, nulls);                                                             \
    } while (0)

#define GUARD_FD(fop, nulls, fd, ...)                                                          \
    do {                                                                                       \
        int k_ = view_kind_fd(this, fd);                                                       \
        VIEW_PASS(k_, fop, __VA_ARGS__);                                                       \
        REFUSE(fop, EROFS, nulls);                                                             \
    } while (0)

/* A new entry: inside the directory EROFS (even under a name it lacks); the
 * directory's own name in the root EEXIST; elsewhere 0. */
static int new_entry_errno(xlator_t *this, loc_t *loc)
{
    bool missing;
    int k = view_kind_loc(this, loc, &missing);
    if (k == V_DIR)
        return EEXIST;
    return k != V_NONE || missing ? EROFS : 0;
}

#define GUARD_NEW(fop, nulls, loc, ...)                                                        \
    do {                                                                                       \
        int e_ = new_entry_errno(this, loc);                                                   \
        if (e_ != 0)                                                                           \
            REFUSE(fop, e_, nulls);                                                            \
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->fop, __VA_ARGS__);  \
        return 0;                                                                              \
    } while (0)

/* Either name virtual (or a missing name in the directory)? */
static bool any_virtual(xlator_t *this, loc_t *a, loc_t *b)
{
    bool ma = false, mb = false;
    return view_kind_loc(this, a, &ma) != V_NONE || ma || view_kind_loc(this, b, &mb) != V_NONE ||
           mb;
}

#define GUARD_TWO(fop, nulls, a, b, ...)                                                       \
    do {                                                                                       \
        if (any_virtual(this, a, b))                                                           \
            REFUSE(fop, EROFS, nulls);                                                         \
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->fop, __VA_ARGS__);  \
        return 0;                                                                              \
    } while (0)

/* ---- the table ------------------------------------------------------------------------- */

int32_t agora_setattr(call_frame_t *frame, xlator_t *this, loc_t *loc, struct iatt *st,
                      int32_t valid, dict_t *xdata)
{
    GUARD_LOC(setattr, N3, loc, loc, st, valid, xdata);
}

int32_t agora_fsetattr(call_frame_t *frame, xlator_t *this, fd_t *fd, struct iatt *st,
                       int32_t valid, dict_t *xdata)
{
    GUARD_FD(fsetattr, N3, fd, fd, st, valid, xdata);
}

int32_t agora_truncate(call_frame_t *frame, xlator_t *this, loc_t *loc, off_t off,
                       dict_t *xdata)
{
    GUARD_LOC(truncate, N3, loc, loc, off, xdata);
}

int32_t agora_ftruncate(call_frame_t *frame, xlator_t *this, fd_t *fd, off_t off, dict_t *xdata)
{
    GUARD_FD(ftruncate, N3, fd, fd, off, xdata);
}

int32_t agora_writev(call_frame_t *frame, xlator_t *this, fd_t *fd, struct iovec *vec,
                     int32_t count, off_t off, uint32_t flags, struct iobref *iobref,
                     dict_t *xdata)
{
    GUARD_FD(writev, N3, fd, fd, vec, count, off, flags, iobref, xdata);
}

int32_t agora_fallocate(call_frame_t *frame, xlator_t *this, fd_t *fd, int32_t mode, off_t off,
                        size_t len, dict_t *xdata)
{
    GUARD_FD(fallocate, N3, fd, fd, mode, off, len, xdata);
}

int32_t agora_discard(call_frame_t *frame, xlator_t *this, fd_t *fd, off_t off, size_t len,
                      dict_t *xdata)
{
    GUARD_FD(discard, N3, fd, fd, off, len, xdata);
}

int32_t agora_zerofill(call_frame_t *frame, xlator_t *this, fd_t *fd, off_t off, off_t len,
                       dict_t *xdata)
{
    GUARD_FD(zerofill, N3, fd, fd, off, len, xdata);
}

int32_t agora_unlink(call_frame_t *frame, xlator_t *this, loc_t *loc, int xflags, dict_t *xdata)
{
    GUARD_LOC(unlink, N3, loc, loc, xflags, xdata);
}

int32_t agora_rmdir(call_frame_t *frame, xlator_t *this, loc_t *loc, int flags, dict_t *xdata)
{
    GUARD_LOC(rmdir, N3, loc, loc, flags, xdata);
}

int32_t agora_create(call_frame_t *frame, xlator_t *this, loc_t *loc, int32_t flags,
                     mode_t mode, mode_t umask, fd_t *fd, dict_t *xdata)
{
    GUARD_NEW(create, N6, loc, loc, flags, mode, umask, fd, xdata);
}

int32_t agora_mknod(call_frame_t *frame, xlator_t *this, loc_t *loc, mode_t mode, dev_t rdev,
                    mode_t umask, dict_t *xdata)
{
    GUARD_NEW(mknod, N5, loc, loc, mode, rdev, umask, xdata);
}

int32_t agora_mkdir(call_frame_t *frame, xlator_t *this, loc_t *loc, mode_t mode, mode_t umask,
                    dict_t *xdata)
{
    GUARD_NEW(mkdir, N5, loc, loc, mode, umask, xdata);
}

int32_t agora_symlink(call_frame_t *frame, xlator_t *this, const char *linkname, loc_t *loc,
                      mode_t umask, dict_t *xdata)
{
    GUARD_NEW(symlink, N5, loc, linkname, loc, umask, xdata);
}

int32_t agora_link(call_frame_t *frame, xlator_t *this, loc_t *oldloc, loc_t *newloc,
                   dict_t *xdata)
{
    GUARD_TWO(link, N5, oldloc, newloc, oldloc, newloc, xdata);
}

int32_t agora_rename(call_frame_t *frame, xlator_t *this, loc_t *oldloc, loc_t *newloc,
                     dict_t *xdata)
{
    GUARD_TWO(rename, N6, oldloc, newloc, oldloc, newloc, xdata);
}
