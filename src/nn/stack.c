/* Layer stacks: the deck's text form, and each layer's output shape and
 * padding by Keras' rules. */
#include "nn_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_names[LT_LAYER_NKINDS] = {"Dense", "Conv2D", "MaxPooling2D",
                                                  "UpSampling2D", "Flatten", "Reshape"};
static const char *kind_words[LT_LAYER_NKINDS] = {"dense", "conv", "pool", "up", "flatten",
                                                  "reshape"};

const char *lt_layer_kind_name(lt_layer_kind k)
{
    return (unsigned)k < LT_LAYER_NKINDS ? kind_names[k] : "?";
}

static int kind_lookup(const char *w)
{
    static const struct {
        const char *word;
        lt_layer_kind kind;
    } alias[] = {{"dense", LT_LAYER_DENSE},         {"conv", LT_LAYER_CONV2D},
                 {"conv2d", LT_LAYER_CONV2D},       {"pool", LT_LAYER_MAXPOOL2D},
                 {"maxpool", LT_LAYER_MAXPOOL2D},   {"maxpool2d", LT_LAYER_MAXPOOL2D},
                 {"up", LT_LAYER_UPSAMPLE2D},       {"upsample", LT_LAYER_UPSAMPLE2D},
                 {"upsample2d", LT_LAYER_UPSAMPLE2D}, {"flatten", LT_LAYER_FLATTEN},
                 {"reshape", LT_LAYER_RESHAPE}};
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (strcmp(w, alias[i].word) == 0) return (int)alias[i].kind;
    return -1;
}

/* A positive integer, or "AxA" (a square size written as Keras' tuple). */
static int parse_count(const char *t, int *v)
{
    char *end;
    long a = strtol(t, &end, 10);
    if (end == t || a < 1 || a > INT_MAX) return 0;
    if (*end == 'x' || *end == 'X') {
        const char *u = end + 1;
        long b = strtol(u, &end, 10);
        if (end == u || b != a) return 0;
    }
    if (*end) return 0;
    *v = (int)a;
    return 1;
}

#define NN_MAX_TOKENS 8

/* Splits item (modified in place) into lower-cased words. */
static int tokenize(char *item, char **tok)
{
    int n = 0;
    for (char *p = item; *p; p++) *p = (char)tolower((unsigned char)*p);
    for (char *save = NULL, *t = strtok_r(item, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
        if (n == NN_MAX_TOKENS) return -1;
        tok[n++] = t;
    }
    return n;
}

/* Words after the numbers: padding and activation, in any order. */
static lt_status parse_options(char **tok, int n, int allow_pad, int allow_act, lt_layer_spec *s,
                               int index, const char *item)
{
    for (int i = 0; i < n; i++) {
        if (allow_pad && strcmp(tok[i], "same") == 0) s->padding = LT_PAD_SAME;
        else if (allow_pad && strcmp(tok[i], "valid") == 0) s->padding = LT_PAD_VALID;
        else if (allow_act && lt_activation_parse(tok[i], &s->act) == LT_OK) continue;
        else
            LT_FAIL(LT_ERR_ARG, "stack layer %d '%s': unexpected '%s' (expected %s)", index, item,
                    tok[i],
                    allow_pad && allow_act ? "same, valid or an activation"
                    : allow_pad            ? "same or valid"
                    : allow_act            ? "an activation (linear, sigmoid, relu, tanh)"
                                           : "nothing more");
    }
    return LT_OK;
}

static lt_status parse_item(char *item, int index, lt_layer_spec *s)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", item);
    char *tok[NN_MAX_TOKENS];
    int n = tokenize(item, tok);
    LT_CHECK(n >= 1, LT_ERR_ARG, "stack layer %d is empty (two commas in a row?)", index);
    LT_CHECK(n > 0 && n <= NN_MAX_TOKENS, LT_ERR_ARG, "stack layer %d '%s': too many words", index,
             copy);
    int k = kind_lookup(tok[0]);
    LT_CHECK(k >= 0, LT_ERR_ARG,
             "stack layer %d '%s': unknown kind '%s' (expected dense, conv, pool, up, flatten or "
             "reshape)",
             index, copy, tok[0]);
    memset(s, 0, sizeof *s);
    s->kind = (lt_layer_kind)k;
    s->act = LT_ACT_LINEAR;
    s->padding = LT_PAD_VALID;
    /* The leading numbers, then option words. */
    int nums[4], nn = 0, i = 1;
    while (i < n && nn < 4 && isdigit((unsigned char)tok[i][0])) {
        LT_CHECK(parse_count(tok[i], &nums[nn]), LT_ERR_ARG,
                 "stack layer %d '%s': '%s' is not a positive integer", index, copy, tok[i]);
        nn++, i++;
    }
    char **opt = tok + i;
    int nopt = n - i;
    switch (s->kind) {
    case LT_LAYER_DENSE:
        LT_CHECK(nn == 1, LT_ERR_ARG, "stack layer %d '%s': expected 'dense UNITS [activation]'",
                 index, copy);
        s->units = nums[0];
        return parse_options(opt, nopt, 0, 1, s, index, copy);
    case LT_LAYER_CONV2D:
        LT_CHECK(nn == 2, LT_ERR_ARG,
                 "stack layer %d '%s': expected 'conv FILTERS KERNEL [same|valid] [activation]'",
                 index, copy);
        s->units = nums[0];
        s->size = nums[1];
        LT_CHECK(s->size % 2 == 1, LT_ERR_ARG,
                 "stack layer %d '%s': the kernel size must be odd, got %d", index, copy, s->size);
        return parse_options(opt, nopt, 1, 1, s, index, copy);
    case LT_LAYER_MAXPOOL2D:
        LT_CHECK(nn == 1 || nn == 2, LT_ERR_ARG,
                 "stack layer %d '%s': expected 'pool SIZE [STRIDE] [same|valid]'", index, copy);
        s->size = nums[0];
        s->stride = nn == 2 ? nums[1] : 0;
        return parse_options(opt, nopt, 1, 0, s, index, copy);
    case LT_LAYER_UPSAMPLE2D:
        LT_CHECK(nn <= 1, LT_ERR_ARG, "stack layer %d '%s': expected 'up [FACTOR]'", index, copy);
        s->size = nn ? nums[0] : 2;
        return parse_options(opt, nopt, 0, 0, s, index, copy);
    case LT_LAYER_FLATTEN:
        LT_CHECK(nn == 0, LT_ERR_ARG, "stack layer %d '%s': flatten takes no numbers", index,
                 copy);
        return parse_options(opt, nopt, 0, 0, s, index, copy);
    case LT_LAYER_RESHAPE:
        LT_CHECK(nn == 3, LT_ERR_ARG, "stack layer %d '%s': expected 'reshape H W C'", index,
                 copy);
        memcpy(s->shape, nums, sizeof s->shape);
        return parse_options(opt, nopt, 0, 0, s, index, copy);
    }
    return LT_OK;
}

