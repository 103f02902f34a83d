/* common.h - what the example programs share: fail(), one flag parser driven
   by a table, and the file checks a program makes before it writes anything.

   Include it after tinygpt.h. The programs define _POSIX_C_SOURCE in their
   first line, before any header, so that the POSIX calls below (stat, open,
   getpid, sysconf) are declared.

   Files are compared and probed three ways, chosen here at compile time:
     POSIX        stat's st_dev + st_ino; a probe file created with
                  open(O_CREAT | O_EXCL), which never follows a link
     Windows      spelling after _fullpath (case-insensitive); _open(_O_CREAT |
                  _O_EXCL), Windows' own exclusive create
     plain C99    (neither, or -DEXAMPLES_PLAIN_C) spelling after lexical
                  normalisation; C99 has no exclusive create: the probe checks
                  that its unique name is free, then opens it with "ab", which
                  never truncates (see probe_folder)
   The functions are `static inline` only so that a program using a few of them
   gets no warnings about the others. */
#ifndef EXAMPLES_COMMON_H
#define EXAMPLES_COMMON_H

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(_WIN32) && !defined(EXAMPLES_PLAIN_C)
#define FILES_WINDOWS 1
#include <fcntl.h>
#include <io.h>
#include <process.h>
#include <sys/stat.h>
#include <sys/types.h>
#elif (defined(__unix__) || defined(__unix) || defined(__APPLE__)) && !defined(EXAMPLES_PLAIN_C)
#include <unistd.h>
#if defined(_POSIX_VERSION)
#define FILES_POSIX 1
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#endif
#endif

/* ================================================================ fail */

#if defined(__GNUC__) || defined(__clang__)
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#endif
/* Prints "error: MESSAGE" to stderr and exits with status 1. */
static void fail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* Why the last file operation failed (call with errno cleared beforehand:
   C99 does not promise that fopen sets it). */
static inline const char *why(void)
{
    return errno ? strerror(errno) : "reason unknown";
}

/* ================================================================ flags */

typedef enum {
    FLAG_INT,    /* int: an integer in [min, max] */
    FLAG_REAL,   /* float: a number in the range of `bounds`, checked after rounding to float */
    FLAG_U64,    /* unsigned long long: any non-negative integer */
    FLAG_TEXT,   /* const char *: non-empty text */
    FLAG_FILE,   /* const char *: a non-empty path */
    FLAG_SWITCH, /* int: 1 when given; takes no value */
    FLAG_ARG     /* const char *: a positional argument (required), in table order */
} flag_type;

typedef struct flag {
    const char *name;     /* --name; for FLAG_ARG its placeholder, e.g. "CKPT" */
    flag_type   type;
    size_t      offset;   /* of the value in the program's options struct */
    double      min, max; /* FLAG_INT: [min, max]; FLAG_REAL: as `bounds` says */
    const char *bounds;   /* FLAG_REAL: "[]", "[)" or "(]"; max HUGE_VAL = no maximum */
    const char *help;
} flag;

typedef struct flag_table {
    const char *program;  /* "./generate", for the usage line */
    const char *about;    /* printed under the usage line */
    const flag *flags;
    int         n;
} flag_table;

static inline void *flag_field(void *options, const flag *f) { return (char *)options + f->offset; }

/* Index of flag `name` in the table, or -1. */
static inline int flag_index(const flag_table *t, const char *name, size_t len)
{
    int i;
    for (i = 0; i < t->n; i++)
        if (t->flags[i].type != FLAG_ARG && strlen(t->flags[i].name) == len &&
            strncmp(t->flags[i].name, name, len) == 0)
            return i;
    return -1;
}

/* The flag's value in `options` as text ("" for an unset text or switch). */
static inline const char *flag_value_text(const void *options, const flag *f, char buf[64])
{
    const void *p = (const char *)options + f->offset;
    buf[0] = '\0';
    switch (f->type) {
    case FLAG_INT:    sprintf(buf, "%d", *(const int *)p); break;
    case FLAG_REAL:   sprintf(buf, "%g", (double)*(const float *)p); break;
    case FLAG_U64:    sprintf(buf, "%llu", *(const unsigned long long *)p); break;
    case FLAG_SWITCH: break;
    default:          return *(const char *const *)p ? *(const char *const *)p : "";
    }
    return buf;
}

