/* view_int.h: what the view_*.c files of the virtual directory /.agora/
 * share (docs/translator.md, "/.agora/"). agora.h declares what the rest of
 * the translator calls; this header is for the view's own files:
 *
 *   view_render.c  renderings ("views"): reference counts, rendering from the
 *                  applied state, publishing
 *   view_attr.c    the attributes of the directory and its files (what makes
 *                  the client caches let go)
 *   view_upcall.c  the clients that looked the view up, and the upcall
 *                  invalidations sent to them when a file changes
 *   view_match.c   which inode, name or fd is virtual (gfids, names)
 *   view_lookup.c  lookup, stat, fstat, access
 *   view_read.c    open, read, flush, fsync, opendir, readdir(p)
 *   view_xattr.c   extended attributes: reads, the agora.call request,
 *                  refusals, AFR's changelog answered with zeros
 *   view_erofs.c   every other modifying fop: EROFS (or EEXIST)
 */
#ifndef AGORA_VIEW_INT_H
#define AGORA_VIEW_INT_H

#include <stdbool.h>

#include "agora.h"

/* classify(): not virtual, the directory, or (>= 0) a file's index */
enum { V_NONE = -2, V_DIR = -1 };

/* view_render.c */
struct agora_view *view_get(struct agora_priv *priv); /* a reference, or NULL */
void view_free(struct agora_view *v);
void view_file_gfid(const char *name, uuid_t out);
bool view_is_dir_gfid(const unsigned char *g);
extern const uuid_t view_root_gfid;

/* view_attr.c */
void view_file_iatt(const struct agora_vfile *f, struct iatt *ia);         /* ctime = mtime */
void view_file_iatt_nocache(const struct agora_vfile *f, struct iatt *ia); /* ctime 1 s */
void view_dir_iatt(const struct agora_view *v, struct iatt *ia);
void view_iatt(const struct agora_view *v, int k, struct iatt *ia); /* k: V_DIR or a file */
void view_iatt_nocache(const struct agora_view *v, int k, struct iatt *ia); /* files: ctime 1 s */

/* view_upcall.c */
void view_note_client(struct agora_priv *priv, call_frame_t *frame);
void view_send_upcalls(xlator_t *this, struct agora_priv *priv, const struct agora_view *v,
                       const bool *changed);

/* view_match.c: k as above; *missing (may be NULL): a name in the directory
 * that is none of its files */
int view_classify(struct agora_priv *priv, const struct agora_view *v, loc_t *loc,
                  bool *missing);
int view_classify_fd(const struct agora_view *v, fd_t *fd);
/* false: loc (fd) is certainly not virtual; decided from its gfids and its
 * parent's alone (no view, no lock), the fast path of every ordinary fop */
bool view_loc_may_be_virtual(loc_t *loc);
bool view_fd_may_be_virtual(fd_t *fd);
int view_kind_loc(xlator_t *this, loc_t *loc, bool *missing); /* with the current view */
int view_kind_fd(xlator_t *this, fd_t *fd);
struct agora_view *view_of_fd(xlator_t *this, fd_t *fd); /* the one it opened, or current */
void view_count_erofs(struct agora_priv *priv);

/* Winds fop to the child (and returns) when cond holds. */
#define WIND_IF(cond, fop, ...)                                                                \
    do {                                                                                       \
        if (cond) {                                                                            \
            STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->fop,            \
                            __VA_ARGS__);                                                      \
            return 0;                                                                          \
        }                                                                                      \
    } while (0)

/* Winds fop to the child unless k names a virtual inode. */
#define VIEW_PASS(k, fop, ...) WIND_IF((k) == V_NONE, fop, __VA_ARGS__)
/* Winds fop to the child when loc (fd) cannot be virtual: before any view. */
#define ORDINARY_LOC_PASS(loc, fop, ...) WIND_IF(!view_loc_may_be_virtual(loc), fop, __VA_ARGS__)
#define ORDINARY_FD_PASS(fd, fop, ...) WIND_IF(!view_fd_may_be_virtual(fd), fop, __VA_ARGS__)

#endif
