/* The options every running subcommand shares: --threads N and --isa PATH, into the
   interpreter's options, and opening a model with them. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_runtime_option(int argc, char **argv, int *i, q8_interp_options *options) {
  const char *arg = argv[*i];
  const bool threads = strcmp(arg, "--threads") == 0, isa = strcmp(arg, "--isa") == 0;
  if (!threads && !isa) return 0;
  if (*i + 1 == argc) return -cli_error("%s needs a value", arg);
  const char *value = argv[++*i];
  if (threads) {
    char *end;
    const long n = strtol(value, &end, 10);
    if (*end != 0 || end == value || n < 1 || n > 64)
      return -cli_error("--threads takes a count from 1 to 64, not '%s'", value);
    options->threads = (int32_t)n;
  } else if (q8_isa_from_name(value, &options->isa) != Q8_OK) {
    return -cli_error("--isa takes auto, ref, scalar, avx2, avx512vnni, neon or neondot, not '%s'",
                      value);
  }
  return 1;
}

int cli_open_model_with(const char *path, const q8_interp_options *options, q8_model **model,
                        q8_interp **interp) {
  q8_error err;
  *interp = NULL;
  if (q8_model_load_file(path, model, &err) != Q8_OK) {
    cli_error("%s", err.message);
    return 0;
  }
  if (q8_interp_init(*model, options, interp, &err) != Q8_OK) {
    cli_error("%s: %s", path, err.message);
    q8_model_free(*model);
    *model = NULL;
    return 0;
  }
  return 1;
}
