/* test_optim.c - every optimizer and schedule against values worked out by
 * hand from the update rules in the notes; L-BFGS on functions whose
 * minimum is known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "../../src/optim/optim.h"
#include "testutil.h"

static optim_config base(optim_kind k)
{
    optim_config c = {.type = k, .lr = 0.1, .momentum = 0.9, .beta1 = 0.9, .beta2 = 0.999,
                      .rho = 0.9, .eps = 1e-8, .weight_decay = 0.1};
    return c;
}

/* Runs steps of optimizer c with the given gradients on one weight starting
 * at 1 (decay: adamw's decoupled decay applies to it). */
static float run_cfg(const optim_config *c, const float *grads, int steps, float gscale, float l2,
                     int decay)
{
    optim *o;
    assert_int_equal(optim_create(&o, c, 1, NULL), DLC_OK);
    float w = 1.0f;
    for (int s = 0; s < steps; s++) {
        optim_begin_step(o);
        optim_step(o, &w, &grads[s], 0, 1, (float)c->lr, gscale, l2, decay);
    }
    optim_free(o);
    return w;
}

static float run_steps(optim_kind k, const float *grads, int steps, float gscale, float l2)
{
    optim_config c = base(k);
    if (k == OPT_SGD)
        c.momentum = 0; /* plain sgd, as a config's type sgd */
    return run_cfg(&c, grads, steps, gscale, l2, 1);
}

static void test_sgd(void **state)
{
    float g[] = {0.5f};
    tu_close(run_steps(OPT_SGD, g, 1, 1, 0), 0.95, 1e-7);
    /* L2: g' = 0.5 + 0.2 * 1 */
    tu_close(run_steps(OPT_SGD, g, 1, 1, 0.2f), 0.93, 1e-7);
    /* clipping scale halves the gradient */
    tu_close(run_steps(OPT_SGD, g, 1, 0.5f, 0), 0.975, 1e-7);
}

static void test_momentum(void **state)
{
    /* v1 = 0.1*0.5 = 0.05, w = 0.995; v2 = 0.9*0.05 + 0.05 = 0.095, w = 0.9855 */
    float g[] = {0.5f, 0.5f};
    tu_close(run_steps(OPT_MOMENTUM, g, 1, 1, 0), 0.995, 1e-7);
    tu_close(run_steps(OPT_MOMENTUM, g, 2, 1, 0), 0.9855, 1e-6);
}

/* PyTorch's SGD with momentum mu = 0.9 (b = mu b + (1 - d) g, b = g at the
 * first step; nesterov steps along g + mu b), lr 0.1, w0 = 1, g = 0.5, -1, 0.5:
 *   heavy ball: b 0.5, -0.55, 0.005;       w 0.95, 1.005, 1.0045
 *   nesterov:   steps 0.95, -1.495, 0.5045; w 0.905, 1.0545, 1.00405
 *   dampening 0.5: b 0.5 (undampened), -0.05, 0.205; w 0.95, 0.955, 0.9345 */
static void test_sgd_momentum(void **state)
{
    float g[] = {0.5f, -1.0f, 0.5f};
    optim_config c = base(OPT_SGD);
    assert_int_equal(optim_moments(&c), 1);
    double heavy[] = {0.95, 1.005, 1.0045}, nest[] = {0.905, 1.0545, 1.00405},
           damp[] = {0.95, 0.955, 0.9345};
    for (int s = 1; s <= 3; s++) {
        c.nesterov = 0;
        c.dampening = 0;
        tu_close(run_cfg(&c, g, s, 1, 0, 1), heavy[s - 1], 1e-6);
        c.nesterov = 1;
        tu_close(run_cfg(&c, g, s, 1, 0, 1), nest[s - 1], 1e-6);
        c.nesterov = 0;
        c.dampening = 0.5;
        tu_close(run_cfg(&c, g, s, 1, 0, 1), damp[s - 1], 1e-6);
    }
    /* L2 enters the gradient before the momentum (PyTorch's weight_decay):
     * g' = 0.5 + 0.2, b = 0.7, step 0.7 + 0.63, w = 1 - 0.133 */
    c.dampening = 0;
    c.nesterov = 1;
    tu_close(run_cfg(&c, g, 1, 1, 0.2f, 1), 0.867, 1e-6);
    /* momentum 0 is plain sgd, with no state */
    c.momentum = 0;
    c.nesterov = 0;
    assert_int_equal(optim_moments(&c), 0);
    tu_close(run_cfg(&c, g, 2, 1, 0, 1), 1.05, 1e-6);
}

