/* Fashion-MNIST (and MNIST) data sets from IDX files, gzipped or not. Not part of libq8: it
   needs zlib, which the inference library must not; the q8 tool and the tests link it. */
#ifndef Q8_DATA_IDX_H
#define Q8_DATA_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "q8/q8.h"

/* Where Debian's package dataset-fashion-mnist puts the four gzipped IDX files. */
#define Q8_DATASET_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

enum {
  Q8_DATASET_ROWS = 28,
  Q8_DATASET_COLS = 28,
  Q8_DATASET_PIXELS = Q8_DATASET_ROWS * Q8_DATASET_COLS,
  Q8_DATASET_CLASSES = 10
};

/* count images of 28x28 pixels, row-major, one byte per pixel (0 = background), and their
   labels in [0, 10). Both arrays are malloc'd; q8_dataset_free releases them. */
typedef struct q8_dataset {
  size_t count;
  uint8_t *images; /* count * Q8_DATASET_PIXELS bytes */
  uint8_t *labels; /* count bytes */
} q8_dataset;

/* Loads split "train" or "t10k" from dir (NULL: Q8_DATASET_DEFAULT_DIR): the files
   <split>-images-idx3-ubyte and <split>-labels-idx1-ubyte, each either plain or with ".gz"
   (the plain file is preferred when both exist). limit > 0 reads only the first limit
   images and labels (then nothing past them is read or checked); 0 reads all.
   Every check comes before the memory it would justify is allocated: the headers' magic
   numbers (0x00000803 images, 0x00000801 labels), 28x28 images, equal counts; the payload
   buffers then grow only as bytes actually arrive, so a header that claims more than the file
   holds costs no more memory than the file. Errors (ds is left empty; error->message names
   the file and the problem):
     Q8_ERROR_IO                a missing directory or file (the message says how to get the
                                data set), a file that cannot be opened, corrupt gzip data;
     Q8_ERROR_MALFORMED         wrong magic (also: neither gzip nor IDX), wrong dimensions,
                                truncated data (offset, bytes needed and found), data past the
                                last record, a label outside [0, 10) (index and value),
                                image and label counts that differ;
     Q8_ERROR_INVALID_ARGUMENT  a NULL pointer, an unknown split, a negative limit;
     Q8_ERROR_OUT_OF_MEMORY. */
q8_status q8_dataset_load(const char *dir, const char *split, int64_t limit, q8_dataset *ds,
                          q8_error *error);

void q8_dataset_free(q8_dataset *ds);

/* 1 when this build reads gzipped files (it was built with zlib), 0 otherwise. */
int q8_dataset_reads_gzip(void);

#endif
