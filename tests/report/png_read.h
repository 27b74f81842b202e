/* A minimal PNG reader for the figure tests: 8-bit RGB or RGBA, not
 * interlaced (what PLplot's pngcairo writes), decoded with zlib, so that a
 * test can look at the pixels of a figure rather than its file size. */
#ifndef PNG_READ_H
#define PNG_READ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct {
    int w, h;
    unsigned char *rgb; /* h x w x 3, alpha composited over white */
} rt_image;

static uint32_t rt_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned char *rt_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *b = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n)) != NULL &&
            fread(b, 1, (size_t)n, f) != (size_t)n) {
            free(b);
            b = NULL;
        }
        *len = n > 0 ? (size_t)n : 0;
    }
    fclose(f);
    return b;
}

static int rt_paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undoes the per-row filters in place: raw rows of 1 + stride bytes. */
static int rt_unfilter(unsigned char *raw, int h, size_t stride, int bpp)
{
    for (int y = 0; y < h; y++) {
        unsigned char *row = raw + (size_t)y * (stride + 1), *cur = row + 1;
        const unsigned char *up = y ? row - stride : NULL;
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)bpp ? cur[i - bpp] : 0, b = up ? up[i] : 0;
            int c = up && i >= (size_t)bpp ? up[i - bpp] : 0;
            switch (row[0]) {
            case 0: break;
            case 1: cur[i] = (unsigned char)(cur[i] + a); break;
            case 2: cur[i] = (unsigned char)(cur[i] + b); break;
            case 3: cur[i] = (unsigned char)(cur[i] + (a + b) / 2); break;
            case 4: cur[i] = (unsigned char)(cur[i] + rt_paeth(a, b, c)); break;
            default: return 0;
            }
        }
    }
    return 1;
}

/* 1 on success; im->rgb to free(). */
static int rt_png_read(const char *path, rt_image *im)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t len = 0, nz = 0, pos = 8;
    unsigned char *f = rt_file(path, &len), *z = NULL, *raw = NULL;
    int ok = 0, bpp = 0;
    *im = (rt_image){0, 0, NULL};
    if (!f || len < 8 || memcmp(f, sig, 8)) goto done;
    z = malloc(len);
    while (z && pos + 12 <= len) {
        uint32_t n = rt_be32(f + pos);
        const unsigned char *type = f + pos + 4, *data = f + pos + 8;
        if (n > len - pos - 12) goto done;
        if (!memcmp(type, "IHDR", 4) && n == 13) {
            im->w = (int)rt_be32(data), im->h = (int)rt_be32(data + 4);
            if (data[8] != 8 || (data[9] != 2 && data[9] != 6) || data[12] != 0) goto done;
            bpp = data[9] == 6 ? 4 : 3;
        } else if (!memcmp(type, "IDAT", 4)) {
            memcpy(z + nz, data, n);
            nz += n;
        } else if (!memcmp(type, "IEND", 4)) {
            break;
        }
        pos += 12 + (size_t)n;
    }
    if (!bpp || im->w <= 0 || im->h <= 0 || im->w > 20000 || im->h > 20000) goto done;
    size_t stride = (size_t)im->w * (size_t)bpp;
    uLongf rawlen = (uLongf)((stride + 1) * (size_t)im->h);
    raw = malloc(rawlen);
    im->rgb = malloc((size_t)im->w * (size_t)im->h * 3);
    if (!raw || !im->rgb || uncompress(raw, &rawlen, z, (uLong)nz) != Z_OK ||
        rawlen != (stride + 1) * (size_t)im->h || !rt_unfilter(raw, im->h, stride, bpp))
        goto done;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            const unsigned char *p = raw + (size_t)y * (stride + 1) + 1 + (size_t)x * (size_t)bpp;
            unsigned char *q = im->rgb + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
            int a = bpp == 4 ? p[3] : 255;
            for (int ch = 0; ch < 3; ch++) q[ch] = (unsigned char)((p[ch] * a + 255 * (255 - a)) / 255);
        }
    ok = 1;
done:
    if (!ok) {
        free(im->rgb);
        *im = (rt_image){0, 0, NULL};
    }
    free(f), free(z), free(raw);
    return ok;
}

static const unsigned char *rt_pixel(const rt_image *im, int x, int y)
{
    if (x < 0 || y < 0 || x >= im->w || y >= im->h) return NULL;
    return im->rgb + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
}

#endif