/* AdamW (torch.optim.AdamW), lr 0.1, weight_decay 0.1, w0 = 1: each step
 * first w *= 1 - 0.01, then Adam's step, whose first is lr in size:
 *   g = 0.5, 0.5: 0.99 - 0.1 = 0.89; 0.8811 - 0.1 = 0.7811
 *   g = 0.5, -1:  0.8811 + 0.1 * 0.289473684 / 0.790688 = 0.91771036
 * Adam with an L2 of 0.1 instead would step 0.1 from 1 (g' = 0.6): 0.9. */
static void test_adamw(void **state)
{
    optim_config c = base(OPT_ADAMW);
    assert_int_equal(optim_moments(&c), 2);
    float g1[] = {0.5f, 0.5f}, g2[] = {0.5f, -1.0f};
    tu_close(run_cfg(&c, g1, 1, 1, 0, 1), 0.89, 1e-6);
    tu_close(run_cfg(&c, g1, 2, 1, 0, 1), 0.7811, 5e-6);
    tu_close(run_cfg(&c, g2, 2, 1, 0, 1), 0.91771036, 2e-6);
    /* a bias (decay 0) is left to Adam: 0.9, 0.8 */
    tu_close(run_cfg(&c, g1, 1, 1, 0, 0), 0.9, 1e-6);
    tu_close(run_cfg(&c, g1, 2, 1, 0, 0), 0.8, 5e-6);
    /* train.l2 beside it: g' = 0.5 + 0.2 * 1 (the w before the decay), a
     * first Adam step of lr: 0.99 - 0.1 */
    tu_close(run_cfg(&c, g1, 1, 1, 0.2f, 1), 0.89, 1e-6);
    /* with weight_decay 0 it is Adam */
    c.weight_decay = 0;
    tu_close(run_cfg(&c, g2, 2, 1, 0, 1), 0.93661036, 2e-6);
}

/* AMSGrad (Adam(amsgrad=True)) with beta2 0.9, so that v falls fast: g = 1,
 * 0, 0.5 from w0 = 1, lr 0.1.  Step 2: v 0.09 below vmax 0.1, so the step
 * divides by sqrt(0.1 / 0.19) = 0.725476 (Adam: sqrt(0.09 / 0.19)); step 3:
 * v 0.106 is the new largest.  Worked in double:
 *   amsgrad 0.9, 0.834707139, 0.757415288; adam 0.9, 0.831175282, 0.753883430;
 *   adamw (weight_decay 0.1) with amsgrad: 0.89, 0.815807139, 0.730357217 */
static void test_amsgrad(void **state)
{
    float g[] = {1.0f, 0.0f, 0.5f};
    optim_config c = base(OPT_ADAM);
    c.beta2 = 0.9;
    c.amsgrad = 1;
    assert_int_equal(optim_moments(&c), 3);
    double ams[] = {0.9, 0.834707139, 0.757415288}, adamw[] = {0.89, 0.815807139, 0.730357217},
           plain[] = {0.9, 0.831175282, 0.753883430};
    for (int s = 1; s <= 3; s++) {
        c.type = OPT_ADAM;
        c.amsgrad = 1;
        tu_close(run_cfg(&c, g, s, 1, 0, 1), ams[s - 1], 2e-6);
        c.type = OPT_ADAMW;
        tu_close(run_cfg(&c, g, s, 1, 0, 1), adamw[s - 1], 2e-6);
        c.type = OPT_ADAM;
        c.amsgrad = 0;
        tu_close(run_cfg(&c, g, s, 1, 0, 1), plain[s - 1], 2e-6);
    }
    /* sgd, momentum and rmsprop have no amsgrad: no third vector */
    c.type = OPT_RMSPROP;
    c.amsgrad = 1;
    assert_int_equal(optim_moments(&c), 1);
}

static void test_rmsprop(void **state)
{
    /* s1 = 0.1 * 0.25 = 0.025; w = 1 - 0.1 * 0.5 / sqrt(0.025) = 0.683772234 */
    float g[] = {0.5f};
    tu_close(run_steps(OPT_RMSPROP, g, 1, 1, 0), 0.683772234, 1e-6);
}

