/* lossplot.h - draws the CSV log of train_shakespeare.c as an SVG loss plot.
   Plain C99 with libc and libm only; also compiles as C++. Every function is
   static: include it in the one file that uses it.

       char err[256];
       if (lossplot_write_svg("train_log.csv", "train_log.svg", "my run", err, sizeof err) != 0)
           fprintf(stderr, "warning: no plot: %s\n", err);

   The CSV: a header row naming the columns, then one row per logged step.
   Columns are found by name, so more may be added later in any order;
   `step` and `train_loss` are required, `val_loss` is optional and may be
   empty (it is filled only at evals). Other columns are ignored.
     - Blank lines are skipped; a leading UTF-8 BOM and CRLF line ends are fine.
     - A row with fewer fields than the header, or a field that is not a
       number, fails with a message that names the line. The one exception is
       a last line without its newline: a writer may be in the middle of it,
       so it is left out instead.
     - NaN and infinite values (and any beyond +-1e300) are left out.
     - A resumed run appends to the log it resumed from, which may already
       hold rows past the checkpoint; when the step goes back, the rows from
       that step on are replaced by the new ones. At an eval the program writes
       two rows with the same step (the interval's mean train loss, then the
       eval's estimates); the train line uses the first, the val line the
       row that has val_loss.
   The SVG: train loss as a line, val loss as a line with a marker at each
   eval, the best val loss ringed and labelled, axes with round tick values,
   gridlines, a legend above the plot and a title. It is written to a
   temporary file in the same folder and renamed over the old one, so a
   browser that reloads it never reads half a file.

   lossplot_write_svg returns 0, or -1 with a message in err (err may be NULL).
   It prints nothing and never exits. lossplot_svg_path_for gives the SVG path
   next to a CSV: "runs/a/log.csv" -> "runs/a/log.svg", "log" -> "log.svg". */
#ifndef LOSSPLOT_H
#define LOSSPLOT_H

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__) || defined(__clang__)
#define LOSSPLOT__FN static __attribute__((unused))
#else
#define LOSSPLOT__FN static
#endif

LOSSPLOT__FN int lossplot_write_svg(const char *csv_path, const char *svg_path, const char *title,
                                    char *err, size_t err_size);
LOSSPLOT__FN int lossplot_svg_path_for(const char *csv_path, char *out, size_t out_size);

/* ================================================================ helpers */

/* The drawing's size in px, and the plot area inside it. */
#define LOSSPLOT__W 900
#define LOSSPLOT__H 540
#define LOSSPLOT__X0 78.0
#define LOSSPLOT__X1 872.0
#define LOSSPLOT__Y0 92.0
#define LOSSPLOT__Y1 470.0
#define LOSSPLOT__TRAIN_COLOR "#2563eb"
#define LOSSPLOT__VAL_COLOR "#ea580c"
#define LOSSPLOT__BEST_COLOR "#15803d"
#define LOSSPLOT__FONT "DejaVu Sans, Helvetica, Arial, sans-serif"

static void lossplot__error(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;
    if (!err || err_size == 0) return;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

/* Finite and not absurdly large (keeps every range computation finite). */
static int lossplot__usable(double x)
{
    return x == x && x <= 1e300 && x >= -1e300;
}

/* The C library's decimal point under the current locale ('.' unless the
   program called setlocale). */
static char lossplot__decimal_point(void)
{
    const struct lconv *lc = localeconv();
    return (lc && lc->decimal_point && lc->decimal_point[0] && !lc->decimal_point[1])
               ? lc->decimal_point[0] : '.';
}

/* snprintf with '.' as the decimal point whatever the locale. */
static void lossplot__fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    char dp = lossplot__decimal_point();
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (dp != '.') {
        char *p;
        for (p = buf; *p; p++)
            if (*p == dp) *p = '.';
    }
}

/* Removes trailing zeros after a decimal point ("2.500" -> "2.5", "3.00" -> "3"). */
static void lossplot__trim_zeros(char *s)
{
    char *dot = strchr(s, '.');
    size_t n;
    if (!dot || strchr(s, 'e')) return;
    n = strlen(s);
    while (n > 0 && s[n - 1] == '0') s[--n] = '\0';
    if (n > 0 && s[n - 1] == '.') s[--n] = '\0';
    if (strcmp(s, "-0") == 0) strcpy(s, "0");
}

