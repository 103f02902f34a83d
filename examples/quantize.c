/* quantize.c - writes the int8 form of a tinygpt checkpoint (docs/FORMAT.md section 7).
       ./quantize IN.bin OUT.bin
   IN is any checkpoint (float, with or without AdamW moments, or int8 already);
   OUT gets every 2-D weight matrix as per-row scales and int8 values, the
   biases and LayerNorm parameters as floats: about a quarter of the weights'
   float size. ./evaluate and ./generate read both kinds. Prints the sizes. */
#define _POSIX_C_SOURCE 200809L  /* before any header: the POSIX calls of common.h */
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"
#include "common.h"

int main(int argc, char **argv)
{
    tinygpt_model model;  /* tinygpt_load fills a zeroed (or live) model */
    tinygpt_error err;
    size_t in_size, float_size, out_size;
    memset(&model, 0, sizeof model);
    if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') {
        fprintf(stderr, "usage: ./quantize IN.bin OUT.bin\n"
                        "Writes the int8 form of checkpoint IN (docs/FORMAT.md section 7) to OUT.\n");
        return argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? 0 : 2;
    }
    check_readable("checkpoint", argv[1]);
    if (tinygpt_load(&model, argv[1], &err) != 0) fail("%s", err.message);
    in_size = tinygpt_checkpoint_size(&model, 1);
    {   /* the input's own size: float with or without moments, or int8 */
        FILE *f = fopen(argv[1], "rb");
        if (f && fseek(f, 0, SEEK_END) == 0) { long n = ftell(f); if (n >= 0) in_size = (size_t)n; }
        if (f) fclose(f);
    }
    float_size = tinygpt_checkpoint_size(&model, 0);
    out_size = tinygpt_int8_checkpoint_size(&model);
    if (tinygpt_save_int8(&model, argv[2], &err) != 0) fail("%s", err.message);
    printf("%s: %lu bytes (%lu parameters; as float weights only: %lu bytes)\n", argv[1], (unsigned long)in_size,
           (unsigned long)model.num_params, (unsigned long)float_size);
    printf("%s: %lu bytes int8 (%.1f%% of the float weights)\n", argv[2], (unsigned long)out_size,
           100.0 * (double)out_size / (double)float_size);
    tinygpt_model_free(&model);
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) fail("writing to stdout failed: %s", why());
    return 0;
}