static inline const char *flag_meta(const flag *f)
{
    switch (f->type) {
    case FLAG_INT: case FLAG_U64: return "N";
    case FLAG_REAL: return "X";
    case FLAG_TEXT: return "TEXT";
    case FLAG_FILE: return "FILE";
    default: return "";
    }
}

/* "./evaluate CKPT TEXTFILE [--flag value | --flag=value]..." */
static inline const char *usage_text(const flag_table *t, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "%s", t->program);
    int i;
    for (i = 0; i < t->n; i++)
        if (t->flags[i].type == FLAG_ARG && n < size)
            n += (size_t)snprintf(buf + n, size - n, " %s", t->flags[i].name);
    if (n < size) snprintf(buf + n, size - n, " [--flag value | --flag=value]...");
    return buf;
}

/* usage line, then a line per argument and flag with its default (the values
   in `defaults`: the options struct before parsing) */
static inline void print_flags_help(const flag_table *t, const void *defaults)
{
    char left[64], value[64], usage[256];
    int i;
    printf("usage: %s\n%s\n\n", usage_text(t, usage, sizeof usage), t->about);
    for (i = 0; i < t->n; i++) {
        const flag *f = &t->flags[i];
        const char *v = flag_value_text(defaults, f, value);
        if (f->type == FLAG_ARG) snprintf(left, sizeof left, "%s", f->name);
        else snprintf(left, sizeof left, "--%s %s", f->name, flag_meta(f));
        printf("  %-21s %s", left, f->help);
        if (*v && f->type != FLAG_ARG) printf(" (default: %s)", v);
        putchar('\n');
    }
    printf("  %-21s %s\n", "--help", "show this help");
}

/* The range of an int or real flag, for messages: "an integer >= 1", "a number in (0, 1]". */
static inline const char *flag_range_text(const flag *f, char buf[96])
{
    if (f->type == FLAG_INT) {
        if (f->max < INT_MAX) sprintf(buf, "an integer in [%.0f, %.0f]", f->min, f->max);
        else sprintf(buf, "an integer >= %.0f", f->min);
    } else if (f->max >= HUGE_VAL) {
        sprintf(buf, "a finite number %s %g", f->bounds[0] == '(' ? ">" : ">=", f->min);
    } else {
        sprintf(buf, "a number in %c%g, %g%c", f->bounds[0], f->min, f->max, f->bounds[1]);
    }
    return buf;
}

static inline int flag_real_in_range(const flag *f, double v)
{
    int lo = f->bounds[0] == '(' ? v > f->min : v >= f->min;
    int hi = f->max >= HUGE_VAL || (f->bounds[1] == ')' ? v < f->max : v <= f->max);
    return lo && hi;
}

