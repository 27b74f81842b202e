/* Image layer kernels on one rank: forward values and gradients (weights,
 * bias, input) against an independent double-precision implementation of
 * Keras' semantics, with central finite differences; odd sizes, valid and
 * same convolution, every register tile, several groups of images, odd
 * pooling, ties. Also the
 * stack text form and shape resolution, including its errors. */
#include "lt_test.h"
#include "latent/lt_nn.h"
#include "latent/lt_rng.h"
#include "../../src/nn/nn_internal.h"
#include "conv_ref.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* L = sum(R . y) */
static double ref_loss(const lt_layer *L, const double *W, const double *b, const double *x,
                       int64_t m, const double *R, double *ybuf)
{
    ref_forward(L, W, b, x, m, ybuf);
    double s = 0;
    for (int64_t i = 0; i < m * nn_shape_size(L->out); i++) s += R[i] * ybuf[i];
    return s;
}

static lt_layer make_layer(lt_layer_kind kind, int units, int size, int stride, lt_padding pad,
                           lt_shape in)
{
    lt_layer_spec s;
    memset(&s, 0, sizeof s);
    s.kind = kind, s.units = units, s.size = size, s.stride = stride, s.padding = pad;
    s.act = LT_ACT_LINEAR;
    lt_layer L;
    lt_status st = lt_layer_resolve(&s, in, 1, &L);
    ck_assert_msg(st == LT_OK, "resolve: %s", lt_error_message());
    return L;
}

static double *to_d(const float *f, int64_t n)
{
    double *d = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) d[i] = f[i];
    return d;
}

static void fill(float *v, int64_t n, lt_rng *r, double lo, double hi)
{
    for (int64_t i = 0; i < n; i++) v[i] = (float)(lo + (hi - lo) * lt_rng_uniform(r));
}

/* NHWC-row wrappers of the group kernels: m images (any m, several
 * groups), converted to and from the group layout. */
static void k_forward(const lt_layer *L, float *y, const float *x, const float *W, const float *b,
                      int64_t m)
{
    const int64_t ni = nn_shape_size(L->in), no = nn_shape_size(L->out);
    float *gx = malloc(sizeof(float) * (size_t)(NN_V * ni)), *gy = malloc(sizeof(float) * (size_t)(NN_V * no));
    float *pad = L->spec.kind == LT_LAYER_CONV2D ? malloc(sizeof(float) * (size_t)nn_conv_pad_floats(L)) : NULL;
    for (int64_t r = 0; r < m; r += NN_V) {
        int64_t mg = m - r < NN_V ? m - r : NN_V;
        nn_rows_to_group(gx, x + r * ni, mg, ni);
        switch (L->spec.kind) {
        case LT_LAYER_CONV2D: nn_conv_forward(L, gy, gx, W, b, pad); break;
        case LT_LAYER_MAXPOOL2D: nn_pool_forward(L, gy, gx); break;
        default: nn_upsample_forward(L, gy, gx); break;
        }
        nn_group_to_rows(y + r * no, gy, mg, no);
    }
    free(gx), free(gy), free(pad);
}

static void k_backward(const lt_layer *L, float *dx, float *dW, float *db, const float *dz,
                       const float *x, const float *W, int64_t m)
{
    const int64_t ni = nn_shape_size(L->in), no = nn_shape_size(L->out);
    float *gx = malloc(sizeof(float) * (size_t)(NN_V * ni)), *gy = malloc(sizeof(float) * (size_t)(NN_V * no));
    float *gdz = malloc(sizeof(float) * (size_t)(NN_V * no)), *gdx = malloc(sizeof(float) * (size_t)(NN_V * ni));
    float *pad = NULL, *wflip = NULL;
    if (L->spec.kind == LT_LAYER_CONV2D) {
        pad = malloc(sizeof(float) * (size_t)nn_conv_pad_floats(L));
        wflip = malloc(sizeof(float) * (size_t)lt_layer_nweights(L));
        if (dW) memset(dW, 0, sizeof(float) * (size_t)lt_layer_nweights(L));
        if (db) memset(db, 0, sizeof(float) * (size_t)lt_layer_nbias(L));
    }
    for (int64_t r = 0; r < m; r += NN_V) {
        int64_t mg = m - r < NN_V ? m - r : NN_V;
        nn_rows_to_group(gx, x + r * ni, mg, ni);
        nn_rows_to_group(gdz, dz + r * no, mg, no);
        switch (L->spec.kind) {
        case LT_LAYER_CONV2D: nn_conv_backward(L, dx ? gdx : NULL, dW, db, gdz, gx, W, pad, wflip); break;
        case LT_LAYER_MAXPOOL2D:
            nn_pool_forward(L, gy, gx);
            nn_pool_backward(L, gdx, gdz, gx, gy);
            break;
        default: nn_upsample_backward(L, gdx, gdz); break;
        }
        if (dx) nn_group_to_rows(dx + r * ni, gdx, mg, ni);
    }
    free(gx), free(gy), free(gdz), free(gdx), free(pad), free(wflip);
}