static void test_adam(void **state)
{
    /* step 1: mhat = 0.5, vhat = 0.25 -> w = 1 - 0.1 = 0.9 (bias correction
     * makes the first step exactly lr in size) */
    float g1[] = {0.5f, 0.5f};
    tu_close(run_steps(OPT_ADAM, g1, 1, 1, 0), 0.9, 1e-6);
    tu_close(run_steps(OPT_ADAM, g1, 2, 1, 0), 0.8, 5e-6); /* float32 moments */
    /* step 2 with g = -1: m2 = -0.055, mhat = -0.289473684; v2 = 0.00124975,
     * vhat = 0.625187594; w = 0.9 + 0.1 * 0.289473684 / 0.790688 = 0.93661036 */
    float g2[] = {0.5f, -1.0f};
    tu_close(run_steps(OPT_ADAM, g2, 2, 1, 0), 0.93661036, 2e-6);
}

/* With gradients near sqrt(eps), where eps must sit outside the square root
 * (as in PyTorch): rmsprop s = 0.1 g^2 = 1e-9, step lr g / (sqrt(s) + eps) =
 * 0.1 x 3.16124; adam's first step lr g / (|g| + eps) = 0.1 x 0.9999.  With
 * eps inside the root the steps would be 0.1 x 0.953 and 0.1 x 0.707. */
static void test_eps_outside_the_root(void **state)
{
    float g[] = {1e-4f};
    tu_close(run_steps(OPT_RMSPROP, g, 1, 1, 0), 1.0 - 0.1 * 1e-4 / (sqrt(1e-9) + 1e-8), 1e-6);
    tu_close(run_steps(OPT_ADAM, g, 1, 1, 0), 1.0 - 0.1 * 1e-4 / (1e-4 + 1e-8), 1e-6);
}

static void test_optimizer_ranges(void **state)
{
    /* state is indexed by offset: two ranges of one optimizer stay apart */
    optim *o;
    optim_config c = base(OPT_MOMENTUM);
    assert_int_equal(optim_create(&o, &c, 4, NULL), DLC_OK);
    float w[4] = {1, 1, 1, 1}, g[4] = {0.5f, 0.5f, 0, 0};
    optim_begin_step(o);
    optim_step(o, w, g, 0, 2, 0.1f, 1, 0, 1);
    optim_step(o, w + 2, g + 2, 2, 2, 0.1f, 1, 0, 1);
    tu_close(w[0], 0.995, 1e-7);
    tu_close(w[2], 1.0, 0);
    tu_close(o->m[0], 0.05, 1e-7);
    tu_close(o->m[2], 0.0, 0);
    optim_free(o);
    optim_free(NULL);
}

static void test_clip(void **state)
{
    tu_close(optim_clip_scale(10, 5), 0.5, 1e-7);
    tu_close(optim_clip_scale(3, 5), 1.0, 0);
    tu_close(optim_clip_scale(10, 0), 1.0, 0);
}