lt_status lt_stack_parse(const char *text, lt_layer_spec *out, int max, int *n)
{
    size_t len = strlen(text);
    char *buf = lt_malloc(len + 1);
    LT_CHECK(buf, LT_ERR_MEM, "stack description: out of memory");
    memcpy(buf, text, len + 1);
    lt_status st = LT_OK;
    int count = 0;
    char *p = buf;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (count == max) {
            st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                                "stack has more than %d layers", max);
            break;
        }
        st = parse_item(p, count + 1, &out[count]);
        if (st != LT_OK) break;
        count++;
        if (!comma) break;
        p = comma + 1;
    }
    free(buf);
    LT_CALL(st);
    *n = count;
    return LT_OK;
}

lt_status lt_stack_format(const lt_layer_spec *s, int n, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        const lt_layer_spec *l = &s[i];
        const char *pad = l->padding == LT_PAD_SAME ? "same" : "valid";
        char item[128];
        switch (l->kind) {
        case LT_LAYER_DENSE:
            snprintf(item, sizeof item, "dense %d %s", l->units, lt_activation_name(l->act));
            break;
        case LT_LAYER_CONV2D:
            snprintf(item, sizeof item, "conv %d %d %s %s", l->units, l->size, pad,
                     lt_activation_name(l->act));
            break;
        case LT_LAYER_MAXPOOL2D:
            if (l->stride && l->stride != l->size)
                snprintf(item, sizeof item, "pool %d %d %s", l->size, l->stride, pad);
            else
                snprintf(item, sizeof item, "pool %d %s", l->size, pad);
            break;
        case LT_LAYER_UPSAMPLE2D: snprintf(item, sizeof item, "up %d", l->size); break;
        case LT_LAYER_FLATTEN: snprintf(item, sizeof item, "flatten"); break;
        case LT_LAYER_RESHAPE:
            snprintf(item, sizeof item, "reshape %d %d %d", l->shape[0], l->shape[1], l->shape[2]);
            break;
        default: LT_FAIL(LT_ERR_ARG, "stack layer %d has unknown kind %d", i + 1, (int)l->kind);
        }
        int w = snprintf(buf + at, cap - at, "%s%s", i ? ", " : "", item);
        LT_CHECK(w >= 0 && (size_t)w < cap - at, LT_ERR_ARG,
                 "stack description longer than %zu bytes", cap);
        at += (size_t)w;
    }
    return LT_OK;
}