/* Relative worst error of analytic against central differences over the
 * entries of p (n of them), the loss a function of p through ref_loss. */
static double fd_error(const lt_layer *L, double *W, double *b, double *x, int64_t m,
                       const double *R, double *ybuf, double *p, int64_t n, const float *grad)
{
    double worst = 0, gmax = 0;
    for (int64_t i = 0; i < n; i++) {
        const double h = 1e-5, keep = p[i];
        p[i] = keep + h;
        double lp = ref_loss(L, W, b, x, m, R, ybuf);
        p[i] = keep - h;
        double lm = ref_loss(L, W, b, x, m, R, ybuf);
        p[i] = keep;
        double fd = (lp - lm) / (2 * h);
        worst = fmax(worst, fabs(fd - grad[i]));
        gmax = fmax(gmax, fabs(fd));
    }
    ck_assert_msg(n == 0 || gmax > 1e-3, "gradient vanished: the check would be vacuous");
    return gmax > 0 ? worst / gmax : 0;
}

/* One layer: forward against the reference, then dW, db, dinp against
 * finite differences, for m images. */
static void check_layer(lt_layer L, int64_t m, uint64_t seed)
{
    lt_rng r;
    lt_rng_init(&r, seed, LT_STREAM_USER, 0);
    int64_t nin = m * nn_shape_size(L.in), nout = m * nn_shape_size(L.out);
    int64_t nw = lt_layer_nweights(&L), nb = lt_layer_nbias(&L);
    float *x = malloc(sizeof(float) * (size_t)nin), *y = malloc(sizeof(float) * (size_t)nout);
    float *W = malloc(sizeof(float) * (size_t)(nw + 1)), *b = malloc(sizeof(float) * (size_t)(nb + 1));
    float *dz = malloc(sizeof(float) * (size_t)nout), *dx = malloc(sizeof(float) * (size_t)nin);
    float *dW = malloc(sizeof(float) * (size_t)(nw + 1)), *db = malloc(sizeof(float) * (size_t)(nb + 1));
    float *wflip = malloc(sizeof(float) * (size_t)(nw + 1));
    fill(x, nin, &r, -1, 1);
    fill(W, nw, &r, -0.5, 0.5);
    fill(b, nb, &r, -0.2, 0.2);
    fill(dz, nout, &r, -1, 1);
    k_forward(&L, y, x, W, b, m);
    double *xd = to_d(x, nin), *Wd = to_d(W, nw), *bd = to_d(b, nb), *R = to_d(dz, nout);
    double *yd = malloc(sizeof(double) * (size_t)nout);
    ref_forward(&L, Wd, bd, xd, m, yd);
    double fe = 0;
    for (int64_t i = 0; i < nout; i++) fe = fmax(fe, fabs(yd[i] - y[i]));
    ck_assert_msg(fe < 1e-5, "%s forward differs from the reference by %.3g",
                  lt_layer_kind_name(L.spec.kind), fe);
    memset(dx, 0x7f, sizeof(float) * (size_t)nin); /* must be overwritten */
    k_backward(&L, dx, dW, db, dz, x, W, m);
    double e = fd_error(&L, Wd, bd, xd, m, R, yd, xd, nin, dx);
    ck_assert_msg(e < 1e-6, "%s input gradient error %.3g", lt_layer_kind_name(L.spec.kind), e);
    if (nw) {
        e = fd_error(&L, Wd, bd, xd, m, R, yd, Wd, nw, dW);
        ck_assert_msg(e < 1e-6, "conv kernel gradient error %.3g", e);
        e = fd_error(&L, Wd, bd, xd, m, R, yd, bd, nb, db);
        ck_assert_msg(e < 1e-6, "conv bias gradient error %.3g", e);
        /* Without the input gradient (a first layer), the same dW. */
        float *dW2 = malloc(sizeof(float) * (size_t)nw);
        k_backward(&L, NULL, dW2, db, dz, x, W, m);
        ck_assert(memcmp(dW, dW2, sizeof(float) * (size_t)nw) == 0);
        free(dW2);
    }
    free(x), free(y), free(W), free(b), free(dz), free(dx), free(dW), free(db), free(wflip);
    free(xd), free(Wd), free(bd), free(R), free(yd);
}

