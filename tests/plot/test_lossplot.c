/* test_lossplot.c - the API of examples/lossplot.h (run by tests/plot/check.sh).
       test_lossplot TESTS_DIR OUT_DIR
   TESTS_DIR holds the CSVs of tests/plot; OUT_DIR is an existing folder for
   the SVGs. Prints "N passed, N failed" and exits 1 on a failure. */
#include "../../examples/lossplot.h"

#include <stdio.h>
#include <string.h>

static int passed, failed;

static void expect(int ok, const char *what, const char *detail)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    }
}

static void path_is(const char *csv, const char *want)
{
    char out[256];
    int rc = lossplot_svg_path_for(csv, out, sizeof out);
    char what[600];
    snprintf(what, sizeof what, "svg path for \"%s\" is \"%s\"", csv, want);
    expect(rc == 0 && strcmp(out, want) == 0, what, rc == 0 ? out : "returned -1");
}

static int file_exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

int main(int argc, char **argv)
{
    char csv[1024], svg[1024], err[512], small[8], shorterr[4];
    const char *tests, *out;
    if (argc != 3) {
        fprintf(stderr, "usage: test_lossplot TESTS_DIR OUT_DIR\n");
        return 2;
    }
    tests = argv[1];
    out = argv[2];

    /* lossplot_svg_path_for */
    path_is("train_log.csv", "train_log.svg");
    path_is("build/sweep/runs/a_lr2e-3/log.csv", "build/sweep/runs/a_lr2e-3/log.svg");
    path_is("LOG.CSV", "LOG.svg");
    path_is("log", "log.svg");
    path_is("runs.v2/log", "runs.v2/log.svg");
    path_is("log.txt", "log.txt.svg");
    path_is("dir/.csv", "dir/.csv.svg");
    expect(lossplot_svg_path_for("train_log.csv", small, sizeof small) == -1 && small[0] == '\0',
           "a buffer too small is refused", small);
    expect(lossplot_svg_path_for(NULL, small, sizeof small) == -1, "a NULL path is refused", NULL);

    /* failures fill err and return -1 */
    snprintf(csv, sizeof csv, "%s/no_such_log.csv", tests);
    snprintf(svg, sizeof svg, "%s/never.svg", out);
    expect(lossplot_write_svg(csv, svg, "t", err, sizeof err) == -1 && strstr(err, "cannot open") &&
               strstr(err, "no_such_log.csv"),
           "a missing CSV is reported", err);
    expect(!file_exists(svg), "a failure writes no SVG", svg);
    expect(lossplot_write_svg(csv, svg, "t", NULL, 0) == -1, "err may be NULL", NULL);
    shorterr[0] = 'x';
    expect(lossplot_write_svg(csv, svg, "t", shorterr, sizeof shorterr) == -1 &&
               strlen(shorterr) < sizeof shorterr,
           "a short err is cut, not overrun", shorterr);
    expect(lossplot_write_svg(NULL, svg, "t", err, sizeof err) == -1 && err[0], "a NULL CSV path is refused", err);

    snprintf(csv, sizeof csv, "%s/malformed.csv", tests);
    expect(lossplot_write_svg(csv, svg, "t", err, sizeof err) == -1 && strstr(err, "line 4") &&
               strstr(err, "oops"),
           "a bad number names its line and text", err);
    snprintf(csv, sizeof csv, "%s/short_row.csv", tests);
    expect(lossplot_write_svg(csv, svg, "t", err, sizeof err) == -1 && strstr(err, "line 3"),
           "a short row names its line", err);
    snprintf(csv, sizeof csv, "%s/no_header.csv", tests);
    expect(lossplot_write_svg(csv, svg, "t", err, sizeof err) == -1 && strstr(err, "line 1") &&
               strstr(err, "header"),
           "a missing header is reported", err);
    expect(!file_exists(svg), "no SVG after the failures", svg);

    snprintf(csv, sizeof csv, "%s/normal.csv", tests);
    snprintf(svg, sizeof svg, "%s/no_such_dir/x.svg", out);
    expect(lossplot_write_svg(csv, svg, "t", err, sizeof err) == -1 && strstr(err, "cannot write") &&
               strstr(err, "x.svg"),
           "an unwritable SVG path is reported", err);

    /* success, twice over the same file (the rename replaces it), and a
       title that needs escaping: markup, a control character, a byte that
       is not UTF-8, and UTF-8 that is */
    snprintf(svg, sizeof svg, "%s/api.svg", out);
    err[0] = 'x';
    expect(lossplot_write_svg(csv, svg, "first", err, sizeof err) == 0 && err[0] == '\0',
           "a normal log plots, err emptied", err);
    expect(lossplot_write_svg(csv, svg, "a<b & \"c\" 'd' \xff\x01" "e \xc3\xbc", err, sizeof err) == 0,
           "an SVG is replaced", err);
    snprintf(svg, sizeof svg, "%s/default_title.svg", out);
    expect(lossplot_write_svg(csv, svg, NULL, err, sizeof err) == 0, "a NULL title is the CSV's path", err);

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
