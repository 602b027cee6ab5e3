/* view_attr.c: the attributes of /.agora/ and its files, and what they make
 * the client caches do (docs/translator.md, "Freshness: the client caches
 * and the 1 s bound").
 *
 * A file's mtime and ctime are its render time, strictly later whenever its
 * bytes change. In the client, md-cache notices a new mtime/ctime in an
 * iatt it stores and has FUSE drop the kernel's pages and attributes; the
 * kernel itself keeps its pages whatever the mtime. Only lookups, readdirp
 * and the upcalls answer the real ctime. stat, fstat and read answer
 * a ctime of 1 s, which md-cache discards, so md-cache holds only
 * attributes the kernel got with the name's entry at the same moment, and
 * never answers the kernel's next lookup of the name from them: a change
 * is visible within the kernel's 1 s entry timeout. The directory's
 * attributes never change.
 */
#include "view_int.h"

#include <glusterfs/iatt.h>

/* A file's attributes as a lookup (and an upcall) answers them: ctime =
 * mtime, the render time, strictly later whenever the bytes change. In the
 * client, md-cache compares each iatt it stores with the last one and, when
 * mtime or ctime differ, has FUSE drop the kernel's pages and attributes
 * (inode_invalidate): that is what makes a new rendering visible, for the
 * kernel keeps its pages (fopen-keep-cache) whatever the mtime. md-cache
 * then answers stat and lookup from its copy to the end of that wall-clock
 * second (md-cache-timeout 1). */
void view_file_iatt(const struct agora_vfile *f, struct iatt *ia)
{
    memset(ia, 0, sizeof(*ia));
    gf_uuid_copy(ia->ia_gfid, (unsigned char *)f->gfid);
    ia->ia_ino = gfid_to_ino(ia->ia_gfid);
    ia->ia_type = IA_IFREG;
    ia->ia_prot = ia_prot_from_st_mode(0444);
    ia->ia_nlink = 1;
    ia->ia_size = f->len;
    ia->ia_blksize = 4096;
    ia->ia_blocks = (f->len + 511) / 512;
    ia->ia_atime = ia->ia_mtime = ia->ia_ctime = ia->ia_btime = f->mtime.tv_sec;
    ia->ia_atime_nsec = ia->ia_mtime_nsec = ia->ia_ctime_nsec = ia->ia_btime_nsec =
        (uint32_t)f->mtime.tv_nsec;
    ia->ia_flags = IATT_TYPE | IATT_MODE | IATT_NLINK | IATT_UID | IATT_GID | IATT_ATIME |
                   IATT_MTIME | IATT_CTIME | IATT_INO | IATT_SIZE | IATT_BLOCKS | IATT_GFID;
}

/* The same with ctime 1 s (1970-01-01 00:00:01), for stat, fstat and read.
 * md-cache discards an iatt whose ctime is older than the one it holds
 * (mdc_inode_iatt_set_validate: "discarding the iatt validate request")
 * without touching its copy. So md-cache stores a view file's attributes
 * only from a lookup or a readdirp (the kernel reads directories with
 * readdirplus), which give the kernel the name's entry and the attributes
 * at the same moment, both for 1 s (entry-timeout, attribute-timeout);
 * md-cache keeps them only to the end of that wall-clock second. The
 * kernel looks the name up again after 1 s at the latest, and that lookup
 * reaches a brick. Before, md-cache also stored the iatt of a read (the
 * kernel gets none) or a stat, valid to the end of its second, and could
 * answer the kernel's next lookup with it: up to 2 s. ctime 0 would not do:
 * md-cache drops its copy on it and then did not notice the next change. */
void view_file_iatt_nocache(const struct agora_vfile *f, struct iatt *ia)
{
    view_file_iatt(f, ia);
    ia->ia_ctime = 1;
    ia->ia_ctime_nsec = 0;
}

/* The directory's: fixed times (its entries never change). */
void view_dir_iatt(const struct agora_view *v, struct iatt *ia)
{
    memset(ia, 0, sizeof(*ia));
    gf_uuid_copy(ia->ia_gfid, (unsigned char *)agora_view_dir_gfid);
    ia->ia_ino = gfid_to_ino(ia->ia_gfid);
    ia->ia_type = IA_IFDIR;
    ia->ia_prot = ia_prot_from_st_mode(0555);
    ia->ia_nlink = 2;
    ia->ia_size = 4096;
    ia->ia_blksize = 4096;
    ia->ia_blocks = 8;
    ia->ia_atime = ia->ia_mtime = ia->ia_ctime = ia->ia_btime = v->dir_time.tv_sec;
    ia->ia_atime_nsec = ia->ia_mtime_nsec = ia->ia_ctime_nsec = ia->ia_btime_nsec =
        (uint32_t)v->dir_time.tv_nsec;
    ia->ia_flags = IATT_TYPE | IATT_MODE | IATT_NLINK | IATT_UID | IATT_GID | IATT_ATIME |
                   IATT_MTIME | IATT_CTIME | IATT_INO | IATT_SIZE | IATT_BLOCKS | IATT_GFID;
}

void view_iatt(const struct agora_view *v, int k, struct iatt *ia)
{
    if (k == V_DIR)
        view_dir_iatt(v, ia);
    else
        view_file_iatt(&v->files[k], ia);
}

void view_iatt_nocache(const struct agora_view *v, int k, struct iatt *ia)
{
    if (k == V_DIR)
        view_dir_iatt(v, ia);
    else
        view_file_iatt_nocache(&v->files[k], ia);
}
