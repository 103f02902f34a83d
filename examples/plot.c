/* plot.c - draws a training log (the CSV of train_shakespeare) as an SVG.
       ./plot LOG.csv [OUT.svg] [--title T]
   OUT defaults to LOG's path with .svg for .csv (train_log.csv -> train_log.svg);
   the title defaults to the CSV's path. Open the SVG in any browser; it can
   be redrawn while the browser shows it (see examples/lossplot.h). */
#include "lossplot.h"

#include <stdio.h>
#include <string.h>

static int usage(FILE *to)
{
    fprintf(to, "usage: plot LOG.csv [OUT.svg] [--title T]\n"
                "  draws the losses of a training log (step,train_loss,val_loss,...) as an SVG;\n"
                "  OUT defaults to LOG.csv's path with .svg, the title to LOG.csv's path\n");
    return to == stdout ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *csv = NULL, *svg = NULL, *title = NULL;
    char svg_buf[4096], err[512];
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return usage(stdout);
        if (strcmp(argv[i], "--title") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "error: --title needs a value\n");
                return usage(stderr);
            }
            title = argv[++i];
        } else if (strncmp(argv[i], "--title=", 8) == 0) {
            title = argv[i] + 8;
        } else if (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2] != '\0') {
            fprintf(stderr, "error: unknown option %s\n", argv[i]);
            return usage(stderr);
        } else if (!csv) {
            csv = argv[i];
        } else if (!svg) {
            svg = argv[i];
        } else {
            fprintf(stderr, "error: unexpected argument %s\n", argv[i]);
            return usage(stderr);
        }
    }
    if (!csv) {
        fprintf(stderr, "error: no CSV log given\n");
        return usage(stderr);
    }
    if (!svg) {
        if (lossplot_svg_path_for(csv, svg_buf, sizeof svg_buf) != 0) {
            fprintf(stderr, "error: the path %s is too long\n", csv);
            return 1;
        }
        svg = svg_buf;
    }
    if (lossplot_write_svg(csv, svg, title, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    printf("wrote %s\n", svg);
    return 0;
}
