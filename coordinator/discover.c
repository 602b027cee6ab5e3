/* discover.c: parsing a client volfile into the brick list (discover.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"

struct section {
    bool client;                  /* type protocol/client */
    char *host, *path, *user, *pass;
};

static void section_clear(struct section *s)
{
    free(s->host);
    free(s->path);
    free(s->user);
    free(s->pass);
    memset(s, 0, sizeof(*s));
}

/* Splits "word rest" of one line (leading blanks skipped). */
static const char *word(const char *line, const char *w)
{
    size_t n = strlen(w);
    line += strspn(line, " \t");
    if (strncmp(line, w, n) != 0 || (line[n] != ' ' && line[n] != '\t' && line[n] != '\0'))
        return NULL;
    return line + n + strspn(line + n, " \t");
}

static int set(char **dst, const char *v)
{
    free(*dst);
    *dst = strdup(v);
    return *dst == NULL ? -1 : 0;
}

static int option(struct section *s, const char *rest)
{
    const char *v;
    if ((v = word(rest, "remote-host")) != NULL)
        return set(&s->host, v);
    if ((v = word(rest, "remote-subvolume")) != NULL)
        return set(&s->path, v);
    if ((v = word(rest, "username")) != NULL)
        return set(&s->user, v);
    if ((v = word(rest, "password")) != NULL)
        return set(&s->pass, v);
    return 0;
}

/* A finished section: a protocol/client with host and path becomes a brick. */
static int finish(struct section *s, struct agd_brick *b, size_t max, size_t *n, char *err,
                  size_t errlen)
{
    if (!s->client)
        return 0;
    if (s->host == NULL || s->path == NULL) {
        snprintf(err, errlen, "a protocol/client section without %s",
                 s->host == NULL ? "remote-host" : "remote-subvolume");
        return -1;
    }
    if (*n >= max) {
        snprintf(err, errlen, "more than %zu bricks", max);
        return -1;
    }
    b[*n] = (struct agd_brick){.host = s->host, .path = s->path, .username = s->user,
                               .password = s->pass};
    (*n)++;
    memset(s, 0, sizeof(*s));
    return 0;
}

static int line_of(struct section *s, const char *line, struct agd_brick *b, size_t max,
                   size_t *n, char *err, size_t errlen)
{
    const char *v;
    if (word(line, "volume") != NULL) {
        section_clear(s);
    } else if ((v = word(line, "type")) != NULL) {
        s->client = strcmp(v, "protocol/client") == 0;
    } else if ((v = word(line, "option")) != NULL) {
        if (option(s, v) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    } else if (word(line, "end-volume") != NULL) {
        int rc = finish(s, b, max, n, err, errlen);
        section_clear(s);
        return rc;
    }
    return 0;
}

int agd_volfile_bricks(const char *text, struct agd_brick *bricks, size_t max, char *err,
                       size_t errlen)
{
    struct section s = {0};
    size_t n = 0;
    char *copy = strdup(text), *save = NULL;
    if (copy == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (char *l = strtok_r(copy, "\n", &save); l != NULL && rc == 0;
         l = strtok_r(NULL, "\n", &save)) {
        l[strcspn(l, "\r")] = '\0';
        /* trailing blanks are not part of a value */
        for (size_t k = strlen(l); k > 0 && (l[k - 1] == ' ' || l[k - 1] == '\t'); k--)
            l[k - 1] = '\0';
        rc = line_of(&s, l, bricks, max, &n, err, errlen);
    }
    section_clear(&s);
    free(copy);
    if (rc == 0 && n == 0) {
        snprintf(err, errlen, "no protocol/client section (no bricks)");
        rc = -1;
    }
    if (rc != 0) {
        for (size_t i = 0; i < n; i++) {
            free(bricks[i].host);
            free(bricks[i].path);
            free(bricks[i].username);
            free(bricks[i].password);
        }
        return -1;
    }
    return (int)n;
}

int agd_discover_bricks(struct agd_config *c, const char *logfile, char *err, size_t errlen)
{
    char why[AGD_CONFIG_ERR_MAX], *text = NULL;
    if (c->volume == NULL || c->n_bricks > 0)
        return 0;
    if (agd_volfile_fetch(c->servers, c->n_servers, c->volume, AGD_DISCOVER_TIMEOUT_MS, logfile,
                          &text, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: field 'volume': cannot fetch the volfile of %s: %s", c->file,
                 c->volume, why);
        return -1;
    }
    struct agd_brick *b = calloc(AGD_MAX_BRICKS, sizeof(*b));
    int n = b != NULL ? agd_volfile_bricks(text, b, AGD_MAX_BRICKS, why, sizeof(why)) : -1;
    free(text);
    if (n < 0) {
        snprintf(err, errlen, "%s: field 'volume': the volfile of %s: %s", c->file, c->volume,
                 b != NULL ? why : "out of memory");
        free(b);
        return -1;
    }
    c->bricks = b;
    c->n_bricks = (size_t)n;
    return 0;
}
