/* recurrent.c - rnn, gru (full and simplified) and lstm, in one or two
 * directions, with backpropagation through time.
 *
 *   x (N, T, D) -> y (N, T, Y) with return_sequences, else y (N, Y):
 *   Y = H, or 2H for bidirectional with merge concat ([forward, backward]).
 *
 * Cells, in the notes' letters (h is the state a<t>, which the notes call c<t>
 * for the GRU); z = W_ih x + W_hh h_prev + b per gate, sigma the sigmoid:
 *   rnn             h = tanh(z)  (or relu)
 *   gru simplified  u = sigma(z_u), c~ = tanh(z_c), h = u c~ + (1 - u) h_prev
 *   gru full        r = sigma(z_r), u = sigma(z_u),
 *                   c~ = tanh(W_ic x + W_hc (r * h_prev) + b_c),
 *                   h = u c~ + (1 - u) h_prev  (the relevance gate acts before
 *                   the product, as in the notes; PyTorch's GRU differs here)
 *   gru reset_after as full, but c~ = tanh(W_ic x + b_c + r * (W_hc h_prev + b_hn)):
 *                   the gate acts after the product (PyTorch's nn.GRU, Keras's
 *                   default reset_after=True, ONNX's linear_before_reset=1), with
 *                   its own recurrent bias b_hn (H) (param bias_hn) inside
 *   lstm            i, f, o = sigma(z_i, z_f, z_o), g = tanh(z_g),
 *                   c = f c_prev + i g, h = o tanh(c)
 * Parameters per direction, PyTorch's layout (rows are gates in this order):
 *   weight_ih (G*H, D), weight_hh (G*H, H), bias (G*H), and the same with
 *   "_reverse" for the backward direction.  G = 1 (rnn), 2 (u, c), 3 (r, u, c),
 *   4 (lstm: i, f, g, o as PyTorch; i is the notes' update gate).  One bias per
 *   gate (PyTorch's bias_ih + bias_hh).  The lstm forget bias starts at
 *   forget_bias (1 by default).
 *
 * The time loop: all steps' input projections are one sgemm (T*N, D) x (D, GH)
 * before the loop; each step adds h_prev W_hh^T with one sgemm of N rows and
 * applies the gates in place.  Buffers are time-major in processing order
 * (the backward direction runs t = T-1 .. 0), kept in node->aux from forward
 * to backward: gate values A (T, N, GH), states Hs (T+1, N, H) with Hs[0] the
 * initial state, and for the lstm the cells Cs (T+1, N, H) and tanh(c) (T, N,
 * H); for the full gru r * h_prev (T, N, H), for reset_after W_hc h_prev + b_hn.  Backward collects dZ (T, N, GH)
 * and finishes with three large products: dW_ih += dZ^T X, dW_hh += dZ^T
 * Hs[0..T), dX = dZ W_ih.
 *
 * Padding: when an embedding layer recorded lengths (g->seq_len), step t of
 * sample n is active only for t < len[n].  An inactive step keeps the state
 * unchanged and outputs zero, so the forward direction's last state is the one
 * at the sequence's last token and the backward direction starts there, as
 * PyTorch's packed sequences do; steps after the batch's longest sequence are
 * skipped altogether.
 *
 * bptt: k > 0 cuts the gradient flowing into the state every k steps
 * (truncated backpropagation through time; the forward pass is unchanged).
 * g->carry: the forward direction starts from the final states of the previous
 * forward pass (kept per row in the node's state), for stateful language models.
 *
 * Two shortcuts: after a small-vocabulary embedding (characters) the input
 * projection is a lookup in E W_ih^T (rnn_fused); with two BLAS threads each
 * time loop runs on two threads, half the batch's rows each (rnn_split).
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "layers.h"

const char *const graph_merge_names[RNN_MERGE_COUNT + 1] = {"concat", "sum", NULL};
const char *const graph_cell_names[RNN_CELL_COUNT + 1] = {"tanh", "relu", NULL};
const char *const graph_gru_names[GRU_VARIANT_COUNT + 1] = {"full", "simplified", "reset_after", NULL};


typedef enum { CELL_RNN, CELL_GRU_S, CELL_GRU_F, CELL_LSTM } cell_kind;

typedef struct {
    cell_kind cell;
    int relu;          /* rnn: relu instead of tanh */
    int T, D, H, G, GH;
    int dirs;          /* 1 or 2 */
    int rev;           /* one direction that reads the sequence from its end (`reverse`) */
    int Y;             /* output width per step */
    int np;            /* parameters per direction */
    int ra;            /* gru reset_after */
    size_t per_dir;    /* aux floats per sample and direction */
    const graph_node *emb; /* the input is this embedding's output (small vocabulary), or NULL */
    int V;             /* its vocabulary */
} rnn_geo;