static void shape_text(lt_shape s, char *buf, size_t cap)
{
    if (s.rank == 1) snprintf(buf, cap, "%d", s.c);
    else snprintf(buf, cap, "%dx%dx%d", s.h, s.w, s.c);
}

/* Keras' 'same' padding: ceil(in / stride) outputs, the total padding split
 * with the odd pixel at the end. */
static void same_pad(int in, int size, int stride, int *out, int *before)
{
    int pad = in % stride == 0 ? size - stride : size - in % stride;
    if (pad < 0) pad = 0;
    *out = (in + stride - 1) / stride;
    *before = pad / 2;
}

lt_status lt_layer_resolve(const lt_layer_spec *s, lt_shape in, int index, lt_layer *out)
{
    char is[48];
    shape_text(in, is, sizeof is);
    memset(out, 0, sizeof *out);
    out->spec = *s;
    out->in = in;
    lt_shape o = in;
    const char *kw = (unsigned)s->kind < LT_LAYER_NKINDS ? kind_words[s->kind] : "?";
    int image = s->kind == LT_LAYER_CONV2D || s->kind == LT_LAYER_MAXPOOL2D ||
                s->kind == LT_LAYER_UPSAMPLE2D;
    LT_CHECK(!image || in.rank == 3, LT_ERR_CONFIG,
             "stack layer %d (%s) needs an image input but gets a flat vector of %d values "
             "(set [autoencoder] input_shape, or put 'reshape H W C' before it)",
             index, kw, in.c);
    if (s->kind != LT_LAYER_DENSE && s->kind != LT_LAYER_CONV2D)
        LT_CHECK(s->act == LT_ACT_LINEAR, LT_ERR_CONFIG,
                 "stack layer %d (%s) takes no activation", index, kw);
    switch (s->kind) {
    case LT_LAYER_DENSE:
        LT_CHECK(in.rank == 1, LT_ERR_CONFIG,
                 "stack layer %d (dense) gets a %s image: put 'flatten' before it", index, is);
        LT_CHECK(s->units >= 1, LT_ERR_CONFIG, "stack layer %d (dense) needs >= 1 units", index);
        o = (lt_shape){1, 1, 1, s->units};
        break;
    case LT_LAYER_CONV2D:
        LT_CHECK(s->units >= 1, LT_ERR_CONFIG, "stack layer %d (conv) needs >= 1 filters", index);
        LT_CHECK(s->size >= 1 && s->size % 2 == 1, LT_ERR_CONFIG,
                 "stack layer %d (conv): the kernel size must be odd and >= 1, got %d", index,
                 s->size);
        o.c = s->units;
        if (s->padding == LT_PAD_SAME) {
            int before;
            same_pad(in.h, s->size, 1, &o.h, &out->pad_top);
            same_pad(in.w, s->size, 1, &o.w, &before);
            out->pad_left = before;
        } else {
            LT_CHECK(s->size <= in.h && s->size <= in.w, LT_ERR_CONFIG,
                     "stack layer %d (conv): the %dx%d kernel is larger than its %s input "
                     "(use 'same' padding or a smaller kernel)",
                     index, s->size, s->size, is);
            o.h = in.h - s->size + 1;
            o.w = in.w - s->size + 1;
        }
        break;
    case LT_LAYER_MAXPOOL2D: {
        int st = s->stride ? s->stride : s->size;
        LT_CHECK(s->size >= 1 && st >= 1, LT_ERR_CONFIG,
                 "stack layer %d (pool) needs a size and stride >= 1", index);
        if (s->padding == LT_PAD_SAME) {
            same_pad(in.h, s->size, st, &o.h, &out->pad_top);
            same_pad(in.w, s->size, st, &o.w, &out->pad_left);
        } else {
            LT_CHECK(s->size <= in.h && s->size <= in.w, LT_ERR_CONFIG,
                     "stack layer %d (pool %d, valid) of a %s input would reach size 0 (use "
                     "'same' padding or fewer poolings)",
                     index, s->size, is);
            o.h = (in.h - s->size) / st + 1;
            o.w = (in.w - s->size) / st + 1;
        }
        break;
    }
    case LT_LAYER_UPSAMPLE2D:
        LT_CHECK(s->size >= 1, LT_ERR_CONFIG, "stack layer %d (up) needs a factor >= 1", index);
        LT_CHECK((int64_t)in.h * s->size <= INT_MAX / 2 && (int64_t)in.w * s->size <= INT_MAX / 2,
                 LT_ERR_CONFIG, "stack layer %d (up): output too large", index);
        o.h = in.h * s->size;
        o.w = in.w * s->size;
        break;
    case LT_LAYER_FLATTEN:
        o = (lt_shape){1, 1, 1, (int)nn_shape_size(in)};
        break;
    case LT_LAYER_RESHAPE: {
        int64_t want = (int64_t)s->shape[0] * s->shape[1] * s->shape[2];
        LT_CHECK(s->shape[0] >= 1 && s->shape[1] >= 1 && s->shape[2] >= 1 &&
                     want == nn_shape_size(in),
                 LT_ERR_CONFIG, "stack layer %d (reshape %d %d %d) must keep the %lld values of its %s input",
                 index, s->shape[0], s->shape[1], s->shape[2], (long long)nn_shape_size(in), is);
        o = (lt_shape){3, s->shape[0], s->shape[1], s->shape[2]};
        break;
    }
    default: LT_FAIL(LT_ERR_CONFIG, "stack layer %d has unknown kind %d", index, (int)s->kind);
    }
    LT_CHECK(nn_shape_size(o) <= INT_MAX / 4, LT_ERR_CONFIG,
             "stack layer %d (%s): output of %lld values per sample is too large", index, kw,
             (long long)nn_shape_size(o));
    out->out = o;
    return LT_OK;
}