static void test_schedules(void **state)
{
    schedule_config s = {0};
    s.type = SCHED_INVERSE_TIME;
    s.decay_rate = 1;
    /* the notes: alpha0 = 0.2, rate 1 -> 0.1, 0.067, 0.05, 0.04 */
    double want[] = {0.1, 0.2 / 3, 0.05, 0.04};
    for (int e = 1; e <= 4; e++)
        tu_close(optim_schedule_lr(&s, 0.2, e, 1, 0), want[e - 1], 1e-12);

    s.type = SCHED_EXPONENTIAL;
    s.base = 0.95;
    tu_close(optim_schedule_lr(&s, 0.2, 1, 1, 0), 0.19, 1e-12);
    tu_close(optim_schedule_lr(&s, 0.2, 3, 1, 0), 0.171475, 1e-12);

    s.type = SCHED_INV_SQRT_EPOCH;
    s.k = 1;
    tu_close(optim_schedule_lr(&s, 0.2, 1, 1, 0), 0.2, 1e-12);
    tu_close(optim_schedule_lr(&s, 0.2, 4, 1, 0), 0.1, 1e-12);

    s.type = SCHED_INV_SQRT_STEP;
    s.k = 2;
    tu_close(optim_schedule_lr(&s, 0.1, 1, 4, 0), 0.1, 1e-12);
    tu_close(optim_schedule_lr(&s, 0.1, 9, 16, 0), 0.05, 1e-12);

    s.type = SCHED_STEP;
    s.factor = 0.5;
    s.every = 2;
    double steps[] = {0.2, 0.2, 0.1, 0.1, 0.05};
    for (int e = 1; e <= 5; e++)
        tu_close(optim_schedule_lr(&s, 0.2, e, 1, 0), steps[e - 1], 1e-12);

    /* cosine over 10 steps, the first 2 warming up: 0.5 and 1 of lr0, then
     * q = (step - 3) / 8: 1 at step 3, (1 + cos(pi / 2)) / 2 = 0.5 at step 7,
     * (1 + cos(0.875 pi)) / 2 = 0.0380602337 at step 10 */
    s.type = SCHED_COSINE;
    s.warmup = 0.2;
    double cosine[][2] = {{1, 0.1}, {2, 0.2}, {3, 0.2}, {7, 0.1}, {10, 0.2 * 0.0380602337443566}};
    for (int i = 0; i < 5; i++)
        tu_close(optim_schedule_lr(&s, 0.2, 1, (long)cosine[i][0], 10), cosine[i][1], 1e-12);
    /* no warm-up, ending at final = 0.1 of lr0 over 5 steps: q = (step - 1) / 5,
     * lr0 (0.1 + 0.9 (1 + cos(pi q)) / 2): 0.2 at step 1, 0.2 * 0.689057647 at
     * step 3 (q 0.4), 0.2 * 0.185942353 at step 5 (q 0.8) */
    s.warmup = 0;
    s.final = 0.1;
    tu_close(optim_schedule_lr(&s, 0.2, 1, 1, 5), 0.2, 1e-12);
    tu_close(optim_schedule_lr(&s, 0.2, 1, 3, 5), 0.2 * 0.68905764746872634, 1e-12);
    tu_close(optim_schedule_lr(&s, 0.2, 1, 5, 5), 0.2 * 0.18594235253127366, 1e-12);

    s.type = SCHED_MANUAL;
    s.n_points = 2;
    s.point_epoch[0] = 2;
    s.point_lr[0] = 0.1;
    s.point_epoch[1] = 4;
    s.point_lr[1] = 0.01;
    double manual[] = {0.5, 0.1, 0.1, 0.01, 0.01};
    for (int e = 1; e <= 5; e++)
        tu_close(optim_schedule_lr(&s, 0.5, e, 1, 0), manual[e - 1], 1e-12);

    s.type = SCHED_CONSTANT;
    tu_close(optim_schedule_lr(&s, 0.3, 7, 99, 0), 0.3, 0);
}

/* ---- L-BFGS ---- */

typedef struct {
    float *x;
    int n, calls, fail_at;
    int rosenbrock;   /* else the quadratic 1/2 sum a_i (x_i - c_i)^2, a_i = 1 .. 100 */
} lb_fn;

static dlc_status lb_eval(void *user, double *f, float *g, dlc_error *err)
{
    lb_fn *p = user;
    if (++p->calls == p->fail_at)
        return dlc_fail(err, DLC_ERUN, "stop");
    const float *x = p->x;
    if (p->rosenbrock) { /* (1 - a)^2 + 100 (b - a^2)^2, minimum 0 at (1, 1) */
        double a = x[0], b = x[1];
        *f = (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a);
        g[0] = (float)(-2 * (1 - a) - 400 * a * (b - a * a));
        g[1] = (float)(200 * (b - a * a));
        return DLC_OK;
    }
    *f = 0;
    for (int i = 0; i < p->n; i++) {
        double a = 1 + 99.0 * i / (p->n - 1), d = x[i] - (i % 3 - 1.0);
        *f += 0.5 * a * d * d;
        g[i] = (float)(a * d);
    }
    return DLC_OK;
}

static double lb_run(lb_fn *p, int iters, int history, double lr, int *evals)
{
    optim_lbfgs *o = NULL;
    dlc_error err = {0};
    float g[64];
    double f;
    assert_int_equal(optim_lbfgs_create(&o, (size_t)p->n, history, &err), DLC_OK);
    assert_int_equal(lb_eval(p, &f, g, &err), DLC_OK);
    *evals = 1;
    for (int k = 0; k < iters; k++) {
        int e, moved;
        double before = f;
        assert_int_equal(optim_lbfgs_step(o, p->x, &f, g, lr, lb_eval, p, &e, &moved, &err), DLC_OK);
        assert_true(f <= before); /* never uphill */
        assert_true(moved || f == before);
        *evals += e;
    }
    optim_lbfgs_free(o);
    return f;
}