static void rnn_geometry(const graph *g, const graph_node *n, rnn_geo *q)
{
    const graph_node *x = &g->nodes[n->in[0]];
    const layer_spec *s = &n->spec;
    memset(q, 0, sizeof *q);
    q->cell = s->op == OP_LSTM ? CELL_LSTM
              : s->op == OP_GRU ? (s->variant == GRU_SIMPLIFIED ? CELL_GRU_S : CELL_GRU_F)
                                : CELL_RNN;
    q->relu = s->op == OP_RNN && s->nonlinearity == RNN_CELL_RELU;
    q->G = q->cell == CELL_LSTM ? 4 : q->cell == CELL_GRU_F ? 3 : q->cell == CELL_GRU_S ? 2 : 1;
    q->T = x->shape.d[0];
    q->D = x->shape.ndim == 2 ? x->shape.d[1] : 0;
    q->H = s->units;
    q->GH = q->G * q->H;
    q->dirs = s->bidirectional ? 2 : 1;
    q->rev = !s->bidirectional && s->reverse;
    q->Y = q->dirs == 2 && s->merge == RNN_MERGE_CONCAT ? 2 * q->H : q->H;
    q->ra = q->cell == CELL_GRU_F && s->variant == GRU_RESET_AFTER;
    q->np = s->use_bias ? (q->ra ? 4 : 3) : 2;
    if (x->spec.op == OP_EMBEDDING && x->seq) {
        q->emb = x;
        q->V = x->spec.vocab;
    }
    size_t T = (size_t)q->T, H = (size_t)q->H;
    q->per_dir = T * (size_t)q->GH + (T + 1) * H;
    if (q->cell == CELL_LSTM)
        q->per_dir += (T + 1) * H + T * H;
    if (q->cell == CELL_GRU_F)
        q->per_dir += T * H;
}

/* Views of one direction's buffers for a batch of N. */
typedef struct {
    float *a;    /* (T, N, GH) gate pre-activations, then values */
    float *h;    /* (T+1, N, H) */
    float *c;    /* (T+1, N, H) lstm */
    float *tc;   /* (T, N, H) lstm: tanh(c) */
    float *rh;   /* (T, N, H) full gru: r * h_prev; reset_after: W_hc h_prev + b_hn */
    float *carry_h, *carry_c; /* (NMAX, H) forward direction's last states (node state) */
    graph_param *wih, *whh, *b, *bhn; /* bhn: reset_after's b_hn, or NULL */
} rnn_dir;

static void rnn_views(graph *g, graph_node *n, const rnn_geo *q, int d, int N, rnn_dir *v)
{
    size_t T = (size_t)q->T, H = (size_t)q->H, NN = (size_t)N;
    float *p = n->aux + (size_t)d * q->per_dir * NN;
    memset(v, 0, sizeof *v);
    v->a = p;
    p += T * NN * (size_t)q->GH;
    v->h = p;
    p += (T + 1) * NN * H;
    if (q->cell == CELL_LSTM) {
        v->c = p;
        p += (T + 1) * NN * H;
        v->tc = p;
        p += T * NN * H;
    }
    if (q->cell == CELL_GRU_F)
        v->rh = p;
    v->carry_h = n->state;
    v->carry_c = n->state + n->state_floats / 2;
    v->wih = graph_p(g, n, d * q->np + 0);
    v->whh = graph_p(g, n, d * q->np + 1);
    v->b = n->spec.use_bias ? graph_p(g, n, d * q->np + 2) : NULL;
    v->bhn = q->ra && n->spec.use_bias ? graph_p(g, n, d * q->np + 3) : NULL;
}

