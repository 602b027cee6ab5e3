/* wal_file.c: the write-ahead log files' recovery, append and replacement
 * (wal_file.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wal_file.h"

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads fd whole into a malloc'd buffer (*len: what could be read). */
static int read_all(int fd, uint8_t **out, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    size_t size = (size_t)st.st_size, got = 0;
    uint8_t *buf = malloc(size ? size : 1);
    if (buf == NULL)
        return -ENOMEM;
    while (got < size) {
        ssize_t r = pread(fd, buf + got, size - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    *out = buf;
    *len = got;
    return 0;
}

int agora_wal_file_recover(int fd, struct agora_acceptor *acc, size_t *len, size_t *valid,
                           int *why)
{
    uint8_t *buf = NULL;
    *len = *valid = 0;
    int rc = read_all(fd, &buf, len);
    if (rc != 0)
        return rc;
    *why = agora_acceptor_recover(acc, buf, *len, valid);
    free(buf);
    if (*why != AGORA_OK)
        return -EBADMSG;
    if (*valid < *len && (ftruncate(fd, (off_t)*valid) != 0 || fsync(fd) != 0))
        return -errno;
    return lseek(fd, 0, SEEK_END) < 0 ? -errno : 0;
}

int agora_wal_file_append(int fd, const uint8_t *p, size_t n)
{
    int rc = write_all(fd, p, n);
    if (rc == 0 && fdatasync(fd) != 0)
        rc = -errno;
    return rc;
}

int agora_wal_file_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) != 0 ? -errno : 0;
    close(fd);
    return rc;
}

int agora_wal_file_replace(const char *dir, const char *path, const uint8_t *image, size_t len)
{
    char tmp[4400];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0 && write_all(fd, image, len) == 0 && fsync(fd) == 0 && rename(tmp, path) == 0 &&
        agora_wal_file_sync_dir(dir) == 0)
        return fd;
    int e = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = e;
    return -1;
}
