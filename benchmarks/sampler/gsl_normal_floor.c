/* The floor of a GSL-driven sampler, for scripts/bench-sampler.sh: wall ns per standard normal of
 * GSL taus2 + gsl_ran_gaussian_ziggurat, drawn into 1024-number buffers on THREADS threads, each
 * with its own generator. Usage: gsl_normal_floor NORMALS THREADS (prints ns_per_normal=...). */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct { long count; unsigned long seed; double sink; } work;

static void *draw(void *arg) {
    work *w = arg;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(rng, w->seed);
    double buffer[1024], sink = 0;
    for (long done = 0; done < w->count; done += 1024) {
        for (int k = 0; k < 1024; k++) buffer[k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        sink += buffer[17];
    }
    w->sink = sink;
    gsl_rng_free(rng);
    return NULL;
}

int main(int argc, char **argv) {
    long normals = argc > 1 ? atol(argv[1]) : 100000000L;
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    if (normals < 1024 || threads < 1 || threads > 256) { fprintf(stderr, "bad arguments\n"); return 64; }
    pthread_t id[256];
    work jobs[256];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int t = 0; t < threads; t++) {
        jobs[t] = (work){normals / threads, 100 + (unsigned long)t, 0};
        pthread_create(&id[t], NULL, draw, &jobs[t]);
    }
    double sink = 0;
    for (int t = 0; t < threads; t++) { pthread_join(id[t], NULL); sink += jobs[t].sink; }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("gsl-floor normals=%ld threads=%d sink=%g ns_per_normal=%.3f\n", normals, threads, sink, 1e9 * sec / (double)normals);
    return 0;
}