/* Row-major sgemm with leading dimensions: C (M, Nc) = alpha op(A) op(B) + beta C. */
static void gemm_ld(int ta, int tb, int M, int Nc, int K, float alpha, const float *A, int lda,
                    const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || Nc <= 0 || K <= 0)
        return;
    tensor_sgemm(ta, tb, M, Nc, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* ---- padding ---- */

/* Whether the input's steps are masked by the recorded lengths. */
static int rnn_masked(const graph *g, const graph_node *n)
{
    return g->seq_valid && g->nodes[n->in[0]].seq;
}

/* Steps to run: up to the batch's longest sequence. */
static int rnn_steps(const graph *g, const graph_node *n, int N, int T)
{
    int m = graph_seq_steps(g, &g->nodes[n->in[0]], N);
    return m < 0 || m > T ? T : m;
}

static int rnn_active(const graph *g, int masked, int i, int t)
{
    return !masked || t < g->seq_len[i];
}

/* Time of processing step k in direction d over Te steps. */
/* The time step a direction takes at its k-th step: direction 1 (and a
 * `reverse` layer's only one) from the last step in use back to the first.
 * Steps past a sequence's end are masked, so each starts at its own end. */
static int rnn_time(const rnn_geo *q, int d, int k, int Te)
{
    return d != q->rev ? Te - 1 - k : k;
}

/* Fused with the embedding before it: the input projection of token v is
 * row v of E W_ih^T (V, GH), computed once per call, so the steps' products
 * become row lookups, and backward sums dZ by token (dE W = ...).  Worth it
 * when the vocabulary is small against the batch's tokens (characters). */
static int rnn_fused(const rnn_geo *q, int N, int Te)
{
    return q->emb && 2 * (long)q->V <= (long)Te * N;
}

/* Floats of the xt scratch: the inputs (T, N, D), or E W_ih^T (V, GH) fused. */
static size_t rnn_xt_size(const rnn_geo *q, int N)
{
    size_t in = (size_t)q->T * N * q->D, fused = q->emb ? (size_t)q->V * q->GH : 0;
    return in > fused ? in : fused;
}

/* ---- elementwise kernels (branch-free so they vectorize) ---- */

static inline float rnn_sigmoid(float x)
{
    return 1.0f / (1.0f + tensor_expf(-x));
}

static inline float rnn_tanh(float x)
{
    return 2.0f / (1.0f + tensor_expf(-2.0f * x)) - 1.0f;
}

/* rnn: z (H) -> h */
DLC_HOT static void rnn_fwd_row(float *restrict z, float *restrict h, int H, int relu)
{
    if (relu) {
        for (int j = 0; j < H; j++)
            h[j] = z[j] = z[j] > 0.0f ? z[j] : 0.0f;
    } else {
        for (int j = 0; j < H; j++)
            h[j] = z[j] = rnn_tanh(z[j]);
    }
}

/* gru: z = [u, c] (2H) -> values in place, h */
DLC_HOT static void gru_fwd_row(float *restrict z, const float *restrict hp, float *restrict h, int H)
{
    for (int j = 0; j < H; j++) {
        float u = rnn_sigmoid(z[j]), c = rnn_tanh(z[H + j]);
        z[j] = u;
        z[H + j] = c;
        h[j] = u * c + (1.0f - u) * hp[j];
    }
}

/* full gru, first half: r = sigma(z_r) in place, rh = r * h_prev */
DLC_HOT static void gru_r_row(float *restrict zr, const float *restrict hp, float *restrict rh, int H)
{
    for (int j = 0; j < H; j++) {
        float r = rnn_sigmoid(zr[j]);
        zr[j] = r;
        rh[j] = r * hp[j];
    }
}

/* gru reset_after, first half: hn += b_hn, r = sigma(z_r) in place, z_c += r * hn */
DLC_HOT static void gru_ra_row(float *restrict z, float *restrict hn, const float *restrict bhn, int H)
{
    for (int j = 0; j < H; j++) {
        float r = rnn_sigmoid(z[j]), h = hn[j] + (bhn ? bhn[j] : 0.0f);
        z[j] = r;
        hn[j] = h;
        z[2 * H + j] += r * h;
    }
}

/* lstm: z = [i, f, g, o] (4H) -> values in place, c, tanh(c), h */
DLC_HOT static void lstm_fwd_row(float *restrict z, const float *restrict cp, float *restrict c,
                                 float *restrict tc, float *restrict h, int H)
{
    for (int j = 0; j < H; j++) {
        float i = rnn_sigmoid(z[j]), f = rnn_sigmoid(z[H + j]);
        float gg = rnn_tanh(z[2 * H + j]), o = rnn_sigmoid(z[3 * H + j]);
        z[j] = i;
        z[H + j] = f;
        z[2 * H + j] = gg;
        z[3 * H + j] = o;
        float cc = f * cp[j] + i * gg;
        float t = rnn_tanh(cc);
        c[j] = cc;
        tc[j] = t;
        h[j] = o * t;
    }
}

/* rnn backward: dz = dh * act'(.) from the output h */
DLC_HOT static void rnn_bwd_row(float *restrict dz, const float *restrict dh, const float *restrict h,
                                int H, int relu)
{
    if (relu) {
        for (int j = 0; j < H; j++)
            dz[j] = h[j] > 0.0f ? dh[j] : 0.0f;
    } else {
        for (int j = 0; j < H; j++)
            dz[j] = dh[j] * (1.0f - h[j] * h[j]);
    }
}

/* gru backward, the u and c~ gates: dz = [dz_u, dz_c], dhp = dh (1 - u) */
DLC_HOT static void gru_bwd_row(float *restrict dz, float *restrict dhp, const float *restrict dh,
                                const float *restrict a, const float *restrict hp, int H)
{
    for (int j = 0; j < H; j++) {
        float u = a[j], c = a[H + j];
        dz[j] = dh[j] * (c - hp[j]) * u * (1.0f - u);
        dz[H + j] = dh[j] * u * (1.0f - c * c);
        dhp[j] = dh[j] * (1.0f - u);
    }
}

/* full gru backward, the r gate from d(r * h_prev): dz_r, and dhp += drh * r */
DLC_HOT static void gru_r_bwd_row(float *restrict dzr, float *restrict dhp, const float *restrict drh,
                                  const float *restrict r, const float *restrict hp, int H)
{
    for (int j = 0; j < H; j++) {
        dzr[j] = drh[j] * hp[j] * r[j] * (1.0f - r[j]);
        dhp[j] += drh[j] * r[j];
    }
}

/* gru reset_after backward, the r gate and the recurrent product of c~:
 * from dz_c, dz_r = dz_c hn r (1 - r) and dzh = [dz_r, dz_u, dz_c r], the
 * gradient of the three rows of W_hh's products */
DLC_HOT static void gru_ra_bwd_row(float *restrict dz, float *restrict dzh, const float *restrict a,
                                   const float *restrict hn, int H)
{
    for (int j = 0; j < H; j++) {
        float r = a[j], dc = dz[2 * H + j], dr = dc * hn[j] * r * (1.0f - r);
        dz[j] = dr;
        dzh[j] = dr;
        dzh[H + j] = dz[H + j];
        dzh[2 * H + j] = dc * r;
    }
}

/* lstm backward: dz (4H), dcp = dc_total * f */
DLC_HOT static void lstm_bwd_row(float *restrict dz, float *restrict dcp, const float *restrict dh,
                                 const float *restrict dc, const float *restrict a,
                                 const float *restrict cp, const float *restrict tc, int H)
{
    for (int j = 0; j < H; j++) {
        float i = a[j], f = a[H + j], gg = a[2 * H + j], o = a[3 * H + j], t = tc[j];
        float dct = dc[j] + dh[j] * o * (1.0f - t * t);
        dz[j] = dct * gg * i * (1.0f - i);
        dz[H + j] = dct * cp[j] * f * (1.0f - f);
        dz[2 * H + j] = dct * i * (1.0f - gg * gg);
        dz[3 * H + j] = dh[j] * t * o * (1.0f - o);
        dcp[j] = dct * f;
    }
}

/* ---- build and init ---- */

static const char *const dir_suffix[2] = {"", "_reverse"};

dlc_status recurrent_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    const layer_spec *s = &n->spec;
    char sh[64];
    if (x->shape.ndim != 2)
        return layer_fail(n, err, "expects a sequence (T, D) per example, got %s from '%s' "
                                  "(an embedding gives (T, E) from token ids)",
                          tensor_shape_str(&x->shape, sh, sizeof sh), x->spec.name);
    if (s->units < 1)
        return layer_fail(n, err, "units must be at least 1");
    if (s->bptt < 0)
        return layer_fail(n, err, "bptt must be 0 (whole sequence) or a number of steps");
    if (s->reverse && s->bidirectional)
        return layer_fail(n, err, "reverse reads one direction backwards; a bidirectional layer "
                                  "already reads both");
    rnn_geo q;
    rnn_geometry(g, n, &q);
    n->seq = s->return_sequences && x->seq;
    if (s->return_sequences) {
        n->shape.ndim = 2;
        n->shape.d[0] = q.T;
        n->shape.d[1] = q.Y;
    } else {
        n->shape.ndim = 1;
        n->shape.d[0] = q.Y;
    }
    for (int d = 0; d < q.dirs; d++) {
        char name[48];
        tensor_shape wih = {2, {q.GH, q.D}}, whh = {2, {q.GH, q.H}}, b = {1, {q.GH}};
        snprintf(name, sizeof name, "weight_ih%s", dir_suffix[d]);
        if (graph_param_add(g, n, name, &wih, PARAM_WEIGHT, err) < 0)
            return err->status;
        snprintf(name, sizeof name, "weight_hh%s", dir_suffix[d]);
        if (graph_param_add(g, n, name, &whh, PARAM_WEIGHT, err) < 0)
            return err->status;
        snprintf(name, sizeof name, "bias%s", dir_suffix[d]);
        if (s->use_bias && graph_param_add(g, n, name, &b, PARAM_BIAS, err) < 0)
            return err->status;
        tensor_shape bhn = {1, {q.H}};
        snprintf(name, sizeof name, "bias_hn%s", dir_suffix[d]);
        if (q.ra && s->use_bias && graph_param_add(g, n, name, &bhn, PARAM_BIAS, err) < 0)
            return err->status;
    }
    size_t T = (size_t)q.T, NM = (size_t)g->nmax, H = (size_t)q.H;
    n->aux_per_sample = (size_t)q.dirs * q.per_dir;
    n->state_floats = 2 * NM * H;
    /* backward: X and dZ (T, N, D + GH), five (N, H) rows, arena rounding;
     * reset_after: dZh (T, N, GH) */
    n->scratch = rnn_xt_size(&q, g->nmax) + (q.ra ? 2 : 1) * T * NM * (size_t)q.GH + 5 * NM * H + 16 * 9;
    return DLC_OK;
}