static void test_lbfgs(void **state)
{
    (void)state;
    /* an ill-conditioned quadratic (condition number 100): L-BFGS reaches the
     * minimum in about as many iterations as it keeps pairs; gradient
     * descent with the same history of 1 is much slower */
    float x[20] = {0};
    lb_fn q = {x, 20, 0, 0, 0};
    int evals;
    double f0 = 0;
    for (int i = 0; i < 20; i++) {
        double a = 1 + 99.0 * i / 19, d = i % 3 - 1.0;
        f0 += 0.5 * a * d * d;
    }
    double f = lb_run(&q, 40, 10, 1.0, &evals);
    assert_true(f < 1e-8 * f0);
    assert_true(evals < 80); /* the unit step is mostly accepted */
    /* Rosenbrock from (-1.2, 1) */
    float r[2] = {-1.2f, 1.0f};
    lb_fn rb = {r, 2, 0, 0, 1};
    f = lb_run(&rb, 200, 10, 1.0, &evals);
    assert_true(f < 1e-6);
    tu_close(r[0], 1.0, 1e-3);
    tu_close(r[1], 1.0, 2e-3);
}

static void test_lbfgs_errors(void **state)
{
    (void)state;
    optim_lbfgs *o = NULL;
    dlc_error err = {0};
    assert_int_equal(optim_lbfgs_create(&o, 0, 5, &err), DLC_EINPUT);
    assert_int_equal(optim_lbfgs_create(&o, 4, 0, &err), DLC_EINPUT);
    assert_null(o);
    optim_lbfgs_free(NULL);
    /* the function's error comes back as it is */
    float x[4] = {1, 2, 3, 4}, g[4];
    double f;
    lb_fn q = {x, 4, 0, 2, 0};
    assert_int_equal(optim_lbfgs_create(&o, 4, 3, &err), DLC_OK);
    assert_int_equal(lb_eval(&q, &f, g, &err), DLC_OK);
    int evals, moved;
    assert_int_equal(optim_lbfgs_step(o, x, &f, g, 1.0, lb_eval, &q, &evals, &moved, &err), DLC_ERUN);
    assert_string_equal(err.msg, "stop");
    optim_lbfgs_free(o);
}

/* ---- L-BFGS's step sizes, H0 and failed searches, by hand ---- */

/* A function of n <= 8 values that can be made to fail (f NaN and a
 * garbage gradient for the calls numbered nan_from .. nan_from + 19), the
 * first point it is called at after `first_at` is reset to 0 kept in first,
 * and the L-BFGS state (history 5) that minimizes it from f and g. */
typedef struct {
    lb_fn fn;
    int nan_from, first_at, moved;
    float first[8], g[8];
    double f;
    optim_lbfgs *o;
} lb_trap;

static dlc_status lb_trap_eval(void *user, double *f, float *g, dlc_error *err)
{
    lb_trap *t = user;
    if (!t->first_at) {
        memcpy(t->first, t->fn.x, sizeof(float) * (size_t)t->fn.n);
        t->first_at = t->fn.calls + 1;
    }
    dlc_status st = lb_eval(&t->fn, f, g, err);
    if (t->nan_from && t->fn.calls >= t->nan_from && t->fn.calls < t->nan_from + 20) {
        *f = NAN;
        for (int i = 0; i < t->fn.n; i++)
            g[i] = 1e30f;
    }
    return st;
}

/* A fresh L-BFGS at x (n values; the quadratic, or Rosenbrock), with f and g there. */
static void lb_start(lb_trap *t, float *x, int n, int rosenbrock)
{
    dlc_error err = {0};
    *t = (lb_trap){.fn = {x, n, 0, 0, rosenbrock}, .first_at = 1};
    assert_int_equal(optim_lbfgs_create(&t->o, (size_t)n, 5, &err), DLC_OK);
    assert_int_equal(lb_eval(&t->fn, &t->f, t->g, &err), DLC_OK);
}

/* One iteration: its evaluations. */
static int lb_one(lb_trap *t, double lr)
{
    dlc_error err = {0};
    int evals;
    assert_int_equal(optim_lbfgs_step(t->o, t->fn.x, &t->f, t->g, lr, lb_trap_eval, t, &evals,
                                      &t->moved, &err),
                     DLC_OK);
    return evals;
}

