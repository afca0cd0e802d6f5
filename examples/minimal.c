/* The smallest q8 program: load a model, run zeros through it, print output 0's bytes.
   Used by the test command to check that an installed q8 (headers, library, pkg-config)
   works for a program outside the tree. */
#include <q8/q8.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL\n", argv[0]);
    return 2;
  }
  q8_model *model;
  q8_interp *interp;
  q8_error err;
  if (q8_model_load_file(argv[1], &model, &err) != Q8_OK ||
      q8_interp_init(model, NULL, &interp, &err) != Q8_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  q8_tensor_info in, out;
  q8_interp_input_info(interp, 0, &in);
  q8_interp_output_info(interp, 0, &out);
  unsigned char *data = calloc(in.bytes + out.bytes, 1);
  int ok = data != NULL && q8_interp_set_input(interp, 0, data, in.bytes) == Q8_OK &&
           q8_interp_invoke(interp) == Q8_OK &&
           q8_interp_get_output(interp, 0, data + in.bytes, out.bytes) == Q8_OK;
  if (!ok) fprintf(stderr, "%s\n", q8_interp_last_error(interp));
  for (size_t i = 0; ok && i < out.bytes; i++) printf("%u%c", data[in.bytes + i], i + 1 < out.bytes ? ' ' : '\n');
  printf("q8 %s\n", q8_version_string());
  free(data);
  q8_interp_free(interp);
  q8_model_free(model);
  return ok ? 0 : 1;
}