static lt_shape img(int h, int w, int c) { return (lt_shape){3, h, w, c}; }

START_TEST(conv_same_and_valid_match_reference)
{
    /* same 3x3, odd sizes, several channels; 3 images, then 17 (two groups, one lane used in the
     * second) and 16 (exactly one) */
    check_layer(make_layer(LT_LAYER_CONV2D, 4, 3, 0, LT_PAD_SAME, img(5, 7, 3)), 3, 1);
    check_layer(make_layer(LT_LAYER_CONV2D, 4, 3, 0, LT_PAD_SAME, img(5, 7, 3)), 17, 2);
    check_layer(make_layer(LT_LAYER_CONV2D, 3, 3, 0, LT_PAD_SAME, img(3, 4, 2)), 16, 8);
    /* valid 3x3 (Keras' default): 6x5 -> 4x3 */
    lt_layer v = make_layer(LT_LAYER_CONV2D, 2, 3, 0, LT_PAD_VALID, img(6, 5, 2));
    ck_assert_int_eq(v.out.h, 4);
    ck_assert_int_eq(v.out.w, 3);
    check_layer(v, 2, 3);
    /* 5x5 same on a 4x3 input (padding larger than half the input), 1x1, one channel in/out */
    check_layer(make_layer(LT_LAYER_CONV2D, 3, 5, 0, LT_PAD_SAME, img(4, 3, 2)), 2, 4);
    check_layer(make_layer(LT_LAYER_CONV2D, 5, 1, 0, LT_PAD_VALID, img(3, 3, 4)), 2, 5);
    check_layer(make_layer(LT_LAYER_CONV2D, 1, 3, 0, LT_PAD_SAME, img(6, 6, 1)), 2, 6);
    /* valid 5x5 on exactly 5x5: one output pixel */
    check_layer(make_layer(LT_LAYER_CONV2D, 2, 5, 0, LT_PAD_VALID, img(5, 5, 2)), 2, 7);
    /* every register tile: output channels 8 + 4 + 2 + 1 = 15 on rows of 14 pixels (tiles of
     * 12, 6, 4, 3, 2 and 1 pixels), 13 taps per kernel row (kernel-gradient tails) */
    check_layer(make_layer(LT_LAYER_CONV2D, 15, 3, 0, LT_PAD_SAME, img(3, 14, 4)), 2, 9);
    check_layer(make_layer(LT_LAYER_CONV2D, 7, 1, 0, LT_PAD_VALID, img(2, 14, 13)), 2, 10);
}
END_TEST

START_TEST(pool_matches_reference_odd_sizes)
{
    /* Keras: 2x2 same on 7 -> 4 (last row / column alone), on 6 -> 3 */
    lt_layer p = make_layer(LT_LAYER_MAXPOOL2D, 0, 2, 0, LT_PAD_SAME, img(7, 7, 3));
    ck_assert_int_eq(p.out.h, 4);
    ck_assert_int_eq(p.out.w, 4);
    ck_assert_int_eq(p.pad_top, 0);
    check_layer(p, 2, 11);
    check_layer(make_layer(LT_LAYER_MAXPOOL2D, 0, 2, 0, LT_PAD_SAME, img(6, 5, 2)), 18, 12);
    /* 3x3 stride 2 same on 7x6: out 4x3, pad total 2 on rows (1 before), 1 on columns (0 before) */
    p = make_layer(LT_LAYER_MAXPOOL2D, 0, 3, 2, LT_PAD_SAME, img(7, 6, 2));
    ck_assert_int_eq(p.out.h, 4);
    ck_assert_int_eq(p.out.w, 3);
    ck_assert_int_eq(p.pad_top, 1);
    ck_assert_int_eq(p.pad_left, 0);
    check_layer(p, 2, 13);
    /* valid: 2x2 on 5x5 -> 2x2 (the last row and column dropped); 3x3 stride 1 (overlapping) */
    p = make_layer(LT_LAYER_MAXPOOL2D, 0, 2, 0, LT_PAD_VALID, img(5, 5, 2));
    ck_assert_int_eq(p.out.h, 2);
    check_layer(p, 2, 14);
    p = make_layer(LT_LAYER_MAXPOOL2D, 0, 3, 1, LT_PAD_VALID, img(5, 4, 3));
    ck_assert_int_eq(p.out.h, 3);
    ck_assert_int_eq(p.out.w, 2);
    check_layer(p, 2, 15);
}
END_TEST