/* Parses s strictly into the flag's field; fails with a message naming the flag. */
static inline void flag_set(void *options, const flag *f, const char *s)
{
    void *p = flag_field(options, f);
    char *end = NULL, range[96];
    int bad_start = *s == '\0' || isspace((unsigned char)*s);
    errno = 0;
    switch (f->type) {
    case FLAG_INT: {
        long v = bad_start ? 0 : strtol(s, &end, 10);
        if (bad_start || *end != '\0' || v < f->min)
            fail("invalid value '%s' for --%s: expected %s", s, f->name, flag_range_text(f, range));
        if (errno == ERANGE || v > f->max) {
            if (f->max < INT_MAX)
                fail("invalid value '%s' for --%s: expected %s", s, f->name, flag_range_text(f, range));
            fail("invalid value '%s' for --%s: too large (at most %d)", s, f->name, INT_MAX);
        }
        *(int *)p = (int)v;
        break;
    }
    case FLAG_U64: {
        unsigned long long v = bad_start ? 0 : strtoull(s, &end, 10);
        if (bad_start || *s == '-' || *end != '\0')
            fail("invalid value '%s' for --%s: expected a non-negative integer", s, f->name);
        if (errno == ERANGE)
            fail("invalid value '%s' for --%s: too large (at most %llu)", s, f->name, ULLONG_MAX);
        *(unsigned long long *)p = v;
        break;
    }
    case FLAG_REAL: {
        /* An underflow (1e-320: strtod sets ERANGE) is taken as the tiny number
           strtod returns; an overflow is "too large". The value is stored as a
           float, so the float must be in range: 0.9999999999 rounds to 1. */
        double v = bad_start ? 0 : strtod(s, &end);
        float x;
        if (bad_start || *end != '\0' || v != v)
            fail("invalid value '%s' for --%s: expected %s", s, f->name, flag_range_text(f, range));
        if (fabs(v) > FLT_MAX) {
            if (v > 0 && f->max >= HUGE_VAL)
                fail("invalid value '%s' for --%s: too large (at most %g)", s, f->name, (double)FLT_MAX);
            fail("invalid value '%s' for --%s: expected %s", s, f->name, flag_range_text(f, range));
        }
        x = (float)v;
        if (!flag_real_in_range(f, x)) {
            if (flag_real_in_range(f, v))
                fail("invalid value '%s' for --%s: expected %s (it rounds to %g in single precision)",
                     s, f->name, flag_range_text(f, range), (double)x);
            fail("invalid value '%s' for --%s: expected %s", s, f->name, flag_range_text(f, range));
        }
        *(float *)p = x;
        break;
    }
    case FLAG_TEXT: case FLAG_FILE:
        if (*s == '\0') fail("--%s needs a non-empty value", f->name);
        *(const char **)p = s;
        break;
    case FLAG_SWITCH:
        *(int *)p = 1;
        break;
    case FLAG_ARG:
        *(const char **)p = s;
        break;
    }
}

/* Parses argv into `options` (holding the defaults) by the table: --name VALUE,
   --name=VALUE, switches as --name, positional arguments in table order.
   --help (or -h) prints the help and exits 0; anything wrong fails. given
   (may be NULL; t->n entries) gets given[i] = 1 for each flag on the command line. */
static inline void parse_flags(const flag_table *t, int argc, char **argv, void *options,
                               unsigned char *given)
{
    int i, k, next_arg = 0;
    char usage[256];
    if (given) memset(given, 0, (size_t)t->n);
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_flags_help(t, options);
            exit(0);
        }
        if (strncmp(arg, "--", 2) == 0) {
            const char *name = arg + 2, *eq = strchr(name, '=');
            k = flag_index(t, name, eq ? (size_t)(eq - name) : strlen(name));
            if (k < 0) fail("unknown flag '%s' (see --help)", arg);
            if (t->flags[k].type == FLAG_SWITCH) {
                if (eq) fail("--%s takes no value", t->flags[k].name);
                value = "";
            } else if (eq) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                fail("--%s needs a value", t->flags[k].name);
            }
        } else {
            for (k = next_arg; k < t->n && t->flags[k].type != FLAG_ARG; k++) {}
            if (k == t->n) fail("unexpected argument '%s' (see --help)", arg);
            next_arg = k + 1;
            value = arg;
        }
        flag_set(options, &t->flags[k], value);
        if (given) given[k] = 1;
    }
    for (k = next_arg; k < t->n; k++)
        if (t->flags[k].type == FLAG_ARG)
            fail("missing %s: usage: %s (see --help)", t->flags[k].name, usage_text(t, usage, sizeof usage));
}

/* ================================================================ files */

typedef enum { FILE_MISSING, FILE_REGULAR, FILE_DIRECTORY, FILE_OTHER } file_kind;

/* What `path` names now, following links. Missing also covers a path that
   cannot be looked at (a folder on the way without access). Plain C99 cannot
   tell a folder from a file: any path it can open is FILE_REGULAR. */
