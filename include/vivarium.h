/**
 * @file vivarium.h
 * @brief The umbrella header: include this one to use all of vivarium.
 */
#ifndef VIVARIUM_H
#define VIVARIUM_H

#include "vivarium/common.h"
#include "vivarium/sim.h"
#include "vivarium/rng.h"
#include "vivarium/addr.h"

#endif