void recurrent_init(graph *g, graph_node *n, dlc_rng *rng)
{
    rnn_geo q;
    rnn_geometry(g, n, &q);
    /* auto: xavier (sqrt(1/fan_in)) for both products, whatever the cell's
     * nonlinearity: the recurrent product's spectral radius then starts near 1 */
    init_kind k = n->spec.init == INIT_AUTO ? INIT_XAVIER : n->spec.init;
    for (int d = 0; d < q.dirs; d++) {
        graph_param *wih = graph_p(g, n, d * q.np), *whh = graph_p(g, n, d * q.np + 1);
        layer_init_weights(wih->data, wih->n, q.D, q.GH, k, ACT_LINEAR, rng);
        layer_init_weights(whh->data, whh->n, q.H, q.GH, k, ACT_LINEAR, rng);
        if (n->spec.use_bias && q.cell == CELL_LSTM)
            tensor_fill(graph_p(g, n, d * q.np + 2)->data + q.H, n->spec.forget_bias, (size_t)q.H);
    }
}

/* ---- forward ---- */

/* y (n) = a + b, either of them NULL for zeros */
DLC_HOT static void add_rows(float *restrict y, const float *restrict a, const float *restrict b, int n)
{
    if (a && b)
        for (int j = 0; j < n; j++)
            y[j] = a[j] + b[j];
    else if (a || b)
        memcpy(y, a ? a : b, sizeof(float) * (size_t)n);
    else
        memset(y, 0, sizeof(float) * (size_t)n);
}