static inline file_kind file_kind_of(const char *path)
{
#if defined(FILES_POSIX)
    struct stat st;
    if (stat(path, &st) != 0) return FILE_MISSING;
    return S_ISREG(st.st_mode) ? FILE_REGULAR : S_ISDIR(st.st_mode) ? FILE_DIRECTORY : FILE_OTHER;
#elif defined(FILES_WINDOWS)
    struct _stat st;
    if (_stat(path, &st) != 0) return FILE_MISSING;
    return (st.st_mode & _S_IFREG) ? FILE_REGULAR : (st.st_mode & _S_IFDIR) ? FILE_DIRECTORY : FILE_OTHER;
#else
    FILE *f = fopen(path, "rb");
    if (!f) return FILE_MISSING;
    fclose(f);
    return FILE_REGULAR;
#endif
}

static inline int is_separator(char c)
{
#if defined(_WIN32)
    return c == '/' || c == '\\';
#else
    return c == '/';
#endif
}

/* Splits path into its folder (into buf: "." when it names none) and its
   final name (returned; "" when the path ends with a separator). */
static inline const char *split_path(const char *path, char *buf, size_t size)
{
    size_t n = strlen(path), cut = n;
    while (cut > 0 && !is_separator(path[cut - 1])) cut--;
    if (cut == 0) {
        snprintf(buf, size, ".");
    } else {
        size_t keep = cut;
        while (keep > 1 && is_separator(path[keep - 1])) keep--;  /* "a//b": folder "a"; "/b": "/" */
        if (keep >= size) fail("path too long: %s", path);
        memcpy(buf, path, keep);
        buf[keep] = '\0';
    }
    return path + cut;
}

#if !defined(FILES_POSIX)
/* The spelling files are compared by where there are no inode numbers.
   Windows: the full path _fullpath makes (it resolves "." and ".." and the
   current folder; names compare case-insensitively). Plain C99: the path with
   its "." parts and doubled separators dropped ("./a//b" is "a/b"); it cannot
   see links, "..", or a relative and an absolute spelling of one file. */
static inline void normalise_path(const char *path, char *out, size_t size)
{
#if defined(FILES_WINDOWS)
    char *p;
    if (!_fullpath(out, path, size)) snprintf(out, size, "%s", path);
    for (p = out; *p; p++) *p = *p == '/' ? '\\' : (char)tolower((unsigned char)*p);
#else
    size_t n = 0, len;
    const char *s = path;
    if (is_separator(*s) && size > 1) out[n++] = '/';
    while (*s) {
        while (is_separator(*s)) s++;
        for (len = 0; s[len] && !is_separator(s[len]); len++) {}
        if (len == 0) break;
        if (!(len == 1 && s[0] == '.')) {
            if (n > 0 && out[n - 1] != '/' && n + 1 < size) out[n++] = '/';
            if (n + len >= size) break;
            memcpy(out + n, s, len);
            n += len;
        }
        s += len;
    }
    if (n == 0 && size > 1) out[n++] = '.';
    out[n < size ? n : size - 1] = '\0';
#endif
}
#endif

/* 1 if a and b name the same file: one file when both exist (st_dev and
   st_ino on POSIX; a hard link or a symbolic link to it counts); when neither
   exists yet, the same folder and the same final name ("out.bin" and
   "./out.bin"); never when only one exists. */
static inline int same_file(const char *a, const char *b)
{
#if defined(FILES_POSIX)
    struct stat sa, sb;
    char da[4096], db[4096];
    const char *na, *nb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea || eb) return 0;
    na = split_path(a, da, sizeof da);
    nb = split_path(b, db, sizeof db);
    if (strcmp(na, nb) != 0) return 0;
    if (stat(da, &sa) != 0 || stat(db, &sb) != 0) return strcmp(da, db) == 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
#else
    char na[4096], nb[4096];
    normalise_path(a, na, sizeof na);
    normalise_path(b, nb, sizeof nb);
    return strcmp(na, nb) == 0;
#endif
}