/* The first iteration, before any pair: the step lr / |g|_1 along -g when
 * |g|_1 > 1 (PyTorch's lr min(1, 1/|g|_1)), else lr; then backtracking. */
static void test_lbfgs_first_step(void **state)
{
    (void)state;
    lb_trap t;
    /* the quadratic of n = 4 (a = 1, 34, 67, 100; c = -1, 0, 1, -1) from 0:
     * g = -a c = (1, 0, -67, 100), |g|_1 = 168; the step 1/168 passes Armijo
     * (largest curvature 100 < 2 x 168) */
    static const float g0[4] = {1, 0, -67, 100};
    const double lrs[2] = {1.0, 0.5};
    for (int k = 0; k < 2; k++) {
        float x[4] = {0};
        lb_start(&t, x, 4, 0);
        assert_int_equal(lb_one(&t, lrs[k]), 1);
        assert_int_equal(t.moved, 1);
        for (int i = 0; i < 4; i++)
            tu_close(x[i], -lrs[k] / 168 * g0[i], 1e-7);
        optim_lbfgs_free(t.o);
    }
    /* |g|_1 <= 1 (near the minimum): the step is lr itself, not lr / |g|_1 */
    float x[4] = {-0.999f, 0.001f, 1.001f, -0.999f}, x0[4];
    memcpy(x0, x, sizeof x);
    lb_start(&t, x, 4, 0);
    double l1 = 0;
    for (int i = 0; i < 4; i++)
        l1 += fabs(t.g[i]);
    assert_true(l1 < 1);
    assert_int_equal(lb_one(&t, 0.01), 1);
    for (int i = 0; i < 4; i++) /* x - 0.01 g, g = a (x - c) = 0.001 a */
        tu_close(x[i], x0[i] - 0.01 * 0.001 * (1 + 33.0 * i), 1e-7);
    optim_lbfgs_free(t.o);
    /* Rosenbrock from (-1.2, 1): g = (-215.6, -88), |g|_1 = 303.6.  The step
     * 1/303.6 lands where f = 112.4 > 24.2; half of it, at (-0.845, 1.145),
     * f = 21.98, passes: two evaluations, x = x0 - g / 607.2 */
    float r[2] = {-1.2f, 1.0f};
    lb_start(&t, r, 2, 1);
    tu_close(t.f, 24.2, 1e-4);
    assert_int_equal(lb_one(&t, 1.0), 2);
    tu_close(r[0], -1.2 + -215.6 / -607.2, 1e-6);
    tu_close(r[1], 1.0 + -88.0 / -607.2, 1e-6);
    optim_lbfgs_free(t.o);
}

/* The second iteration uses one pair: d = -H g with H the BFGS update of
 * H0 = (s.y / y.y) I, H = (I - rho s y') H0 (I - rho y s') + rho s s'
 * (Nocedal & Wright 6.17, 7.20), worked out here as matrices. */
static void test_lbfgs_h0_scale(void **state)
{
    (void)state;
    float x[4] = {0}, x1[4], g1[4], gprev[4];
    lb_trap t;
    lb_start(&t, x, 4, 0);
    memcpy(gprev, t.g, sizeof gprev);
    assert_int_equal(lb_one(&t, 1.0), 1);
    memcpy(x1, x, sizeof x);
    memcpy(g1, t.g, sizeof g1);
    double s[4], y[4], sy = 0, yy = 0;
    for (int i = 0; i < 4; i++) {
        s[i] = x1[i]; /* x0 = 0 */
        y[i] = (double)g1[i] - gprev[i];
        sy += s[i] * y[i];
        yy += y[i] * y[i];
    }
    double rho = 1 / sy, gamma = sy / yy, H[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double h = 0; /* sum_k (I - rho s y')_ik gamma (I - rho y s')_kj */
            for (int k = 0; k < 4; k++)
                h += ((i == k) - rho * s[i] * y[k]) * gamma * ((k == j) - rho * y[k] * s[j]);
            H[i][j] = h + rho * s[i] * s[j];
        }
    t.first_at = 0;
    int evals = lb_one(&t, 1.0);
    for (int i = 0; i < 4; i++) { /* the first trial: x1 + 1 d */
        double d = 0;
        for (int j = 0; j < 4; j++)
            d -= H[i][j] * g1[j];
        tu_close(t.first[i], x1[i] + d, 1e-5 * (1 + fabs(x1[i])));
    }
    assert_true(evals >= 1 && t.moved);
    optim_lbfgs_free(t.o);
}