/* xt (Te, N, D) = x (N, T, D) at the times of direction d, in processing order */
static void gather_steps(float *xt, const float *x, const rnn_geo *q, int d, int N, int Te)
{
    size_t D = (size_t)q->D;
    for (int k = 0; k < Te; k++) {
        int t = rnn_time(q, d, k, Te);
        for (int i = 0; i < N; i++)
            memcpy(xt + ((size_t)k * N + i) * D, x + ((size_t)i * q->T + t) * D, sizeof(float) * D);
    }
}

/* ---- the time loops, on one or two threads ---- */

typedef struct rnn_scratch rnn_scratch;

/* One thread's share of a direction's time loop: rows [i0, i1). */
typedef struct {
    graph *g;
    const graph_node *n;
    const rnn_geo *q;
    int d, N, Te;
    const rnn_dir *v;
    rnn_scratch *s;              /* backward: dZ */
    int i0, i1;
    float *dh, *dhp, *dc, *dcp, *drh; /* backward: (N, H) state gradients */
} rnn_job;

/* Runs fn over all rows, or over two halves at once when the BLAS may use
 * two threads and the batch is large enough: the halves' recurrences are
 * independent, so the only synchronisation is the join.  The BLAS works
 * single-threaded meanwhile (each half makes its own small products). */
static void rnn_split(rnn_job *job, void *(*fn)(void *))
{
    int N = job->N;
    if (tensor_get_threads() < 2 || N < 16) {
        job->i0 = 0;
        job->i1 = N;
        fn(job);
        return;
    }
    rnn_job half[2] = {*job, *job};
    half[0].i0 = 0;
    half[0].i1 = N / 2;
    half[1].i0 = N / 2;
    half[1].i1 = N;
    int threads = tensor_get_threads();
    tensor_set_threads(1);
    pthread_t th;
    int spawned = pthread_create(&th, NULL, fn, &half[1]) == 0;
    fn(&half[0]);
    if (spawned)
        pthread_join(th, NULL);
    else
        fn(&half[1]);
    tensor_set_threads(threads);
}

/* The forward time loop for rows [i0, i1) of the batch: rows are independent
 * in the recurrence, so two threads may take half each. */
static void *steps_forward(void *arg)
{
    const rnn_job *j = arg;
    graph *g = j->g;
    const rnn_geo *q = j->q;
    const rnn_dir *vp = j->v;
    const int H = q->H, GH = q->GH, N = j->N, Te = j->Te, d = j->d, M = j->i1 - j->i0;
    const size_t NH = (size_t)N * H, NGH = (size_t)N * GH, r0 = (size_t)j->i0;
    const float *whh = vp->whh->data;
    const int masked = rnn_masked(g, j->n);
    rnn_dir v = *vp;
    for (int k = 0; k < Te; k++) {
        int t = rnn_time(q, d, k, Te);
        float *z = v.a + k * NGH + r0 * GH;
        const float *hp = v.h + k * NH + r0 * H;
        float *hn = v.h + (k + 1) * NH + r0 * H;
        if (q->ra) {
            /* r and u from h_prev; hn = W_hc h_prev (+ b_hn), then c~ from r * hn */
            gemm_ld(0, 1, M, 2 * H, H, 1.0f, hp, H, whh, H, 1.0f, z, GH);
            float *hw = v.rh + k * NH + r0 * H;
            gemm_ld(0, 1, M, H, H, 1.0f, hp, H, whh + (size_t)2 * H * H, H, 0.0f, hw, H);
            for (int i = 0; i < M; i++)
                gru_ra_row(z + (size_t)i * GH, hw + (size_t)i * H, v.bhn ? v.bhn->data : NULL, H);
        } else if (q->cell == CELL_GRU_F) {
            /* r and u from h_prev; then c~ from r * h_prev */
            gemm_ld(0, 1, M, 2 * H, H, 1.0f, hp, H, whh, H, 1.0f, z, GH);
            float *rh = v.rh + k * NH + r0 * H;
            for (int i = 0; i < M; i++)
                gru_r_row(z + (size_t)i * GH, hp + (size_t)i * H, rh + (size_t)i * H, H);
            gemm_ld(0, 1, M, H, H, 1.0f, rh, H, whh + (size_t)2 * H * H, H, 1.0f, z + 2 * H, GH);
        } else {
            gemm_ld(0, 1, M, GH, H, 1.0f, hp, H, whh, H, 1.0f, z, GH);
        }
        for (int i = 0; i < M; i++) {
            float *zi = z + (size_t)i * GH;
            const float *hpi = hp + (size_t)i * H;
            float *hi = hn + (size_t)i * H;
            size_t ri = (r0 + (size_t)i) * H;
            if (!rnn_active(g, masked, j->i0 + i, t)) {
                memcpy(hi, hpi, sizeof(float) * (size_t)H);
                if (v.c)
                    memcpy(v.c + (k + 1) * NH + ri, v.c + k * NH + ri, sizeof(float) * (size_t)H);
                continue;
            }
            switch (q->cell) {
            case CELL_RNN:
                rnn_fwd_row(zi, hi, H, q->relu);
                break;
            case CELL_GRU_S:
                gru_fwd_row(zi, hpi, hi, H);
                break;
            case CELL_GRU_F:
                gru_fwd_row(zi + H, hpi, hi, H);
                break;
            case CELL_LSTM:
                lstm_fwd_row(zi, v.c + k * NH + ri, v.c + (k + 1) * NH + ri, v.tc + k * NH + ri, hi, H);
                break;
            }
        }
    }
    return NULL;
}

