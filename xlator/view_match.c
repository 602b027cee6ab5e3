/* view_match.c: which inode, name or fd of a fop is part of /.agora/.
 *
 * The directory is known by its fixed gfid, or by its name (option
 * view-name) in the volume root; a file by its gfid (the directory's with
 * byte 11 = 2, see view_render.c) or by its name in the directory. Every
 * fop the translator intercepts asks this first; anything else is wound to
 * the child untouched (a gfid comparison, for names in the root a string
 * comparison: docs/translator.md, "Pass-through cost").
 */
#include "view_int.h"

/* Could g be the directory's or a file's gfid? (its constant bytes) */
static bool gfid_may_be_view(const unsigned char *g)
{
    return g != NULL && memcmp(g, agora_view_dir_gfid, 11) == 0;
}

static int by_gfid(const struct agora_view *v, const unsigned char *g)
{
    if (g == NULL || gf_uuid_is_null((unsigned char *)g))
        return V_NONE;
    if (view_is_dir_gfid(g))
        return V_DIR;
    if (!gfid_may_be_view(g))
        return V_NONE;
    for (size_t i = 0; i < v->n; i++)
        if (memcmp(v->files[i].gfid, g, 16) == 0)
            return (int)i;
    return V_NONE;
}

static const unsigned char *parent_gfid(loc_t *loc)
{
    if (!gf_uuid_is_null(loc->pargfid))
        return loc->pargfid;
    if (loc->parent != NULL && !gf_uuid_is_null(loc->parent->gfid))
        return loc->parent->gfid;
    return NULL;
}

bool view_loc_may_be_virtual(loc_t *loc)
{
    if (loc == NULL)
        return false;
    if ((loc->inode != NULL && gfid_may_be_view(loc->inode->gfid)) || gfid_may_be_view(loc->gfid))
        return true;
    const unsigned char *pg = parent_gfid(loc);
    return pg != NULL && loc->name != NULL &&
           (__is_root_gfid((unsigned char *)pg) || gfid_may_be_view(pg));
}

bool view_fd_may_be_virtual(fd_t *fd)
{
    return fd != NULL && fd->inode != NULL && gfid_may_be_view(fd->inode->gfid);
}

static bool name_is_view(struct agora_priv *priv, const char *name)
{
    bool r;
    pthread_mutex_lock(&priv->view_lock);
    r = name != NULL && strcmp(name, priv->view_name_cur) == 0;
    pthread_mutex_unlock(&priv->view_lock);
    return r;
}

int view_classify(struct agora_priv *priv, const struct agora_view *v, loc_t *loc,
                  bool *missing)
{
    int k;
    if (missing)
        *missing = false;
    if (loc == NULL || v == NULL)
        return V_NONE;
    if (loc->inode != NULL && (k = by_gfid(v, loc->inode->gfid)) != V_NONE)
        return k;
    if ((k = by_gfid(v, loc->gfid)) != V_NONE)
        return k;
    const unsigned char *pg = parent_gfid(loc);
    if (pg == NULL || loc->name == NULL)
        return V_NONE;
    if (__is_root_gfid((unsigned char *)pg) && name_is_view(priv, loc->name))
        return V_DIR;
    if (view_is_dir_gfid(pg)) {
        for (size_t i = 0; i < v->n; i++)
            if (strcmp(v->files[i].name, loc->name) == 0)
                return (int)i;
        if (missing)
            *missing = true;
    }
    return V_NONE;
}

int view_classify_fd(const struct agora_view *v, fd_t *fd)
{
    if (fd == NULL || fd->inode == NULL || v == NULL)
        return V_NONE;
    return by_gfid(v, fd->inode->gfid);
}

int view_kind_loc(xlator_t *this, loc_t *loc, bool *missing)
{
    if (!view_loc_may_be_virtual(loc)) {
        if (missing)
            *missing = false;
        return V_NONE;
    }
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    int k = view_classify(priv, v, loc, missing);
    agora_view_unref(this, v);
    return k;
}

int view_kind_fd(xlator_t *this, fd_t *fd)
{
    if (!view_fd_may_be_virtual(fd))
        return V_NONE;
    struct agora_view *v = view_get(this->private);
    int k = view_classify_fd(v, fd);
    agora_view_unref(this, v);
    return k;
}

/* The generation an fd reads: the one it opened, or the current one. */
struct agora_view *view_of_fd(xlator_t *this, fd_t *fd)
{
    uint64_t val = 0;
    if (fd != NULL && fd_ctx_get(fd, this, &val) == 0 && val != 0) {
        struct agora_priv *priv = this->private;
        struct agora_view *v = (struct agora_view *)(uintptr_t)val;
        pthread_mutex_lock(&priv->view_lock);
        v->refs++;
        pthread_mutex_unlock(&priv->view_lock);
        return v;
    }
    return view_get(this->private);
}

void view_count_erofs(struct agora_priv *priv)
{
    pthread_mutex_lock(&priv->lock);
    priv->c.erofs++;
    pthread_mutex_unlock(&priv->lock);
}
