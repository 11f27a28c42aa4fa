#include <stdio.h>
#include <vivarium.h>

static void on_ping(viv_ping_t *ping, const viv_ping_result *r, void *user)
{
    (void)ping, (void)user;
    if (r->event == VIV_PING_REPLY)
        printf("64 bytes: icmp_seq=%u ttl=%u time=%.3f ms\n", r->seq, r->ttl, r->rtt_ns / 1e6);
}

int main(void)
{
    viv_sim_t *sim;
    viv_host_t *a, *b;
    viv_switch_t *sw;
    viv_link_t *l;
    viv_link_params cable = VIV_LINK_PARAMS_INIT;
    cable.rate_bps = 100000000; /* 100 Mbit/s */
    cable.delay_ns = VIV_US(50);

    viv_sim_new(&sim, NULL);
    viv_switch_new(&sw, sim, 2, NULL);
    viv_host_new(&a, sim, NULL);
    viv_host_new(&b, sim, NULL);
    viv_host_add_iface(a, NULL);
    viv_host_add_iface(b, NULL);
    viv_link_new(&l, sim, viv_host_port(a, 0), viv_switch_port(sw, 0), &cable);
    viv_link_new(&l, sim, viv_host_port(b, 0), viv_switch_port(sw, 1), &cable);
    viv_host_add_addr(a, 0, VIV_IP4(10, 0, 0, 1), 24);
    viv_host_add_addr(b, 0, VIV_IP4(10, 0, 0, 2), 24);

    viv_ping_start(NULL, a, VIV_IP4(10, 0, 0, 2), NULL, on_ping, NULL);
    viv_sim_run_for(sim, VIV_S(5));
    viv_sim_free(sim); /* frees the hosts, the switch, the links and the ping */
    return 0;
}