/* A whole number with thousands separators ("1234567" -> "1,234,567"). */
static void lossplot__fmt_count(char *buf, size_t size, double v)
{
    char digits[64];
    size_t n, i, o = 0, lead;
    if (!(v > -1e21 && v < 1e21)) {
        lossplot__fmt(buf, size, "%.4g", v);
        return;
    }
    lossplot__fmt(digits, sizeof digits, "%.0f", fabs(v));
    n = strlen(digits);
    if (size == 0) return;
    if (v <= -0.5 && o + 1 < size) buf[o++] = '-';
    lead = n % 3 ? n % 3 : 3;
    for (i = 0; i < n && o + 1 < size; i++) {
        if (i > 0 && (i - lead) % 3 == 0 && i >= lead && o + 2 < size) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

/* Parses a whole field as a number: 1 ok, 0 empty, -1 not a number. */
static int lossplot__parse_number(const char *s, size_t len, double *out)
{
    char buf[80], dp = lossplot__decimal_point(), *end;
    size_t i;
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if (len == 0) return 0;
    if (len >= sizeof buf) return -1;
    for (i = 0; i < len; i++) {
        char c = s[i];
        int ok = (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E' ||
                 c == 'n' || c == 'N' || c == 'a' || c == 'A' || c == 'i' || c == 'I' ||
                 c == 'f' || c == 'F' || c == 't' || c == 'T' || c == 'y' || c == 'Y';
        if (!ok) return -1;  /* no hex floats, no nan(...) payloads */
        buf[i] = (c == '.' && dp != '.') ? dp : c;
    }
    buf[len] = '\0';
    errno = 0;
    *out = strtod(buf, &end);
    if (end == buf || *end != '\0') return -1;
    return 1;
}

/* One line of the file, without its end. Returns 1 (a line), 0 (end of file)
   or -1 (out of memory). *had_newline tells whether the line was complete. */
static int lossplot__read_line(FILE *f, char **buf, size_t *cap, size_t *len, int *had_newline)
{
    int c;
    *len = 0;
    *had_newline = 0;
    while ((c = getc(f)) != EOF) {
        if (*len + 2 > *cap) {
            size_t ncap = *cap ? *cap * 2 : 256;
            char *nb = (char *)realloc(*buf, ncap);
            if (!nb) return -1;
            *buf = nb;
            *cap = ncap;
        }
        if (c == '\n') {
            *had_newline = 1;
            break;
        }
        (*buf)[(*len)++] = (char)c;
    }
    if (c == EOF && *len == 0) return 0;
    if (*len > 0 && (*buf)[*len - 1] == '\r') (*len)--;
    (*buf)[*len] = '\0';
    return 1;
}

/* Splits a line at commas: start offsets and lengths of up to max fields;
   returns the number of fields (which may exceed max). */
static size_t lossplot__split(const char *line, size_t len, size_t *start, size_t *flen, size_t max)
{
    size_t n = 0, s = 0, i;
    for (i = 0; i <= len; i++) {
        if (i == len || line[i] == ',') {
            if (n < max) {
                start[n] = s;
                flen[n] = i - s;
            }
            n++;
            s = i + 1;
        }
    }
    return n;
}

/* Whether a header field, less spaces and quotes, is the name given. */
static int lossplot__field_is(const char *s, size_t len, const char *name)
{
    while (len > 0 && (*s == ' ' || *s == '\t' || *s == '"')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '"')) len--;
    return len == strlen(name) && memcmp(s, name, len) == 0;
}

typedef struct {
    double step, train, val;
    int has_train, has_val;  /* a usable value */
    int val_given;  /* a val_loss field that is not empty: an eval's row */
} lossplot__row;

typedef struct {
    double x, y;  /* data */
    double px, py;  /* pixels */
} lossplot__pt;

/* Round tick spacing near range/target: 1, 2, 2.5 or 5 times a power of ten. */
static double lossplot__nice_step(double range, int target)
{
    double raw = range / target, mag, f;
    if (!(raw > 0)) return 1;
    mag = pow(10.0, floor(log10(raw)));
    f = raw / mag;
    if (f <= 1.0 + 1e-9) return mag;
    if (f <= 2.0 + 1e-9) return 2 * mag;
    if (f <= 2.5 + 1e-9) return 2.5 * mag;
    if (f <= 5.0 + 1e-9) return 5 * mag;
    return 10 * mag;
}

/* Extends [*lo, *hi] to whole multiples of a round step (returned); a range
   of one value is widened first so that nothing divides by zero. */
static double lossplot__nice_range(double *lo, double *hi, int target, double min_step)
{
    double step, a, b;
    if (!(*hi - *lo > 1e-9 * (fabs(*hi) + fabs(*lo)))) {
        double pad = fabs(*hi) > 0 ? fabs(*hi) * 0.05 : 0.5;
        if (pad < min_step) pad = min_step;
        *lo -= pad;
        *hi += pad;
    }
    step = lossplot__nice_step(*hi - *lo, target);
    if (step < min_step) step = min_step;
    a = floor(*lo / step + 1e-9) * step;
    b = ceil(*hi / step - 1e-9) * step;
    if (!(b > a)) b = a + step;
    *lo = a;
    *hi = b;
    return step;
}

/* Decimal places that show every multiple of step exactly (0.25 -> 2). */
static int lossplot__decimals(double step)
{
    int d = (int)-floor(log10(step) + 1e-9);
    double m = step / pow(10.0, floor(log10(step) + 1e-9));
    if (fabs(m - 2.5) < 1e-6) d++;
    if (d < 0) d = 0;
    if (d > 9) d = 9;
    return d;
}

/* A step tick label: 950, 10k, 2.5M, 1.2G ... */
static void lossplot__fmt_step(char *buf, size_t size, double v, double step)
{
    static const char units[] = "kMGTPE";
    double a = fabs(v), unit = 1;
    int u = -1;
    if (a < step * 1e-6) {
        v = 0;
        a = 0;
    }
    if (a < 1e4) {
        lossplot__fmt(buf, size, "%.*f", lossplot__decimals(step), v);
        return;
    }
    while (u < 5 && a >= unit * 1000) {
        unit *= 1000;
        u++;
    }
    if (a >= 1e21) {
        lossplot__fmt(buf, size, "%.3g", v);
        return;
    }
    lossplot__fmt(buf, size, "%.6f", v / unit);
    lossplot__trim_zeros(buf);
    if (strlen(buf) + 2 <= size) {
        size_t n = strlen(buf);
        buf[n] = units[u];
        buf[n + 1] = '\0';
    }
}

/* A loss tick label. */
static void lossplot__fmt_loss(char *buf, size_t size, double v, double step)
{
    if (fabs(v) < step * 1e-6) v = 0;
    if (step >= 1e-6 && fabs(v) < 1e5) lossplot__fmt(buf, size, "%.*f", lossplot__decimals(step), v);
    else if (fabs(v) >= 1e5) lossplot__fmt_step(buf, size, v, step);  /* 250k, 1.5G: short */
    else lossplot__fmt(buf, size, "%.3g", v);
}

/* Characters in UTF-8 text. */
static size_t lossplot__chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

/* A step in running text: 1,234,567 up to 999,999,999,999, then 1.2T, 3.5P ... */
static void lossplot__fmt_stepnum(char *buf, size_t size, double v)
{
    if (fabs(v) < 1e12 && v == floor(v)) lossplot__fmt_count(buf, size, v);
    else if (fabs(v) < 1e12) lossplot__fmt(buf, size, "%.6g", v);
    else lossplot__fmt_step(buf, size, v, 1);
}

/* A loss in running text: 4 decimals where that reads well, else %g. */
static void lossplot__fmt_value(char *buf, size_t size, double v)
{
    if (v == 0 || (fabs(v) >= 1e-3 && fabs(v) < 1e5)) lossplot__fmt(buf, size, "%.4f", v);
    else lossplot__fmt(buf, size, "%.4g", v);
}

/* Writes text as XML character data: escapes markup, drops control
   characters and replaces bytes that are not UTF-8 with '?'. At most
   max_chars characters; a longer text ends in an ellipsis. */
static void lossplot__put_text(FILE *f, const char *s, size_t max_chars)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t chars = 0;
    while (*p) {
        unsigned c = *p;
        size_t n = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        size_t i;
        if (chars == max_chars) {
            fputs("\xE2\x80\xA6", f);
            return;
        }
        for (i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80) n = 0;
        if (n == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))) n = 0;
        if (n == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))) n = 0;
        if (n == 3 && c == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF)) n = 0;
        if (n == 0) {
            fputc('?', f);
            p++;
        } else if (n > 1) {
            fwrite(p, 1, n, f);
            p += n;
        } else {
            switch (c) {
            case '&': fputs("&amp;", f); break;
            case '<': fputs("&lt;", f); break;
            case '>': fputs("&gt;", f); break;
            case '"': fputs("&quot;", f); break;
            case '\'': fputs("&apos;", f); break;
            default:
                if (c >= 0x20 && c != 0x7F) fputc((int)c, f);
                else fputc(' ', f);
            }
            p++;
        }
        chars++;
    }
}

