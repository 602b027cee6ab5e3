/* gf-config.h: the config.h defines GlusterFS 10.3 was built with and its
 * installed headers depend on (see docs/xlator-build.md). HAVE_ATOMIC_BUILTINS
 * changes the layout of xlator_t: without it this->private points into garbage. */
#ifndef AGORA_GF_CONFIG_H
#define AGORA_GF_CONFIG_H
#define HAVE_ATOMIC_BUILTINS 1
#define HAVE_SYNC_BUILTINS 1
#define SIZEOF_LONG 8
#define SIZEOF_INT 4
#define SIZEOF_SHORT 2
#define SIZEOF_LONG_LONG 8
#define HAVE_LINUX_FALLOC_H 1
#define HAVE_ENDIAN_H 1
#define HAVE_STRNLEN 1
#define HAVE_LLISTXATTR 1
#define HAVE_SYS_XATTR_H 1
#define HAVE_STRUCT_STAT_ST_ATIM_TV_NSEC 1
#define HAVE_UTIMENSAT 1
#define HAVE_FUTIMENS 1
#define HAVE_FUTIMES 1
#define HAVE_PTHREAD_SETNAME_NP_TWO_ARGS 1
#define HAVE_STATIC_ASSERT 1
#define HAVE_SYS_ACL_H 1
#define HAVE_ARGP 1
#define USE_EVENTS 1
#ifndef GF_LINUX_HOST_OS
#define GF_LINUX_HOST_OS 1
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#endif