/* Fails if --flag_a and --flag_b (values a and b) name the same file. */
static inline void refuse_same_file(const char *flag_a, const char *a, const char *flag_b, const char *b)
{
    if (!same_file(a, b)) return;
    if (strcmp(a, b) == 0) fail("--%s and --%s name the same file (%s)", flag_a, flag_b, a);
    fail("--%s and --%s name the same file (%s and %s)", flag_a, flag_b, a, b);
}

/* Fails, naming the reason, unless a new file can be created in the folder
   of `path` (`flag` names it in the message). The probe is a uniquely named
   file created exclusively (it never follows a link and never opens an
   existing file, so nothing of the user's is touched) and removed at once. */
static inline void probe_folder(const char *flag_name, const char *path)
{
    static unsigned counter;
    char folder[4096], name[4200];
    int attempt;
    split_path(path, folder, sizeof folder);
    for (attempt = 0; attempt < 100; attempt++) {
        int err;
#if defined(FILES_POSIX)
        int fd;
        snprintf(name, sizeof name, "%s/.probe-%ld-%u.tmp", folder, (long)getpid(), counter++);
        errno = 0;
        fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd >= 0) { close(fd); remove(name); return; }
        err = errno;
#elif defined(FILES_WINDOWS)
        int fd;
        snprintf(name, sizeof name, "%s\\.probe-%d-%u.tmp", folder, _getpid(), counter++);
        errno = 0;
        fd = _open(name, _O_WRONLY | _O_CREAT | _O_EXCL, _S_IREAD | _S_IWRITE);
        if (fd >= 0) { _close(fd); remove(name); return; }
        err = errno;
#else
        /* C99 has no exclusive create: take a name nobody has (checked), then
           "ab", which creates the file and never truncates one. Only a process
           creating that very name between the two calls is not guarded against. */
        FILE *f;
        snprintf(name, sizeof name, "%s/.probe-%lu-%u.tmp", folder, (unsigned long)time(NULL), counter++);
        if ((f = fopen(name, "rb")) != NULL) { fclose(f); continue; }
        errno = 0;
        f = fopen(name, "ab");
        if (f) { fclose(f); remove(name); return; }
        err = errno;
#endif
        if (err != EEXIST) {
            errno = err;
            fail("--%s %s: cannot create a file in %s: %s", flag_name, path, folder, why());
        }
    }
    fail("--%s %s: cannot create a file in %s: every probe name was taken", flag_name, path, folder);
}

/* Bytes of physical memory, or 0 where the platform does not say. */
static inline double physical_memory(void)
{
#if defined(FILES_POSIX) && defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && size > 0) return (double)pages * (double)size;
#endif
    return 0;
}

/* Fails unless `path` is a file that can be opened for reading, naming the reason. */
static inline void check_readable(const char *what, const char *path)
{
    FILE *f;
    if (file_kind_of(path) == FILE_DIRECTORY) fail("%s %s is a folder, not a file", what, path);
    errno = 0;
    f = fopen(path, "rb");
    if (!f) fail("cannot open %s %s: %s", what, path, why());
    fclose(f);
}

/* 1 when standard input is a terminal (a person typing), 0 when it is a pipe
   or a file. Plain C99 cannot tell: it says 1. */
static inline int stdin_is_terminal(void)
{
#if defined(FILES_POSIX)
    return isatty(STDIN_FILENO);
#elif defined(FILES_WINDOWS)
    return _isatty(_fileno(stdin));
#else
    return 1;
#endif
}

/* ================================================================ characters */


/* A character as messages name it: 'z' (U+007A), '\n' (U+000A), '\'' (U+0027);
   a control or invisible character by its code point alone: U+200B. */