/* Counts how many sampled points of the drawn lines fall in a box (a label
   placed there would cover them). */
static size_t lossplot__covered(const lossplot__pt *pts, size_t n, double x0, double y0, double x1,
                                double y1)
{
    size_t i, hits = 0;
    for (i = 0; i < n; i++) {
        size_t k, parts = 1;
        double ax = pts[i].px, ay = pts[i].py, bx = ax, by = ay;
        if (i + 1 < n) {
            double len;
            bx = pts[i + 1].px;
            by = pts[i + 1].py;
            len = fabs(bx - ax) + fabs(by - ay);
            parts = (size_t)(len / 3.0) + 1;
            if (parts > 400) parts = 400;
        }
        for (k = 0; k < parts; k++) {
            double t = (double)k / (double)parts;
            double x = ax + (bx - ax) * t, y = ay + (by - ay) * t;
            if (x >= x0 && x <= x1 && y >= y0 && y <= y1) hits++;
        }
    }
    return hits;
}

/* Keeps at most about two points per half pixel column (each column's
   lowest and highest, in order), so a log of a million rows stays small
   while its outline is unchanged. */
static size_t lossplot__decimate(lossplot__pt *pts, size_t n)
{
    size_t i = 0, out = 0;
    if (n <= (size_t)(4 * (LOSSPLOT__X1 - LOSSPLOT__X0))) return n;
    while (i < n) {
        long col = (long)floor(pts[i].px * 2);
        size_t j = i, lo = i, hi = i;
        while (j < n && (long)floor(pts[j].px * 2) == col) {
            if (pts[j].py > pts[lo].py) lo = j;
            if (pts[j].py < pts[hi].py) hi = j;
            j++;
        }
        {
            lossplot__pt first = pts[lo < hi ? lo : hi], second = pts[lo < hi ? hi : lo];
            pts[out++] = first;
            if (lo != hi) pts[out++] = second;
        }
        i = j;
    }
    return out;
}

static void lossplot__polyline(FILE *f, const lossplot__pt *pts, size_t n, const char *color,
                               double width)
{
    size_t i;
    char num[64];
    if (n < 2) return;
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-linejoin=\"round\" stroke-linecap=\"round\" ",
            color);
    lossplot__fmt(num, sizeof num, "%.1f", width);
    fprintf(f, "stroke-width=\"%s\" clip-path=\"url(#plot)\" points=\"", num);
    for (i = 0; i < n; i++) {
        lossplot__fmt(num, sizeof num, "%.1f,%.1f", pts[i].px, pts[i].py);
        fprintf(f, "%s%s", i ? " " : "", num);
        if (i % 12 == 11) fputc('\n', f);
    }
    fputs("\"/>\n", f);
}