int64_t lt_layer_nweights(const lt_layer *l)
{
    switch (l->spec.kind) {
    case LT_LAYER_DENSE: return (int64_t)l->in.c * l->out.c;
    case LT_LAYER_CONV2D: return (int64_t)l->spec.size * l->spec.size * l->in.c * l->out.c;
    default: return 0;
    }
}

int64_t lt_layer_nbias(const lt_layer *l)
{
    return l->spec.kind == LT_LAYER_DENSE || l->spec.kind == LT_LAYER_CONV2D ? l->out.c : 0;
}

static const char *keras_names[LT_LAYER_NKINDS] = {"dense", "conv2d", "max_pooling2d",
                                                   "up_sampling2d", "flatten", "reshape"};

/* 1185 -> "1,185" */
static void thousands(int64_t v, char *buf, size_t cap)
{
    char d[32];
    int n = snprintf(d, sizeof d, "%lld", (long long)v), at = 0;
    for (int i = 0; i < n && (size_t)at + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0) buf[at++] = ',';
        buf[at++] = d[i];
    }
    buf[at] = '\0';
}

static void keras_shape(lt_shape s, char *buf, size_t cap)
{
    if (s.rank == 1) snprintf(buf, cap, "(None, %d)", s.c);
    else snprintf(buf, cap, "(None, %d, %d, %d)", s.h, s.w, s.c);
}

/* Appends to buf; returns 0 when it did not fit. */
static int append(char *buf, size_t cap, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int append(char *buf, size_t cap, size_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *at, cap - *at, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= cap - *at) return 0;
    *at += (size_t)w;
    return 1;
}

lt_status lt_ae_summary(const lt_ae *ae, char *buf, size_t cap)
{
    static const char rule[] = "================================================================"
                               "==========";
    size_t at = 0;
    int ok = 1, count[LT_LAYER_NKINDS] = {0};
    char shape[64], name[64], num[32];
    buf[0] = '\0';
    ok &= append(buf, cap, &at, "%-34s%-24s%s\n%s\n", "Layer (type)", "Output Shape", "Param #", rule);
    keras_shape(ae->layers[0].in, shape, sizeof shape);
    ok &= append(buf, cap, &at, "%-34s%-24s%d\n", "input (InputLayer)", shape, 0);
    for (int l = 0; l < ae->nw; l++) {
        const lt_layer *L = &ae->layers[l];
        int k = (int)L->spec.kind;
        snprintf(name, sizeof name, "%s_%d (%s)", keras_names[k], ++count[k], kind_names[k]);
        keras_shape(L->out, shape, sizeof shape);
        long long np = (long long)(lt_layer_nweights(L) + lt_layer_nbias(L));
        if (l + 1 == ae->code)
            ok &= append(buf, cap, &at, "%-34s%-24s%-10lld<- code\n", name, shape, np);
        else
            ok &= append(buf, cap, &at, "%-34s%-24s%lld\n", name, shape, np);
    }
    thousands(ae->nparams, num, sizeof num);
    ok &= append(buf, cap, &at, "%s\nTotal params: %s\n", rule, num);
    LT_CHECK(ok, LT_ERR_ARG, "model summary longer than %zu bytes", cap);
    return LT_OK;
}
