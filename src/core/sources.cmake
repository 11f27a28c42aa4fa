set(VIV_SRC_LAYER addr.c alloc.c err.c frame.c rng.c sched.c sim.c)