START_TEST(pool_ignores_padding_and_breaks_ties_first)
{
    /* All-negative 7x7: a padded cell counted as 0 would win. */
    lt_layer p = make_layer(LT_LAYER_MAXPOOL2D, 0, 2, 0, LT_PAD_SAME, img(7, 7, 1));
    float x[49], y[16], dz[16], dx[49];
    for (int i = 0; i < 49; i++) x[i] = -1.0f - (float)i;
    k_forward(&p, y, x, NULL, NULL, 1);
    ck_assert_float_eq(y[3], -7.0f);  /* row 0, column 6 only */
    ck_assert_float_eq(y[15], -49.0f); /* row 6, column 6 only */
    ck_assert_float_eq(y[12], -43.0f); /* row 6, columns 0-1 */
    /* Ties: a constant window sends its gradient to its first cell. */
    for (int i = 0; i < 49; i++) x[i] = 0.0f;
    for (int i = 0; i < 16; i++) dz[i] = 1.0f + (float)i;
    k_backward(&p, dx, NULL, NULL, dz, x, NULL, 1);
    ck_assert_float_eq(dx[0], 1.0f);
    ck_assert_float_eq(dx[1], 0.0f);
    ck_assert_float_eq(dx[7], 0.0f);
    ck_assert_float_eq(dx[2], 2.0f);
    ck_assert_float_eq(dx[48], 16.0f);
    double s = 0;
    for (int i = 0; i < 49; i++) s += dx[i];
    ck_assert_float_eq_tol(s, 136.0, 1e-9);
}
END_TEST

