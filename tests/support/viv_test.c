#define _POSIX_C_SOURCE 200809L
#include "viv_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *viv_test_alloc_fn(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    viv_test_alloc *a = ud;
    if (new_size == 0) {
        if (ptr) {
            a->live_blocks--;
            a->live_bytes -= old_size;
            free(ptr);
        }
        return NULL;
    }
    a->calls++;
    if (a->fail_at && (a->calls == a->fail_at || (a->fail_all_after && a->calls > a->fail_at))) {
        a->failures++;
        return NULL;
    }
    void *p = realloc(ptr, new_size);
    if (!p)
        return NULL;
    if (!ptr)
        a->live_blocks++;
    else
        a->live_bytes -= old_size;
    a->live_bytes += new_size;
    if (a->live_bytes > a->peak_bytes)
        a->peak_bytes = a->live_bytes;
    return p;
}

viv_sim_t *viv_test_sim_new(viv_test_alloc *a, uint64_t seed)
{
    memset(a, 0, sizeof(*a));
    viv_sim_opts o = VIV_SIM_OPTS_INIT;
    o.seed = seed;
    o.alloc = viv_test_alloc_fn;
    o.alloc_ud = a;
    viv_sim_t *sim = NULL;
    assert_int_equal(viv_sim_new(&sim, &o), 0);
    assert_non_null(sim);
    return sim;
}

void viv_test_sim_free(viv_sim_t *sim, viv_test_alloc *a)
{
    viv_sim_free(sim);
    assert_int_equal(a->live_blocks, 0);
    assert_int_equal(a->live_bytes, 0);
}

int viv_test_sim_setup(void **state)
{
    viv_test_fixture *fx = calloc(1, sizeof(*fx));
    if (!fx)
        return -1;
    fx->sim = viv_test_sim_new(&fx->alloc, 1);
    *state = fx;
    return 0;
}

int viv_test_sim_teardown(void **state)
{
    viv_test_fixture *fx = *state;
    viv_sim_free(fx->sim);
    size_t blocks = fx->alloc.live_blocks, bytes = fx->alloc.live_bytes;
    free(fx);
    if (blocks || bytes) {
        fprintf(stderr, "leak at teardown: %zu blocks, %zu bytes\n", blocks, bytes);
        return -1;
    }
    return 0;
}

const char *viv_test_tshark(const char *pcap_path, const char *args)
{
    static char out[1 << 20];
    const char *tshark = VIV_TSHARK;
    if (!tshark[0])
        return NULL;
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' -r '%s' %s 2>&1", tshark, pcap_path, args ? args : "");
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    pclose(p);
    /* tshark warns on its first line when run as root: not part of its answer. */
    static const char root_warning[] = "Running as user \"root\"";
    if (strncmp(out, root_warning, sizeof root_warning - 1) == 0) {
        const char *nl = strchr(out, '\n');
        return nl ? nl + 1 : out + n;
    }
    return out;
}