/* A search in which no step lowers f (here every trial's f is NaN) leaves x,
 * f and g as they were, bit for bit, after its 20 halvings, and forgets the
 * pairs: the next iteration starts along -g with the step lr. */
static void test_lbfgs_failed_search(void **state)
{
    (void)state;
    float x[4] = {0};
    lb_trap t;
    lb_start(&t, x, 4, 0);
    for (int k = 0; k < 2; k++) /* two pairs kept */
        assert_int_equal(lb_one(&t, 1.0), 1);
    float xs[4], gs[4];
    double fs = t.f;
    memcpy(xs, x, sizeof x);
    memcpy(gs, t.g, sizeof gs);
    t.nan_from = t.fn.calls + 1;
    assert_int_equal(lb_one(&t, 1.0), 20);
    assert_int_equal(t.moved, 0);
    assert_memory_equal(x, xs, sizeof x);
    assert_memory_equal(t.g, gs, sizeof gs);
    assert_true(t.f == fs);
    t.first_at = 0;
    lb_one(&t, 1.0);
    for (int i = 0; i < 4; i++)
        tu_close(t.first[i], xs[i] - gs[i], 1e-6 * (1 + fabs(xs[i])));
    optim_lbfgs_free(t.o);
}

/* A dense quadratic 1/2 x'Ax - b'x (eigenvalues 1 .. 2, n = 6) against
 * torch.optim.LBFGS (line_search_fn=None, history 3, 8 iterations:
 * tests/data/make_reference_lbfgs.py).  PyTorch takes the step lr where dlc
 * backtracks from it; on this function dlc's first trial passes every time
 * (one evaluation per iteration), so the iterates must agree. */
typedef struct {
    const float *a, *b;
    float *x;
} lb_dense;

static dlc_status lb_dense_eval(void *user, double *f, float *g, dlc_error *err)
{
    (void)err;
    lb_dense *q = user;
    *f = 0;
    for (int i = 0; i < 6; i++) {
        double ax = 0;
        for (int j = 0; j < 6; j++)
            ax += (double)q->a[i * 6 + j] * q->x[j];
        g[i] = (float)(ax - q->b[i]);
        *f += 0.5 * q->x[i] * ax - (double)q->b[i] * q->x[i];
    }
    return DLC_OK;
}

static void test_lbfgs_torch(void **state)
{
    (void)state;
    tu_ref *r = tu_ref_load("lbfgs");
    size_t n;
    const float *it = tu_ref_get(r, "iterates", &n);
    assert_int_equal(n, 8 * 6);
    float x[6], g[6];
    memcpy(x, tu_ref_get(r, "x0", NULL), sizeof x);
    lb_dense q = {tu_ref_get(r, "a", NULL), tu_ref_get(r, "b", NULL), x};
    dlc_error err = {0};
    optim_lbfgs *o = NULL;
    double f;
    assert_int_equal(optim_lbfgs_create(&o, 6, 3, &err), DLC_OK);
    lb_dense_eval(&q, &f, g, &err);
    for (int k = 0; k < 8; k++) {
        int evals, moved;
        assert_int_equal(optim_lbfgs_step(o, x, &f, g, 1.0, lb_dense_eval, &q, &evals, &moved, &err),
                         DLC_OK);
        assert_int_equal(evals, 1);
        tu_assert_close("L-BFGS iterate", x, it + 6 * k, 6, 1e-5, 1e-5);
    }
    optim_lbfgs_free(o);
    tu_ref_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd),      cmocka_unit_test(test_momentum),
        cmocka_unit_test(test_sgd_momentum), cmocka_unit_test(test_adamw),
        cmocka_unit_test(test_amsgrad),
        cmocka_unit_test(test_rmsprop),  cmocka_unit_test(test_adam),
        cmocka_unit_test(test_eps_outside_the_root),
        cmocka_unit_test(test_optimizer_ranges), cmocka_unit_test(test_clip),
        cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_lbfgs),    cmocka_unit_test(test_lbfgs_errors),
        cmocka_unit_test(test_lbfgs_first_step), cmocka_unit_test(test_lbfgs_h0_scale),
        cmocka_unit_test(test_lbfgs_failed_search), cmocka_unit_test(test_lbfgs_torch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
