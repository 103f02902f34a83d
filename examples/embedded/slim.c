/* slim.c - a checkpoint without its AdamW moments: the weights-only file
   (FORMAT.md flag bit 0 clear) a device needs, a third of what
   ./train_shakespeare writes.
       slim IN.bin OUT.bin
   Host tool: loads IN with every reading rule of tinygpt_load, writes OUT
   with tinygpt_save(..., with_optimizer = 0). */
#define TINYGPT_IMPLEMENTATION
#include "tinygpt.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    tinygpt_model model;
    tinygpt_error err;
    memset(&model, 0, sizeof model);
    if (argc != 3) {
        fprintf(stderr, "usage: slim IN.bin OUT.bin\n");
        return 2;
    }
    if (tinygpt_load(&model, argv[1], &err) || tinygpt_save(&model, argv[2], 0, &err)) {
        fprintf(stderr, "slim: %s\n", err.message);
        tinygpt_model_free(&model);
        return 1;
    }
    printf("%s: %lu parameters, %lu bytes without the optimizer state\n", argv[2],
           (unsigned long)model.num_params, (unsigned long)tinygpt_checkpoint_size(&model, 0));
    tinygpt_model_free(&model);
    return 0;
}