static void dir_forward(graph *g, graph_node *n, const rnn_geo *q, int d, int N, int Te, float *xt)
{
    rnn_dir v;
    rnn_views(g, n, q, d, N, &v);
    const int H = q->H, GH = q->GH;
    const size_t NH = (size_t)N * H;
    if (rnn_fused(q, N, Te)) {
        /* A[k, i] = (E W_ih^T)[token] + b; xt holds E W_ih^T (V, GH) */
        const graph_node *ids = &g->nodes[q->emb->in[0]];
        gemm_ld(0, 1, q->V, GH, q->D, 1.0f, graph_p(g, q->emb, 0)->data, q->D, v.wih->data, q->D, 0.0f,
                xt, GH);
        for (int k = 0; k < Te; k++) {
            int t = rnn_time(q, d, k, Te);
            for (int i = 0; i < N; i++) {
                int id = embedding_id(q->emb, ids->out[(size_t)i * q->T + t]);
                add_rows(v.a + ((size_t)k * N + i) * GH, id >= 0 ? xt + (size_t)id * GH : NULL,
                         v.b ? v.b->data : NULL, GH);
            }
        }
    } else {
        gather_steps(xt, graph_in(g, n, 0)->out, q, d, N, Te);
        /* every step's input projection at once: A = X W_ih^T + b */
        float beta = 0.0f;
        if (v.b) {
            for (size_t r = 0; r < (size_t)Te * N; r++)
                memcpy(v.a + r * GH, v.b->data, sizeof(float) * (size_t)GH);
            beta = 1.0f;
        }
        gemm_ld(0, 1, Te * N, GH, q->D, 1.0f, xt, q->D, v.wih->data, q->D, beta, v.a, GH);
    }

    int carry = d == 0 && !q->rev && g->carry; /* state carried forward in the text */
    if (carry) {
        memcpy(v.h, v.carry_h, sizeof(float) * NH);
        if (v.c)
            memcpy(v.c, v.carry_c, sizeof(float) * NH);
    } else {
        memset(v.h, 0, sizeof(float) * NH);
        if (v.c)
            memset(v.c, 0, sizeof(float) * NH);
    }
    rnn_job job = {g, n, q, d, N, Te, &v, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL};
    rnn_split(&job, steps_forward);
    if (d == 0) {
        memcpy(v.carry_h, v.h + (size_t)Te * NH, sizeof(float) * NH);
        if (v.c)
            memcpy(v.carry_c, v.c + (size_t)Te * NH, sizeof(float) * NH);
    }
}

void recurrent_forward(graph *g, graph_node *n, int N)
{
    rnn_geo q;
    rnn_geometry(g, n, &q);
    int Te = rnn_steps(g, n, N, q.T);
    const int masked = rnn_masked(g, n);
    const size_t NH = (size_t)N * q.H, H = (size_t)q.H;
    float *xt = graph_scratch(g, rnn_xt_size(&q, N));
    memset(n->out, 0, sizeof(float) * (size_t)N * n->size);
    for (int d = 0; d < q.dirs; d++) {
        if (Te > 0)
            dir_forward(g, n, &q, d, N, Te, xt);
        rnn_dir v;
        rnn_views(g, n, &q, d, N, &v);
        size_t off = n->spec.merge == RNN_MERGE_CONCAT ? (size_t)d * H : 0;
        if (Te == 0) {
            /* all padding: the states stay where they started */
            if (!(d == 0 && !q.rev && g->carry))
                continue;
            memcpy(v.h, v.carry_h, sizeof(float) * NH);
        }
        if (!n->spec.return_sequences) {
            const float *last = v.h + (size_t)Te * NH;
            for (int i = 0; i < N; i++)
                tensor_axpy(n->out + (size_t)i * q.Y + off, 1.0f, last + (size_t)i * H, H);
            continue;
        }
        for (int k = 0; k < Te; k++) {
            int t = rnn_time(&q, d, k, Te);
            for (int i = 0; i < N; i++)
                if (rnn_active(g, masked, i, t))
                    tensor_axpy(n->out + ((size_t)i * q.T + t) * q.Y + off, 1.0f,
                                v.h + ((size_t)(k + 1) * N + i) * H, H);
        }
    }
}

/* ---- backward ---- */

struct rnn_scratch {
    float *xt;           /* (T, N, D) inputs, then their gradients */
    float *dz;           /* (T, N, GH) */
    float *dh, *dhp;     /* (N, H) gradient of the state after / before a step */
    float *dc, *dcp;     /* (N, H) lstm cells */
    float *drh;          /* (N, H) full gru: gradient of r * h_prev */
    float *dzh;          /* (T, N, GH) gru reset_after: the gradient of h_prev W_hh^T (+ b_hn) */
};

/* The backward time loop for rows [i0, i1): dZ of every step, and the state
 * gradient carried back (cut every bptt steps). */
