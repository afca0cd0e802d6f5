/* Shared pieces of the q8 command: subcommands, model opening, .npy files. */
#ifndef Q8_TOOLS_CLI_H
#define Q8_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "q8/q8.h"

int q8_cli_info(int argc, char **argv);
int q8_cli_run(int argc, char **argv);
int q8_cli_eval(int argc, char **argv);
int q8_cli_bench(int argc, char **argv);
int q8_cli_train(int argc, char **argv); /* absent from the integer-only build */
int q8_cli_gen(int argc, char **argv);

/* Prints s as a JSON string (quoted, escaped) on stdout. */
void cli_print_json_string(const char *s);

/* Prints "q8: message" to stderr; returns the exit code 1 (2 for usage errors). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Loads and prepares a model, printing the error and returning 0 on failure. */
int cli_open_model(const char *path, q8_model **model, q8_interp **interp);
/* The same with interpreter options (NULL: defaults). */
int cli_open_model_with(const char *path, const q8_interp_options *options, q8_model **model,
                        q8_interp **interp);

/* Options of the running subcommands: --threads N (1 to 64) and --isa PATH (a q8_isa name).
   When argv[*i] is one, stores it in options, moves *i past its value and returns 1; returns 0
   for any other argument and -1 (message printed) for a bad or missing value. */
int cli_runtime_option(int argc, char **argv, int *i, q8_interp_options *options);
#define CLI_RUNTIME_OPTIONS_HELP                                                            \
  "  --threads N  threads per operator (default 1); outputs are the same for any count\n"    \
  "  --isa PATH   kernel path: auto (default: Q8_ISA, else the fastest this CPU runs), ref,\n" \
  "               scalar, avx2, avx512vnni, neon, neondot\n"

/* A .npy array: element type, shape and the data (malloc'd). */
typedef struct npy_array {
  char descr[8];   /* "|i1", "|u1", "<f4", "<i4" */
  int32_t rank;
  int64_t dims[8];
  size_t count;    /* number of elements */
  void *data;
} npy_array;

/* Reads a version 1/2/3 .npy file (C order, little endian). Returns 0 and prints an error
   naming the file and the problem on failure. */
int npy_read(const char *path, npy_array *array);
/* Writes atomically (temporary file, then rename). */
int npy_write(const char *path, const char *descr, int32_t rank, const int64_t *dims,
              const void *data, size_t bytes);
/* "|i1" for int8 and so on; NULL for types without a .npy mapping. */
const char *npy_descr_of(q8_type type);
size_t npy_item_size(const char *descr);

#endif
