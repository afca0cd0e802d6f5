/* The q8 command: dispatches to one subcommand per file. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("q8: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

int cli_open_model(const char *path, q8_model **model, q8_interp **interp) {
  return cli_open_model_with(path, NULL, model, interp);
}

static void usage(FILE *f) {
  fputs("usage: q8 COMMAND [ARGS]\n"
        "\n"
        "commands:\n"
        "  info MODEL                 operators, tensors, quantization, arena, MACs\n"
        "  run MODEL --input FILE...  run the model; see `q8 run --help`\n"
        "  eval MODEL [--data DIR]    Fashion-MNIST test accuracy; see `q8 eval --help`\n"
        "  bench MODEL [MODEL...]     latency, per-operator time, memory; see `q8 bench --help`\n"
#ifndef Q8_INTEGER_ONLY
        "  train --model M --out F    train on Fashion-MNIST, export; see `q8 train --help`\n"
#endif
        "  gen NAME --out F           random-weight ImageNet-geometry model; see `q8 gen --help`\n"
        "  version                    print the library version\n",
        f);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "info") == 0) return q8_cli_info(argc - 1, argv + 1);
  if (strcmp(cmd, "run") == 0) return q8_cli_run(argc - 1, argv + 1);
  if (strcmp(cmd, "eval") == 0) return q8_cli_eval(argc - 1, argv + 1);
  if (strcmp(cmd, "bench") == 0) return q8_cli_bench(argc - 1, argv + 1);
#ifndef Q8_INTEGER_ONLY
  if (strcmp(cmd, "train") == 0) return q8_cli_train(argc - 1, argv + 1);
#else
  if (strcmp(cmd, "train") == 0) return cli_error("q8 train is not in the integer-only build");
#endif
  if (strcmp(cmd, "gen") == 0) return q8_cli_gen(argc - 1, argv + 1);
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("q8 %s\n", q8_version_string());
    return 0;
  }
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    usage(stdout);
    return 0;
  }
  cli_error("unknown command '%s'", cmd);
  usage(stderr);
  return 2;
}