static inline const char *char_name(uint32_t cp, char buf[32])
{
    const char *esc = cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : cp == '\r' ? "\\r" : cp == '\\' ? "\\\\"
                    : cp == '\'' ? "\\'" : NULL;
    int invisible = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) ||
                    (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF ||
                    cp == 0xAD;
    char u[5] = {0};
    if (esc) {
        sprintf(buf, "'%s' (U+%04lX)", esc, (unsigned long)cp);
    } else if (invisible) {
        sprintf(buf, "U+%04lX", (unsigned long)cp);
    } else {
        if (cp < 0x80) { u[0] = (char)cp; }
        else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3F)); }
        else if (cp < 0x10000) {
            u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | (cp >> 6 & 0x3F)); u[2] = (char)(0x80 | (cp & 0x3F));
        } else {
            u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
            u[2] = (char)(0x80 | (cp >> 6 & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F));
        }
        sprintf(buf, "'%s' (U+%04lX)", u, (unsigned long)cp);
    }
    return buf;
}

typedef struct missing_char {
    uint32_t cp;
    size_t   offset;  /* byte offset of its first occurrence */
} missing_char;

static inline int missing_char_by_offset(const void *a, const void *b)
{
    size_t x = ((const missing_char *)a)->offset, y = ((const missing_char *)b)->offset;
    return x < y ? -1 : x > y;
}

/* Checks that every character of UTF-8 `text` is in `vocab`. Returns 0 when
   it is; else the number of distinct characters missing, with `msg` listing
   them in order of first appearance, each with its code point and the byte
   offset of its first occurrence ("'z' (U+007A) at byte 3, ..."; the first 8,
   then "and N more"). Returns -1 with the reason in `msg` when the text is
   not UTF-8 (or memory runs out). Empty text is covered (returns 0). */
static inline long vocab_missing_chars(const tinygpt_vocab *vocab, const char *text, size_t len,
                                       char *msg, size_t size)
{
    tinygpt_vocab seen;
    tinygpt_error err;
    missing_char *miss;
    long n_miss = 0, found = 0, i, shown;
    size_t at = 0, used = 0;
    char name[32];
    memset(&seen, 0, sizeof seen);  /* tinygpt_vocab_build fills a zeroed vocabulary */
    if (size) msg[0] = '\0';
    if (len == 0) return 0;
    if (tinygpt_vocab_build(&seen, text, len, &err) != 0) {  /* names a malformed byte's offset */
        snprintf(msg, size, "%s", err.message);
        return -1;
    }
    miss = (missing_char *)malloc((size_t)seen.size * sizeof *miss);
    if (!miss) {
        tinygpt_vocab_free(&seen);
        snprintf(msg, size, "out of memory checking the characters");
        return -1;
    }
    for (i = 0; i < seen.size; i++)  /* seen.sorted ascending, so miss is too */
        if (tinygpt_vocab_find(vocab, seen.sorted[i]) < 0) {
            miss[n_miss].cp = seen.sorted[i];
            miss[n_miss++].offset = (size_t)-1;
        }
    tinygpt_vocab_free(&seen);
    while (found < n_miss && at < len) {  /* first offsets, by binary search */
        uint32_t cp = 0;
        /* the library's own decoder: every program here includes the implementation */
        size_t k = (size_t)tinygpt__utf8_decode((const unsigned char *)text + at, len - at, &cp);
        long lo = 0, hi = n_miss - 1;
        if (k == 0) break;  /* cannot happen: vocab_build read it */
        while (lo <= hi) {
            long mid = lo + (hi - lo) / 2;
            if (miss[mid].cp == cp) {
                if (miss[mid].offset == (size_t)-1) { miss[mid].offset = at; found++; }
                break;
            }
            if (miss[mid].cp < cp) lo = mid + 1;
            else hi = mid - 1;
        }
        at += k;
    }
    qsort(miss, (size_t)n_miss, sizeof *miss, missing_char_by_offset);
    shown = n_miss < 8 ? n_miss : 8;
    for (i = 0; i < shown && used < size; i++)
        used += (size_t)snprintf(msg + used, size - used, "%s%s at byte %lu", i ? ", " : "",
                                 char_name(miss[i].cp, name), (unsigned long)miss[i].offset);
    if (n_miss > shown && used < size) snprintf(msg + used, size - used, ", and %ld more", n_miss - shown);
    free(miss);
    return n_miss;
}

#endif /* EXAMPLES_COMMON_H */
