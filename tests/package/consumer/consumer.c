/* An outside program: it sees only the installed <vivarium.h> and library. It schedules three
 * events, runs them, and prints one line that the package test compares exactly. */
#include <stdio.h>

#include <vivarium.h>

static void count(viv_sim_t *sim, void *user)
{
    (void)sim;
    ++*(int *)user;
}

int main(void)
{
    viv_sim_t *sim;
    int events = 0;
    int v = viv_version();
    if (viv_sim_new(&sim, NULL) < 0)
        return 1;
    for (int i = 1; i <= 3; i++) {
        if (viv_sim_schedule_after(NULL, sim, VIV_MS(i), count, &events) < 0)
            return 1;
    }
    if (viv_sim_run(sim) < 0)
        return 1;
    printf("vivarium consumer: library %d.%d.%d, %d events, clock at %llu ns\n", v / 10000,
           v / 100 % 100, v % 100, events, (unsigned long long)viv_sim_now(sim));
    viv_sim_free(sim);
    return 0;
}