/* ================================================================ reading */

/* Reads the log into *rows (malloc'd; the caller frees it). */
static int lossplot__read_csv(const char *path, lossplot__row **rows_out, size_t *n_out, char *err,
                              size_t err_size)
{
    FILE *f = fopen(path, "rb");
    char *line = NULL;
    size_t cap = 0, len = 0, n = 0, rcap = 0, header_fields = 0;
    unsigned long lineno = 0;
    long col_step = -1, col_train = -1, col_val = -1;
    lossplot__row *rows = NULL;
    int rc = -1, got;
    int had_newline = 0;
    size_t *fstart = NULL, *flen = NULL, fmax = 0;

    *rows_out = NULL;
    *n_out = 0;
    if (!f) {
        lossplot__error(err, err_size, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    while ((got = lossplot__read_line(f, &line, &cap, &len, &had_newline)) == 1) {
        const char *s = line;
        size_t slen = len, nf, i;
        int blank = 1;
        lineno++;
        if (lineno == 1 && slen >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {  /* a BOM */
            s += 3;
            slen -= 3;
        }
        for (i = 0; i < slen; i++)
            if (s[i] != ' ' && s[i] != '\t') blank = 0;
        if (blank) continue;
        nf = lossplot__split(s, slen, NULL, NULL, 0);
        if (nf > fmax) {
            size_t *a = (size_t *)realloc(fstart, nf * sizeof *a), *b;
            if (a) fstart = a;
            b = a ? (size_t *)realloc(flen, nf * sizeof *b) : NULL;
            if (!a || !b) {
                lossplot__error(err, err_size, "out of memory reading %s", path);
                goto done;
            }
            flen = b;
            fmax = nf;
        }
        lossplot__split(s, slen, fstart, flen, fmax);
        if (col_step < 0) {  /* the header */
            for (i = nf; i-- > 0;) {
                if (lossplot__field_is(s + fstart[i], flen[i], "step")) col_step = (long)i;
                if (lossplot__field_is(s + fstart[i], flen[i], "train_loss")) col_train = (long)i;
                if (lossplot__field_is(s + fstart[i], flen[i], "val_loss")) col_val = (long)i;
            }
            if (col_step < 0 || col_train < 0) {
                lossplot__error(err, err_size,
                                "%s line %lu: expected a header row naming the columns "
                                "step and train_loss (as in step,train_loss,val_loss,elapsed_s)",
                                path, lineno);
                goto done;
            }
            header_fields = nf;
            continue;
        }
        {
            lossplot__row r;
            double v = 0;
            int p;
            const char *bad = NULL;
            size_t bad_col = 0;
            if (nf < header_fields) {
                if (!had_newline) break;  /* the last line, still being written */
                lossplot__error(err, err_size, "%s line %lu: %lu fields where the header has %lu",
                                path, lineno, (unsigned long)nf, (unsigned long)header_fields);
                goto done;
            }
            memset(&r, 0, sizeof r);
            p = lossplot__parse_number(s + fstart[col_step], flen[col_step], &r.step);
            if (p != 1) {
                bad = "step";
                bad_col = (size_t)col_step;
            }
            if (!bad) {
                p = lossplot__parse_number(s + fstart[col_train], flen[col_train], &v);
                if (p < 0) {
                    bad = "train_loss";
                    bad_col = (size_t)col_train;
                }
                r.has_train = p == 1 && lossplot__usable(v);
                r.train = v;
            }
            if (!bad && col_val >= 0) {
                p = lossplot__parse_number(s + fstart[col_val], flen[col_val], &v);
                if (p < 0) {
                    bad = "val_loss";
                    bad_col = (size_t)col_val;
                }
                r.has_val = p == 1 && lossplot__usable(v);
                r.val_given = p != 0;
                r.val = v;
            }
            if (bad) {
                if (!had_newline) break;
                lossplot__error(err, err_size, "%s line %lu: %s \"%.*s\" is not a number", path,
                                lineno, bad, (int)(flen[bad_col] > 40 ? 40 : flen[bad_col]),
                                s + fstart[bad_col]);
                goto done;
            }
            if (!lossplot__usable(r.step)) continue;
            /* A resumed run going back: its rows replace those from that step on. */
            if (n > 0 && (r.step < rows[n - 1].step ||
                          (r.step == rows[n - 1].step && rows[n - 1].val_given == r.val_given))) {
                while (n > 0 && rows[n - 1].step >= r.step) n--;
            }
            if (n == rcap) {
                size_t ncap = rcap ? rcap * 2 : 256;
                lossplot__row *nr = (lossplot__row *)realloc(rows, ncap * sizeof *nr);
                if (!nr) {
                    lossplot__error(err, err_size, "out of memory reading %s", path);
                    goto done;
                }
                rows = nr;
                rcap = ncap;
            }
            rows[n++] = r;
        }
    }
    if (got < 0) {
        lossplot__error(err, err_size, "out of memory reading %s", path);
        goto done;
    }
    if (ferror(f)) {
        lossplot__error(err, err_size, "cannot read %s", path);
        goto done;
    }
    if (col_step < 0) {
        lossplot__error(err, err_size, "%s: no header row (the file is %s)", path,
                        lineno ? "blank" : "empty");
        goto done;
    }
    rc = 0;
done:
    fclose(f);
    free(line);
    free(fstart);
    free(flen);
    if (rc == 0) {
        *rows_out = rows;
        *n_out = n;
    } else {
        free(rows);
    }
    return rc;
}

/* ================================================================ drawing */

static void lossplot__draw(FILE *f, const lossplot__row *rows, size_t n, lossplot__pt *train,
                           lossplot__pt *val, const char *title)
{
    const double X0 = LOSSPLOT__X0, X1 = LOSSPLOT__X1, Y0 = LOSSPLOT__Y0, Y1 = LOSSPLOT__Y1;
    size_t nt = 0, nv = 0, i, best = 0;
    double xlo = 0, xhi = 0, ylo = 0, yhi = 0, xstep = 1, ystep = 1, last_step = 0;
    int have = 0, integral = 1;
    char a[96], b[96], c[96], d[96];

    for (i = 0; i < n; i++) {
        if (rows[i].has_train && (nt == 0 || train[nt - 1].x != rows[i].step)) {
            train[nt].x = rows[i].step;
            train[nt].y = rows[i].train;
            nt++;
        }
        if (rows[i].has_val) {
            val[nv].x = rows[i].step;
            val[nv].y = rows[i].val;
            if (nv == 0 || val[nv].y < val[best].y) best = nv;
            nv++;
        }
        if (rows[i].has_train || rows[i].has_val) {
            double lo = rows[i].has_train ? rows[i].train : rows[i].val;
            double hi = lo;
            if (rows[i].has_val) {
                if (rows[i].val < lo) lo = rows[i].val;
                if (rows[i].val > hi) hi = rows[i].val;
            }
            if (!have) {
                xlo = xhi = rows[i].step;
                ylo = lo;
                yhi = hi;
                have = 1;
            }
            if (rows[i].step < xlo) xlo = rows[i].step;
            if (rows[i].step > xhi) xhi = rows[i].step;
            if (lo < ylo) ylo = lo;
            if (hi > yhi) yhi = hi;
            if (rows[i].step != floor(rows[i].step)) integral = 0;
            last_step = rows[i].step;
        }
    }
    if (have) {
        if (xlo >= 0 && (xlo <= 0.5 * xhi || xlo == xhi)) xlo = 0;  /* a run from its start: from 0 */
        if (xhi == xlo) xhi = xlo + 1;  /* one row, at step 0 */
        xstep = lossplot__nice_range(&xlo, &xhi, 8, integral ? 1 : 0);
        ystep = lossplot__nice_range(&ylo, &yhi, 6, 0);
    } else {
        xlo = ylo = 0;
        xhi = yhi = 1;
    }
    for (i = 0; i < nt; i++) {
        train[i].px = X0 + (train[i].x - xlo) / (xhi - xlo) * (X1 - X0);
        train[i].py = Y1 - (train[i].y - ylo) / (yhi - ylo) * (Y1 - Y0);
    }
    for (i = 0; i < nv; i++) {
        val[i].px = X0 + (val[i].x - xlo) / (xhi - xlo) * (X1 - X0);
        val[i].py = Y1 - (val[i].y - ylo) / (yhi - ylo) * (Y1 - Y0);
    }

    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"%s\">\n",
            LOSSPLOT__W, LOSSPLOT__H, LOSSPLOT__W, LOSSPLOT__H, LOSSPLOT__FONT);
    fputs("<title>", f);
    lossplot__put_text(f, title, 200);
    fputs("</title>\n", f);
    lossplot__fmt(a, sizeof a, "%.1f", X0 - 0.5);
    lossplot__fmt(b, sizeof b, "%.1f", Y0 - 4);
    lossplot__fmt(c, sizeof c, "%.1f", X1 - X0 + 1);
    lossplot__fmt(d, sizeof d, "%.1f", Y1 - Y0 + 8);
    fprintf(f, "<defs><clipPath id=\"plot\"><rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"/></clipPath></defs>\n",
            a, b, c, d);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", LOSSPLOT__W, LOSSPLOT__H);

    /* title, and a line about the run under it: as much of it as fits
       beside the legend (about 6.6 px a character) */
    fputs("<text x=\"24\" y=\"34\" font-size=\"20\" font-weight=\"bold\" fill=\"#111827\">", f);
    lossplot__put_text(f, title, 70);
    fputs("</text>\n<text x=\"24\" y=\"58\" font-size=\"13\" fill=\"#4b5563\">", f);
    if (!have) {
        fputs("no losses logged yet", f);
    } else {
        char line[800], part_step[128], part_train[128], part_val[128], part_best[256];
        const size_t fits = 76;
        int drop;
        lossplot__fmt_stepnum(a, sizeof a, last_step);
        snprintf(part_step, sizeof part_step, "step %s", a);
        part_train[0] = part_val[0] = part_best[0] = '\0';
        if (nt > 0) {
            lossplot__fmt_value(a, sizeof a, train[nt - 1].y);
            snprintf(part_train, sizeof part_train, " \xC2\xB7 train %s", a);
        }
        if (nv > 0) {
            lossplot__fmt_value(a, sizeof a, val[nv - 1].y);
            snprintf(part_val, sizeof part_val, " \xC2\xB7 val %s", a);
            lossplot__fmt_value(a, sizeof a, val[best].y);
            lossplot__fmt_stepnum(b, sizeof b, val[best].x);
            snprintf(part_best, sizeof part_best, " \xC2\xB7 best val %s at step %s", a, b);
        }
        for (drop = 0; drop < 3; drop++) {  /* the latest val, then train, go first */
            snprintf(line, sizeof line, "%s%s%s%s", part_step, drop < 2 ? part_train : "",
                     drop < 1 ? part_val : "", part_best);
            if (lossplot__chars(line) <= fits) break;
        }
        lossplot__put_text(f, line, fits);
    }
    fputs("</text>\n", f);

    /* legend, right-aligned above the plot */
    {
        double x = X1 - 318, y = 58;
        lossplot__fmt(a, sizeof a, "%.1f", x);
        lossplot__fmt(b, sizeof b, "%.1f", x + 26);
        lossplot__fmt(c, sizeof c, "%.1f", y - 4.5);
        fprintf(f, "<g font-size=\"13\" fill=\"#1f2937\">\n"
                   "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                a, c, b, c, LOSSPLOT__TRAIN_COLOR);
        lossplot__fmt(a, sizeof a, "%.1f", x + 32);
        lossplot__fmt(b, sizeof b, "%.1f", y);
        fprintf(f, "<text x=\"%s\" y=\"%s\">train loss</text>\n", a, b);
        lossplot__fmt(a, sizeof a, "%.1f", x + 112);
        lossplot__fmt(b, sizeof b, "%.1f", x + 138);
        lossplot__fmt(d, sizeof d, "%.1f", x + 125);
        fprintf(f, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"2.2\"/>\n"
                   "<circle cx=\"%s\" cy=\"%s\" r=\"3.8\" fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"1\"/>\n",
                a, c, b, c, LOSSPLOT__VAL_COLOR, d, c, LOSSPLOT__VAL_COLOR);
        lossplot__fmt(a, sizeof a, "%.1f", x + 144);
        lossplot__fmt(b, sizeof b, "%.1f", y);
        fprintf(f, "<text x=\"%s\" y=\"%s\">val loss</text>\n", a, b);
        lossplot__fmt(a, sizeof a, "%.1f", x + 222);
        fprintf(f, "<circle cx=\"%s\" cy=\"%s\" r=\"7\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                a, c, LOSSPLOT__BEST_COLOR);
        lossplot__fmt(a, sizeof a, "%.1f", x + 234);
        fprintf(f, "<text x=\"%s\" y=\"%s\">best val</text>\n</g>\n", a, b);
    }

    /* plot area, gridlines and tick labels */
    lossplot__fmt(a, sizeof a, "%.1f", X0);
    lossplot__fmt(b, sizeof b, "%.1f", Y0);
    lossplot__fmt(c, sizeof c, "%.1f", X1 - X0);
    lossplot__fmt(d, sizeof d, "%.1f", Y1 - Y0);
    fprintf(f, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"#fafafa\"/>\n", a, b, c, d);
    if (have) {
        double k, k0, k1;  /* tick k is at k * step */
        fputs("<g stroke=\"#e5e7eb\" stroke-width=\"1\">\n", f);
        k0 = floor(xlo / xstep + 0.5);
        k1 = floor(xhi / xstep + 0.5);
        for (k = k0; k <= k1 && k - k0 <= 100; k += 1) {
            double px = X0 + (k * xstep - xlo) / (xhi - xlo) * (X1 - X0);
            lossplot__fmt(a, sizeof a, "%.1f", px);
            lossplot__fmt(b, sizeof b, "%.1f", Y0);
            lossplot__fmt(c, sizeof c, "%.1f", Y1);
            fprintf(f, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", a, b, a, c);
        }
        k0 = floor(ylo / ystep + 0.5);
        k1 = floor(yhi / ystep + 0.5);
        for (k = k0; k <= k1 && k - k0 <= 100; k += 1) {
            double py = Y1 - (k * ystep - ylo) / (yhi - ylo) * (Y1 - Y0);
            lossplot__fmt(a, sizeof a, "%.1f", X0);
            lossplot__fmt(b, sizeof b, "%.1f", py);
            lossplot__fmt(c, sizeof c, "%.1f", X1);
            fprintf(f, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", a, b, c, b);
        }
        fputs("</g>\n<g font-size=\"12\" fill=\"#374151\">\n", f);
        k0 = floor(xlo / xstep + 0.5);
        k1 = floor(xhi / xstep + 0.5);
        for (k = k0; k <= k1 && k - k0 <= 100; k += 1) {
            double px = X0 + (k * xstep - xlo) / (xhi - xlo) * (X1 - X0);
            lossplot__fmt(a, sizeof a, "%.1f", px);
            lossplot__fmt(b, sizeof b, "%.1f", Y1 + 18);
            lossplot__fmt_step(c, sizeof c, k * xstep, xstep);
            fprintf(f, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n", a, b, c);
        }
        k0 = floor(ylo / ystep + 0.5);
        k1 = floor(yhi / ystep + 0.5);
        for (k = k0; k <= k1 && k - k0 <= 100; k += 1) {
            double py = Y1 - (k * ystep - ylo) / (yhi - ylo) * (Y1 - Y0);
            lossplot__fmt(a, sizeof a, "%.1f", X0 - 8);
            lossplot__fmt(b, sizeof b, "%.1f", py + 4);
            lossplot__fmt_loss(c, sizeof c, k * ystep, ystep);
            fprintf(f, "<text x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n", a, b, c);
        }
        fputs("</g>\n", f);
    } else {
        lossplot__fmt(a, sizeof a, "%.1f", (X0 + X1) / 2);
        lossplot__fmt(b, sizeof b, "%.1f", (Y0 + Y1) / 2);
        fprintf(f, "<text x=\"%s\" y=\"%s\" font-size=\"16\" fill=\"#6b7280\" text-anchor=\"middle\">"
                   "no data yet: the log has no losses</text>\n", a, b);
    }
    lossplot__fmt(a, sizeof a, "%.1f", X0);
    lossplot__fmt(b, sizeof b, "%.1f", Y0);
    lossplot__fmt(c, sizeof c, "%.1f", X1 - X0);
    lossplot__fmt(d, sizeof d, "%.1f", Y1 - Y0);
    fprintf(f, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"none\" stroke=\"#9ca3af\"/>\n",
            a, b, c, d);

    /* axis labels */
    lossplot__fmt(a, sizeof a, "%.1f", (X0 + X1) / 2);
    lossplot__fmt(b, sizeof b, "%.1f", Y1 + 44);
    fprintf(f, "<text x=\"%s\" y=\"%s\" font-size=\"14\" fill=\"#1f2937\" text-anchor=\"middle\">step</text>\n",
            a, b);
    lossplot__fmt(a, sizeof a, "%.1f", (Y0 + Y1) / 2);
    fprintf(f, "<text transform=\"translate(22 %s) rotate(-90)\" font-size=\"14\" fill=\"#1f2937\" "
               "text-anchor=\"middle\">loss (cross-entropy)</text>\n", a);

    /* the data */
    {
        size_t nt_drawn = lossplot__decimate(train, nt);
        size_t nv_drawn = nv;
        lossplot__pt best_pt;
        memset(&best_pt, 0, sizeof best_pt);
        if (nv > 0) best_pt = val[best];
        lossplot__polyline(f, train, nt_drawn, LOSSPLOT__TRAIN_COLOR, 1.8);
        if (nt_drawn == 1) {
            lossplot__fmt(a, sizeof a, "%.1f", train[0].px);
            lossplot__fmt(b, sizeof b, "%.1f", train[0].py);
            fprintf(f, "<circle cx=\"%s\" cy=\"%s\" r=\"3.5\" fill=\"%s\"/>\n", a, b, LOSSPLOT__TRAIN_COLOR);
        }
        if (nv > 0) {
            int markers = nv <= 150;
            nv_drawn = lossplot__decimate(val, nv);
            lossplot__polyline(f, val, nv_drawn, LOSSPLOT__VAL_COLOR, 2.2);
            if (markers) {
                fprintf(f, "<g fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"1\">\n", LOSSPLOT__VAL_COLOR);
                for (i = 0; i < nv_drawn; i++) {
                    lossplot__fmt(a, sizeof a, "%.1f", val[i].px);
                    lossplot__fmt(b, sizeof b, "%.1f", val[i].py);
                    fprintf(f, "<circle cx=\"%s\" cy=\"%s\" r=\"3.8\"/>\n", a, b);
                }
                fputs("</g>\n", f);
            }
            /* the best val loss: a ring, and a label where it covers the least */
            {
                static const double dx[] = {10, -10, 10, -10, 16, -16, 16, -16, 0, 0};
                static const double dy[] = {-12, -12, 22, 22, -34, -34, 44, 44, -52, 62};
                double tw, th = 14, bx0 = 0, by0 = 0;
                size_t best_hits = (size_t)-1, cand;
                lossplot__fmt_value(a, sizeof a, best_pt.y);
                lossplot__fmt_stepnum(b, sizeof b, best_pt.x);
                tw = 7.0 * (double)(strlen("best val  at step ") + strlen(a) + strlen(b));
                for (cand = 0; cand < sizeof dx / sizeof dx[0]; cand++) {
                    double x0 = dx[cand] >= 0 ? best_pt.px + dx[cand] : best_pt.px + dx[cand] - tw;
                    double y0 = best_pt.py + dy[cand] - th + 3;
                    size_t hits;
                    if (dx[cand] == 0) x0 = best_pt.px - tw / 2;
                    if (x0 < X0 + 4) x0 = X0 + 4;
                    if (x0 + tw > X1 - 4) x0 = X1 - 4 - tw;
                    if (y0 < Y0 + 2 || y0 + th > Y1 - 2) continue;
                    hits = lossplot__covered(train, nt_drawn, x0 - 3, y0 - 3, x0 + tw + 3, y0 + th + 3) +
                           lossplot__covered(val, nv_drawn, x0 - 3, y0 - 3, x0 + tw + 3, y0 + th + 3) +
                           (fabs(x0 + tw / 2 - best_pt.px) < tw / 2 + 8 &&
                                    fabs(y0 + th / 2 - best_pt.py) < th / 2 + 8 ? 1000 : 0);
                    if (best_hits == (size_t)-1 || hits < best_hits) {
                        best_hits = hits;
                        bx0 = x0;
                        by0 = y0;
                    }
                }
                if (best_hits == (size_t)-1) {  /* the plot is too small for any: above it */
                    bx0 = best_pt.px - tw / 2;
                    if (bx0 < X0 + 4) bx0 = X0 + 4;
                    if (bx0 + tw > X1 - 4) bx0 = X1 - 4 - tw;
                    by0 = Y0 + 4;
                }
                lossplot__fmt(c, sizeof c, "%.1f", best_pt.px);
                lossplot__fmt(d, sizeof d, "%.1f", best_pt.py);
                fprintf(f, "<circle cx=\"%s\" cy=\"%s\" r=\"7\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                        c, d, LOSSPLOT__BEST_COLOR);
                lossplot__fmt(c, sizeof c, "%.1f", bx0);
                lossplot__fmt(d, sizeof d, "%.1f", by0 + th - 3);
                fprintf(f, "<text x=\"%s\" y=\"%s\" font-size=\"12\" font-weight=\"bold\" fill=\"%s\" "
                           "stroke=\"#ffffff\" stroke-width=\"4\" stroke-linejoin=\"round\" paint-order=\"stroke\">"
                           "best val %s at step %s</text>\n",
                        c, d, LOSSPLOT__BEST_COLOR, a, b);
            }
        }
    }
    fputs("</svg>\n", f);
}

/* ================================================================ API */

LOSSPLOT__FN int lossplot_svg_path_for(const char *csv_path, char *out, size_t out_size)
{
    size_t n, base = 0, i, keep;
    if (!csv_path || !out || out_size == 0) return -1;
    n = strlen(csv_path);
    for (i = 0; i < n; i++)
        if (csv_path[i] == '/' || csv_path[i] == '\\') base = i + 1;
    keep = n;
    if (n - base > 4) {
        const char *e = csv_path + n - 4;
        if (e[0] == '.' && (e[1] == 'c' || e[1] == 'C') && (e[2] == 's' || e[2] == 'S') &&
            (e[3] == 'v' || e[3] == 'V'))
            keep = n - 4;
    }
    if (keep + 5 > out_size) {
        out[0] = '\0';
        return -1;
    }
    memcpy(out, csv_path, keep);
    memcpy(out + keep, ".svg", 5);
    return 0;
}

LOSSPLOT__FN int lossplot_write_svg(const char *csv_path, const char *svg_path, const char *title,
                                    char *err, size_t err_size)
{
    lossplot__row *rows = NULL;
    lossplot__pt *train = NULL, *val = NULL;
    size_t n = 0, tmp_len, attempt;
    char *tmp = NULL;
    FILE *f = NULL;
    int rc = -1;
    static unsigned long counter;

    if (err && err_size) err[0] = '\0';
    if (!csv_path || !svg_path || !*csv_path || !*svg_path) {
        lossplot__error(err, err_size, "lossplot_write_svg: no CSV or SVG path given");
        return -1;
    }
    if (lossplot__read_csv(csv_path, &rows, &n, err, err_size) != 0) return -1;
    train = (lossplot__pt *)malloc((n ? n : 1) * sizeof *train);
    val = (lossplot__pt *)malloc((n ? n : 1) * sizeof *val);
    tmp_len = strlen(svg_path) + 32;
    tmp = (char *)malloc(tmp_len);
    if (!train || !val || !tmp) {
        lossplot__error(err, err_size, "out of memory plotting %s", csv_path);
        goto done;
    }
    if (!title || !*title) {  /* the CSV's path, its end if it is long */
        size_t len = strlen(csv_path);
        title = len > 60 ? csv_path + len - 60 : csv_path;
    }

    /* A name no other writer uses, in the SVG's folder (rename stays there). */
    for (attempt = 0; attempt < 100; attempt++) {
        const void *self = &attempt;
        unsigned long h = (unsigned long)time(NULL) * 2654435761UL ^ (unsigned long)clock();
        unsigned char bytes[sizeof self];
        size_t i;
        FILE *probe;
        memcpy(bytes, &self, sizeof self);
        for (i = 0; i < sizeof bytes; i++) h = h * 31 + bytes[i];
        h += ++counter * 40503UL;
        snprintf(tmp, tmp_len, "%s.%08lx.tmp", svg_path, h & 0xFFFFFFFFUL);
        probe = fopen(tmp, "rb");
        if (!probe) break;
        fclose(probe);
    }
    f = fopen(tmp, "wb");
    if (!f) {
        lossplot__error(err, err_size, "cannot write %s (its temporary file %s): %s", svg_path, tmp,
                        strerror(errno));
        goto done;
    }
    lossplot__draw(f, rows, n, train, val, title);
    if (fflush(f) != 0 || ferror(f)) {
        lossplot__error(err, err_size, "cannot write %s: %s", tmp, strerror(errno));
        fclose(f);
        remove(tmp);
        goto done;
    }
    if (fclose(f) != 0) {
        lossplot__error(err, err_size, "cannot write %s: %s", tmp, strerror(errno));
        remove(tmp);
        goto done;
    }
    if (rename(tmp, svg_path) != 0) {
        /* Where rename does not replace a file (Windows): remove it first. */
        int saved = errno;
        if (remove(svg_path) != 0 || rename(tmp, svg_path) != 0) {
            lossplot__error(err, err_size, "cannot rename %s to %s: %s", tmp, svg_path, strerror(saved));
            remove(tmp);
            goto done;
        }
    }
    rc = 0;
done:
    free(rows);
    free(train);
    free(val);
    free(tmp);
    return rc;
}

#endif /* LOSSPLOT_H */
