set(VIV_SRC_LAYER alloc.c err.c frame.c rng.c sched.c sim.c)