static void *steps_backward(void *arg)
{
    const rnn_job *j = arg;
    graph *g = j->g;
    const graph_node *n = j->n;
    const rnn_geo *q = j->q;
    const rnn_dir v = *j->v;
    const int H = q->H, GH = q->GH, Y = q->Y, T = q->T, N = j->N, Te = j->Te, d = j->d;
    const int i0 = j->i0, M = j->i1 - j->i0;
    const size_t NH = (size_t)N * H, NGH = (size_t)N * GH, r0 = (size_t)i0;
    const size_t off = n->spec.merge == RNN_MERGE_CONCAT ? (size_t)d * H : 0;
    const float *whh = v.whh->data, *dy = n->grad;
    const int bptt = n->spec.bptt, masked = rnn_masked(g, n);
    /* this thread's rows of the (N, H) state gradients */
    float *dh = j->dh + r0 * H, *dhp = j->dhp + r0 * H, *dc = j->dc + r0 * H, *dcp = j->dcp + r0 * H;
    float *drh = j->drh + r0 * H;
    const size_t MH = (size_t)M * H;
    memset(dh, 0, sizeof(float) * MH);
    memset(dc, 0, sizeof(float) * MH);
    if (!n->spec.return_sequences)
        for (int i = 0; i < M; i++)
            memcpy(dh + (size_t)i * H, dy + (r0 + (size_t)i) * Y + off, sizeof(float) * (size_t)H);
    for (int k = Te - 1; k >= 0; k--) {
        int t = rnn_time(q, d, k, Te);
        float *dz = j->s->dz + k * NGH + r0 * GH;
        const float *a = v.a + k * NGH + r0 * GH, *hp = v.h + k * NH + r0 * H;
        for (int i = 0; i < M; i++) {
            size_t ri = (size_t)i * H, gi = (r0 + (size_t)i) * H;
            float *dzi = dz + (size_t)i * GH, *dhi = dh + ri, *dhpi = dhp + ri;
            if (!rnn_active(g, masked, i0 + i, t)) {
                memset(dzi, 0, sizeof(float) * (size_t)GH);
                if (q->ra)
                    memset(j->s->dzh + k * NGH + (r0 + (size_t)i) * GH, 0, sizeof(float) * (size_t)GH);
                memcpy(dhpi, dhi, sizeof(float) * (size_t)H);
                memcpy(dcp + ri, dc + ri, sizeof(float) * (size_t)H);
                continue;
            }
            if (n->spec.return_sequences)
                tensor_axpy(dhi, 1.0f, dy + ((r0 + (size_t)i) * T + t) * Y + off, (size_t)H);
            const float *ai = a + (size_t)i * GH;
            switch (q->cell) {
            case CELL_RNN:
                rnn_bwd_row(dzi, dhi, v.h + (k + 1) * NH + gi, H, q->relu);
                memset(dhpi, 0, sizeof(float) * (size_t)H);
                break;
            case CELL_GRU_S:
                gru_bwd_row(dzi, dhpi, dhi, ai, hp + ri, H);
                break;
            case CELL_GRU_F:
                gru_bwd_row(dzi + H, dhpi, dhi, ai + H, hp + ri, H);
                break;
            case CELL_LSTM:
                lstm_bwd_row(dzi, dcp + ri, dhi, dc + ri, ai, v.c + k * NH + gi, v.tc + k * NH + gi, H);
                memset(dhpi, 0, sizeof(float) * (size_t)H);
                break;
            }
        }
        if (q->ra) {
            /* through c~ = tanh(... + r * hn), hn = W_hc h_prev + b_hn: to r, to hn and on to h_prev */
            float *dzh = j->s->dzh + k * NGH + r0 * GH;
            const float *hn = v.rh + k * NH + r0 * H;
            for (int i = 0; i < M; i++)
                if (rnn_active(g, masked, i0 + i, t))
                    gru_ra_bwd_row(dz + (size_t)i * GH, dzh + (size_t)i * GH, a + (size_t)i * GH,
                                   hn + (size_t)i * H, H);
            gemm_ld(0, 0, M, H, GH, 1.0f, dzh, GH, whh, H, 1.0f, dhp, H);
        } else if (q->cell == CELL_GRU_F) {
            /* through c~ = tanh(... + W_hc (r * h_prev)): to r and to h_prev */
            gemm_ld(0, 0, M, H, H, 1.0f, dz + 2 * H, GH, whh + (size_t)2 * H * H, H, 0.0f, drh, H);
            for (int i = 0; i < M; i++)
                if (rnn_active(g, masked, i0 + i, t))
                    gru_r_bwd_row(dz + (size_t)i * GH, dhp + (size_t)i * H, drh + (size_t)i * H,
                                  a + (size_t)i * GH, hp + (size_t)i * H, H);
            gemm_ld(0, 0, M, H, 2 * H, 1.0f, dz, GH, whh, H, 1.0f, dhp, H);
        } else {
            gemm_ld(0, 0, M, H, GH, 1.0f, dz, GH, whh, H, 1.0f, dhp, H);
        }
        if (bptt > 0 && k > 0 && k % bptt == 0) {
            memset(dhp, 0, sizeof(float) * MH);
            memset(dcp, 0, sizeof(float) * MH);
        }
        float *tmp = dh;
        dh = dhp;
        dhp = tmp;
        tmp = dc;
        dc = dcp;
        dcp = tmp;
    }
    return NULL;
}

