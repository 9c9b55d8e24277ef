/* bench_clock.h - the clock of the bench tools: the wall clock, or with
 * CPU=1 in the environment the process's CPU time, which on a loaded
 * machine leaves out the time other programs had the core (meaningful at
 * one thread only: waiting worker threads spin). */
#ifndef DLC_BENCH_CLOCK_H
#define DLC_BENCH_CLOCK_H

#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
    const char *cpu = getenv("CPU");
    struct timespec ts;
    clock_gettime(cpu && atoi(cpu) ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