START_TEST(upsample_matches_reference)
{
    lt_layer u = make_layer(LT_LAYER_UPSAMPLE2D, 0, 2, 0, LT_PAD_VALID, img(3, 2, 3));
    ck_assert_int_eq(u.out.h, 6);
    ck_assert_int_eq(u.out.w, 4);
    check_layer(u, 17, 21);
    check_layer(make_layer(LT_LAYER_UPSAMPLE2D, 0, 3, 0, LT_PAD_VALID, img(2, 3, 1)), 3, 22);
    /* rows then columns: out[y][x] = in[y/2][x/2] */
    float x[4] = {1, 2, 3, 4}, y[16];
    lt_layer v = make_layer(LT_LAYER_UPSAMPLE2D, 0, 2, 0, LT_PAD_VALID, img(2, 2, 1));
    k_forward(&v, y, x, NULL, NULL, 1);
    float want[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    ck_assert(memcmp(y, want, sizeof y) == 0);
}
END_TEST

START_TEST(conv_relu_forward)
{
    lt_layer L = make_layer(LT_LAYER_CONV2D, 3, 3, 0, LT_PAD_SAME, img(4, 4, 2));
    L.spec.act = LT_ACT_RELU;
    lt_rng r;
    lt_rng_init(&r, 9, LT_STREAM_USER, 0);
    float x[64], W[54], b[3], y[96];
    fill(x, 64, &r, -1, 1), fill(W, 54, &r, -1, 1), fill(b, 3, &r, -0.5, 0.5);
    k_forward(&L, y, x, W, b, 2);
    double *xd = to_d(x, 64), *Wd = to_d(W, 54), *bd = to_d(b, 3), yd[96];
    ref_forward(&L, Wd, bd, xd, 2, yd);
    int zeros = 0;
    for (int i = 0; i < 96; i++) {
        ck_assert_float_eq_tol(y[i], yd[i], 1e-5);
        zeros += y[i] == 0.0f;
    }
    ck_assert_int_gt(zeros, 5);
    free(xd), free(Wd), free(bd);
}
END_TEST

START_TEST(stack_text_round_trips)
{
    const char *text = "conv 8 3 same relu, pool 2 same, conv 4 3x3 relu, pool 3 2 valid, up 2, "
                       "flatten, dense 10 tanh, dense 16, reshape 4 4 1, Conv2D 1 3 SAME sigmoid";
    lt_layer_spec s[16], t[16];
    int n = 0, n2 = 0;
    LT_ASSERT_OK(lt_stack_parse(text, s, 16, &n));
    ck_assert_int_eq(n, 10);
    ck_assert_int_eq(s[0].kind, LT_LAYER_CONV2D);
    ck_assert_int_eq(s[0].units, 8);
    ck_assert_int_eq(s[0].size, 3);
    ck_assert_int_eq(s[0].padding, LT_PAD_SAME);
    ck_assert_int_eq(s[0].act, LT_ACT_RELU);
    ck_assert_int_eq(s[2].padding, LT_PAD_VALID); /* Keras' default */
    ck_assert_int_eq(s[3].stride, 2);
    ck_assert_int_eq(s[4].size, 2);
    ck_assert_int_eq(s[7].act, LT_ACT_LINEAR);
    ck_assert_int_eq(s[8].shape[0], 4);
    ck_assert_int_eq(s[9].act, LT_ACT_SIGMOID);
    char buf[512];
    LT_ASSERT_OK(lt_stack_format(s, n, buf, sizeof buf));
    LT_ASSERT_OK(lt_stack_parse(buf, t, 16, &n2));
    ck_assert_int_eq(n2, n);
    ck_assert(memcmp(s, t, sizeof(lt_layer_spec) * (size_t)n) == 0);
    ck_assert_int_eq(lt_stack_format(s, n, buf, 20), LT_ERR_ARG);
}
END_TEST

static void parse_fails(const char *text, const char *needle)
{
    lt_layer_spec s[8];
    int n = 0;
    lt_status st = lt_stack_parse(text, s, 8, &n);
    ck_assert_msg(st == LT_ERR_ARG, "'%s' parsed", text);
    ck_assert_msg(strstr(lt_error_message(), needle), "'%s': message '%s' lacks '%s'", text,
                  lt_error_message(), needle);
}

START_TEST(stack_text_errors)
{
    parse_fails("conv 8 4 same", "odd");
    parse_fails("conv 8", "FILTERS KERNEL");
    parse_fails("pool 2 relu", "unexpected 'relu'");
    parse_fails("dense 10 same", "unexpected 'same'");
    parse_fails("dense 10,,dense 4", "layer 2 is empty");
    parse_fails("dropout 0.5", "unknown kind 'dropout'");
    parse_fails("conv 0 3", "positive integer");
    parse_fails("conv 8 3x5", "positive integer");
    parse_fails("up 2, up 2, up 2, up 2, up 2, up 2, up 2, up 2, up 2", "more than 8");
}
END_TEST

static void resolve_fails(lt_layer_kind kind, int units, int size, lt_padding pad, lt_shape in,
                          const char *needle)
{
    lt_layer_spec s;
    memset(&s, 0, sizeof s);
    s.kind = kind, s.units = units, s.size = size, s.padding = pad;
    lt_layer L;
    ck_assert_int_eq(lt_layer_resolve(&s, in, 3, &L), LT_ERR_CONFIG);
    ck_assert_msg(strstr(lt_error_message(), needle), "message '%s' lacks '%s'", lt_error_message(),
                  needle);
}

START_TEST(resolve_errors)
{
    resolve_fails(LT_LAYER_CONV2D, 4, 5, LT_PAD_VALID, img(3, 8, 1), "larger than its 3x8x1 input");
    resolve_fails(LT_LAYER_MAXPOOL2D, 0, 3, LT_PAD_VALID, img(2, 2, 4), "reach size 0");
    resolve_fails(LT_LAYER_DENSE, 4, 0, LT_PAD_VALID, img(2, 2, 4), "put 'flatten' before");
    resolve_fails(LT_LAYER_CONV2D, 4, 3, LT_PAD_SAME, (lt_shape){1, 1, 1, 9}, "needs an image");
    lt_layer_spec s = {.kind = LT_LAYER_RESHAPE, .shape = {3, 3, 2}};
    lt_layer L;
    ck_assert_int_eq(lt_layer_resolve(&s, (lt_shape){1, 1, 1, 17}, 1, &L), LT_ERR_CONFIG);
    ck_assert(strstr(lt_error_message(), "keep the 17 values"));
    LT_ASSERT_OK(lt_layer_resolve(&s, (lt_shape){1, 1, 1, 18}, 1, &L));
    ck_assert_int_eq(L.out.rank, 3);
    s = (lt_layer_spec){.kind = LT_LAYER_FLATTEN};
    LT_ASSERT_OK(lt_layer_resolve(&s, img(7, 7, 4), 1, &L));
    ck_assert_int_eq(L.out.rank, 1);
    ck_assert_int_eq(L.out.c, 196);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("nn_conv");
    TCase *t = tcase_create("kernels");
    tcase_add_test(t, conv_same_and_valid_match_reference);
    tcase_add_test(t, conv_relu_forward);
    tcase_add_test(t, pool_matches_reference_odd_sizes);
    tcase_add_test(t, pool_ignores_padding_and_breaks_ties_first);
    tcase_add_test(t, upsample_matches_reference);
    tcase_add_test(t, stack_text_round_trips);
    tcase_add_test(t, stack_text_errors);
    tcase_add_test(t, resolve_errors);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
