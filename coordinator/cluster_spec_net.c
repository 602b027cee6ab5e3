/* cluster_spec_net.c: the spec's networks ($.networks: name -> subnet) and the
 * static IP pools of apps ($.apps[i].network.ipPool). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cluster_spec_int.h"

#define POOL_MAX 4096u             /* addresses in one pool, expanded */

static const char *const NET_KEYS[] = {"subnet", "type", NULL};

/* "a.b.c.d/len" or "v6/len" -> base (host bits cleared) and prefix. */
static int parse_cidr(const char *s, struct agora_ip *base, unsigned *prefix, char *why,
                      size_t whylen)
{
    const char *slash = strchr(s, '/');
    char *end;

    if (slash == NULL) {
        snprintf(why, whylen, "\"%s\" is not ADDRESS/PREFIX", s);
        return -1;
    }
    if (agora_parse_ip(s, (size_t)(slash - s), base, why, whylen) != AGORA_OK)
        return -1;
    unsigned long n = strtoul(slash + 1, &end, 10);
    unsigned max = base->family == 4 ? 32 : 128;
    if (slash[1] == '\0' || *end != '\0' || n > max) {
        snprintf(why, whylen, "prefix length \"%s\" must be 0..%u", slash + 1, max);
        return -1;
    }
    *prefix = (unsigned)n;
    for (unsigned b = *prefix; b < max; b++)
        base->addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
    return 0;
}

static bool in_subnet(const struct agl_net *net, const struct agora_ip *ip)
{
    if (ip->family != net->base.family)
        return false;
    for (unsigned b = 0; b < net->prefix; b++) {
        unsigned m = 0x80u >> (b % 8);
        if ((ip->addr[b / 8] & m) != (net->base.addr[b / 8] & m))
            return false;
    }
    return true;
}

static void parse_net(struct agl_chk *c, const char *name, json_t *v, const char *path,
                      struct agl_net *out)
{
    const char *subnet = NULL, *type = NULL;
    char why[160], p[AGL_PATH_MAX];

    out->name = name;
    if (!json_is_object(v)) {
        agl_problem(c, path, "must be an object");
        return;
    }
    agl_check_keys(c, v, path, NET_KEYS);
    (void)agl_get_str(c, v, path, "type", &type);
    if (!agl_get_str(c, v, path, "subnet", &subnet))
        return;
    agl_path_key(p, path, "subnet");
    if (parse_cidr(subnet, &out->base, &out->prefix, why, sizeof why) != 0)
        agl_problem(c, p, "%s", why);
    else
        out->has_subnet = true;
}

int agl_parse_networks(struct agl_chk *c, json_t *nets, struct agl_net **out, size_t *n)
{
    const char *name;
    json_t *v;
    char p[AGL_PATH_MAX], why[160];

    *out = NULL;
    *n = 0;
    if (nets == NULL)
        return 0;
    if (!json_is_object(nets)) {
        agl_problem(c, "$.networks", "must be an object (network name -> {subnet})");
        return 0;
    }
    *out = calloc(json_object_size(nets) + 1, sizeof **out);
    if (*out == NULL)
        return -1;
    json_object_foreach(nets, name, v) {
        agl_path_key(p, "$.networks", name);
        if (name[0] == '\0' || strlen(name) > 64 || strpbrk(name, " \t\n/") != NULL) {
            snprintf(why, sizeof why, "network name must be 1..64 characters, no blanks or /");
            agl_problem(c, p, "%s", why);
        }
        parse_net(c, name, v, p, &(*out)[(*n)++]);
    }
    return 0;
}

const struct agl_net *agl_net_find(const struct agl_net *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    }
    return NULL;
}

static uint32_t v4(const struct agora_ip *ip)
{
    return (uint32_t)ip->addr[0] << 24 | (uint32_t)ip->addr[1] << 16 |
           (uint32_t)ip->addr[2] << 8 | ip->addr[3];
}

static void set_v4(struct agora_ip *ip, uint32_t a)
{
    memset(ip, 0, sizeof *ip);
    ip->family = 4;
    ip->addr[0] = (uint8_t)(a >> 24);
    ip->addr[1] = (uint8_t)(a >> 16);
    ip->addr[2] = (uint8_t)(a >> 8);
    ip->addr[3] = (uint8_t)a;
}

static bool pool_add(struct agl_chk *c, struct agl_app *app, const struct agora_ip *ip,
                     const struct agl_net *net, const char *path, const char *text)
{
    for (size_t i = 0; i < app->n_pool; i++) {
        if (memcmp(&app->pool[i], ip, sizeof *ip) == 0) {
            agl_problem(c, path, "address %s is listed twice", text);
            return false;
        }
    }
    if (net != NULL && net->has_subnet && !in_subnet(net, ip)) {
        char buf[64];
        agora_format_ip(ip, buf, sizeof buf);
        agl_problem(c, path, "address %s is outside network %s", buf, net->name);
        return false;
    }
    if (app->n_pool >= POOL_MAX) {
        agl_problem(c, path, "pool holds more than %u addresses", POOL_MAX);
        return false;
    }
    app->pool[app->n_pool++] = *ip;
    return true;
}

/* "A" or "A-B" (IPv4 only for ranges, A <= B). */
static void parse_entry(struct agl_chk *c, const char *s, const char *path,
                        const struct agl_net *net, struct agl_app *app)
{
    struct agora_ip a, b;
    char why[160];
    const char *dash = strchr(s, '-');
    size_t alen = dash != NULL ? (size_t)(dash - s) : strlen(s);

    if (agora_parse_ip(s, alen, &a, why, sizeof why) != AGORA_OK) {
        agl_problem(c, path, "%s", why);
        return;
    }
    if (dash == NULL) {
        (void)pool_add(c, app, &a, net, path, s);
        return;
    }
    if (a.family != 4 || agora_parse_ipv4(dash + 1, strlen(dash + 1), &b, why, sizeof why) != 0) {
        agl_problem(c, path, "a range must be IPV4-IPV4, got \"%s\"", s);
        return;
    }
    if (v4(&b) < v4(&a) || v4(&b) - v4(&a) >= POOL_MAX) {
        agl_problem(c, path, "range \"%s\" is empty or larger than %u addresses", s, POOL_MAX);
        return;
    }
    for (uint32_t x = v4(&a);; x++) {
        struct agora_ip ip;
        set_v4(&ip, x);
        if (!pool_add(c, app, &ip, net, path, s) || x == v4(&b))
            break;
    }
}

void agl_parse_pool(struct agl_chk *c, json_t *pool, const char *path, const struct agl_net *net,
                    struct agl_app *app)
{
    char p[AGL_PATH_MAX];
    size_t i;
    json_t *v;

    if (!json_is_array(pool)) {
        agl_problem(c, path, "must be an array of addresses or ranges (\"A-B\")");
        return;
    }
    app->pool = calloc(POOL_MAX, sizeof *app->pool);
    if (app->pool == NULL) {
        c->oom = true;
        return;
    }
    json_array_foreach(pool, i, v) {
        agl_path_idx(p, path, i);
        if (!json_is_string(v))
            agl_problem(c, p, "must be a string");
        else
            parse_entry(c, json_string_value(v), p, net, app);
    }
}
