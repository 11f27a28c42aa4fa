set(VIV_SRC_LAYER addr.c alloc.c map.c err.c frame.c rng.c sched.c sim.c trace.c)