static void dir_backward(graph *g, graph_node *n, const rnn_geo *q, int d, int N, int Te,
                         rnn_scratch *s)
{
    rnn_dir v;
    rnn_views(g, n, q, d, N, &v);
    const int H = q->H, GH = q->GH, T = q->T;
    const int masked = rnn_masked(g, n);
    rnn_job job = {g, n, q, d, N, Te, &v, s, 0, 0, s->dh, s->dhp, s->dc, s->dcp, s->drh};
    rnn_split(&job, steps_backward);

    /* the parameters' gradients summed over every step at once */
    const int R = Te * N;
    if (v.b && v.b->trainable)
        tensor_sum_rows(v.b->grad, s->dz, R, GH);
    if (rnn_fused(q, N, Te) && (v.wih->trainable || graph_p(g, q->emb, 0)->trainable)) {
        /* dZ summed by token: dW_ih += dEW^T E, dE += dEW W_ih (both frozen: no sum) */
        const graph_node *ids = &g->nodes[q->emb->in[0]];
        graph_param *E = graph_p(g, q->emb, 0);
        float *dew = s->xt;
        memset(dew, 0, sizeof(float) * (size_t)q->V * GH);
        for (int k = 0; k < Te; k++) {
            int t = rnn_time(q, d, k, Te);
            for (int i = 0; i < N; i++) {
                int id = embedding_id(q->emb, ids->out[(size_t)i * q->T + t]);
                if (id >= 0)
                    tensor_axpy(dew + (size_t)id * GH, 1.0f, s->dz + ((size_t)k * N + i) * GH, (size_t)GH);
            }
        }
        if (v.wih->trainable)
            gemm_ld(1, 0, GH, q->D, q->V, 1.0f, dew, GH, E->data, q->D, 1.0f, v.wih->grad, q->D);
        if (E->trainable)
            gemm_ld(0, 0, q->V, q->D, GH, 1.0f, dew, GH, v.wih->data, q->D, 1.0f, E->grad, q->D);
    } else if (!rnn_fused(q, N, Te) && v.wih->trainable) {
        gather_steps(s->xt, graph_in(g, n, 0)->out, q, d, N, Te);
        gemm_ld(1, 0, GH, q->D, R, 1.0f, s->dz, GH, s->xt, q->D, 1.0f, v.wih->grad, q->D);
    }
    if (q->ra && v.bhn && v.bhn->trainable)
        for (int r = 0; r < R; r++)
            tensor_axpy(v.bhn->grad, 1.0f, s->dzh + (size_t)r * GH + 2 * H, (size_t)H);
    if (v.whh->trainable) {
        if (q->ra) {
            gemm_ld(1, 0, GH, H, R, 1.0f, s->dzh, GH, v.h, H, 1.0f, v.whh->grad, H);
        } else if (q->cell == CELL_GRU_F) {
            gemm_ld(1, 0, 2 * H, H, R, 1.0f, s->dz, GH, v.h, H, 1.0f, v.whh->grad, H);
            gemm_ld(1, 0, H, H, R, 1.0f, s->dz + 2 * H, GH, v.rh, H, 1.0f,
                    v.whh->grad + (size_t)2 * H * H, H);
        } else {
            gemm_ld(1, 0, GH, H, R, 1.0f, s->dz, GH, v.h, H, 1.0f, v.whh->grad, H);
        }
    }
    if (graph_wants_grad(g, n, 0) && !rnn_fused(q, N, Te)) {
        float *dx = graph_in(g, n, 0)->grad;
        size_t D = (size_t)q->D;
        gemm_ld(0, 0, R, q->D, GH, 1.0f, s->dz, GH, v.wih->data, q->D, 0.0f, s->xt, q->D);
        for (int k = 0; k < Te; k++) {
            int t = rnn_time(q, d, k, Te);
            for (int i = 0; i < N; i++)
                if (rnn_active(g, masked, i, t))
                    tensor_axpy(dx + ((size_t)i * T + t) * D, 1.0f, s->xt + ((size_t)k * N + i) * D, D);
        }
    }
}

/* The gates and states of every step (aux) and the inputs (x, or after a
 * small-vocabulary embedding its ids, read to sum dZ by token): x only for
 * dW_ih (dx needs W_ih and dZ), so not when the layer is frozen */
void recurrent_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    const graph_node *x = &g->nodes[n->in[0]];
    s->aux = 1;
    s->inputs = g->params[n->params[0]].trainable ? 1u : 0u;
    if (x->spec.op == OP_EMBEDDING && x->seq)
        s->other = x->in[0];
}

void recurrent_backward(graph *g, graph_node *n, int N)
{
    rnn_geo q;
    rnn_geometry(g, n, &q);
    int Te = rnn_steps(g, n, N, q.T);
    if (Te == 0)
        return;
    size_t NH = (size_t)N * q.H;
    rnn_scratch s;
    s.xt = graph_scratch(g, rnn_xt_size(&q, N));
    s.dz = graph_scratch(g, (size_t)q.T * N * q.GH);
    s.dh = graph_scratch(g, NH);
    s.dhp = graph_scratch(g, NH);
    s.dc = graph_scratch(g, NH);
    s.dcp = graph_scratch(g, NH);
    s.drh = graph_scratch(g, NH);
    s.dzh = q.ra ? graph_scratch(g, (size_t)q.T * N * q.GH) : NULL;
    for (int d = 0; d < q.dirs; d++)
        dir_backward(g, n, &q, d, N, Te, &s);
}
