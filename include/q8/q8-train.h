/* q8 training API: train a reference model on Fashion-MNIST in float, then with simulated
   quantization (quantization-aware training), checkpoint and resume, export an 8-bit .tflite
   and measure it with the integer runtime. Library q8_train (float, OpenBLAS, zlib); absent
   from the integer-only build. The recipe and its reasons: doc/training.md.

   Life of a run:
     q8_trainer_options o = q8_trainer_options_default();
     o.model = "fm-cnn";                       (and whatever else to change)
     q8_trainer_init(&o, &t, &err)             loads the data, builds and initialises the model
     (q8_trainer_resume(t, "run.ckpt"))        continue a run exactly where it stopped
     q8_trainer_train(t, Q8_TRAIN_PHASE_QAT)   float epochs, then quantization-aware epochs
     q8_trainer_export(t, "model.tflite", &r)  the 8-bit model, written atomically
     q8_trainer_evaluate_file(t, "model.tflite", &accuracy)   by the integer runtime
     q8_trainer_free(t)
   A trainer is used by one thread at a time; its callbacks run on the calling thread. Results
   are reproducible for the same options (seed and threads included). */
#ifndef Q8_Q8_TRAIN_H
#define Q8_Q8_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "q8/q8.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct q8_trainer q8_trainer; /* a training run: data, model, where training stands */

/* The two phases of the recipe. */
typedef enum q8_train_phase {
  Q8_TRAIN_PHASE_FLOAT = 0, /* float32 training */
  Q8_TRAIN_PHASE_QAT = 1    /* quantization-aware training (fake quantization, folded BN) */
} q8_train_phase;

/* "float", "qat"; "unknown" otherwise. */
const char *q8_train_phase_name(q8_train_phase phase);

/* How the exported model is quantized. */
typedef enum q8_train_scheme {
  Q8_TRAIN_SCHEME_INT8 = 0, /* TFLite's: int8, per-channel convolution weights */
  Q8_TRAIN_SCHEME_UINT8 = 1 /* the paper's: uint8, per-tensor everywhere */
} q8_train_scheme;

/* "int8", "uint8"; "unknown" otherwise. */
const char *q8_train_scheme_name(q8_train_scheme scheme);

/* Where the quantization-aware phase's folded batch norms take their batch statistics from
   until their freeze (doc/training.md, "Folded batch norm"); from the freeze on, and in
   inference, both use the moving statistics. */
typedef enum q8_train_bn_statistics {
  /* TensorFlow's quantize rewriter: the unfolded float layer's output, so each folded layer
     runs twice per step */
  Q8_TRAIN_BN_STATISTICS_UNFOLDED = 0,
  /* PyTorch's ConvBn2d: the folded, fake-quantized layer's output divided by gamma / sigma:
     one run per layer, the statistics those of the quantized layer */
  Q8_TRAIN_BN_STATISTICS_FOLDED = 1
} q8_train_bn_statistics;

/* "unfolded", "folded"; "unknown" otherwise. */
const char *q8_train_bn_statistics_name(q8_train_bn_statistics statistics);

/* How the quantization-aware phase rounds a layer's output (doc/training.md, "Integer
   requantization"). */
typedef enum q8_train_rounding {
  /* the exported operator's integer requantization (int32 bias, TFLite's double rounding)
     wherever the layer is in its exported form (after the batch-norm freeze, in inference):
     the fake-quantized model holds the integer model's codes */
  Q8_TRAIN_ROUNDING_INTEGER = 0,
  /* the float output to the nearest step, as TensorFlow's fake quantization: the integer model
     drifts from it by a step here and there, more at residual additions */
  Q8_TRAIN_ROUNDING_FLOAT = 1
} q8_train_rounding;

/* "integer", "float"; "unknown" otherwise. */
const char *q8_train_rounding_name(q8_train_rounding rounding);

/* The models q8 can train, by index from 0 ("fm-cnn", "fm-mobilenet", "fm-resnet"); NULL past
   the last. */
const char *q8_train_model_name(int32_t index);

/* Reported after every training step. */
typedef struct q8_train_progress {
  q8_train_phase phase;
  int32_t epoch, epochs;   /* epoch is 0-based within the phase; epochs: the phase's */
  int64_t step;            /* the step just done, 0-based within the phase */
  int64_t steps_per_epoch; /* the step within its epoch is step % steps_per_epoch */
  float loss;              /* this batch's cross-entropy */
  float learning_rate;     /* this step's */
  double epoch_loss;       /* mean over the epoch's images so far (resumed sums included) */
  double epoch_accuracy;   /* top-1 in [0, 1] over the epoch's images so far */
  double images_per_second; /* training images per second of this trainer (not of a run it
                               resumed), 0 until measured */
  int64_t remaining_steps;  /* steps left over both phases */
  double eta_seconds;       /* remaining_steps at the measured rate, 0 until measured */
} q8_train_progress;

/* Reported after every epoch, once its test accuracy is measured (the CSV log's line). */
typedef struct q8_train_epoch {
  q8_train_phase phase;
  int32_t epoch, epochs; /* epoch is 0-based within the phase */
  double loss;           /* mean training cross-entropy of the epoch */
  double train_accuracy; /* top-1 in [0, 1], in training mode during the epoch */
  double test_accuracy;  /* top-1 in [0, 1] by the training engine (fake-quantized in QAT) */
  float learning_rate;   /* of the epoch's last step */
  double seconds;        /* training time of the epoch */
} q8_train_epoch;

/* Options of a trainer. Start from q8_trainer_options_default() and change what you need;
   strings are borrowed for the trainer's life. Batch 64, SGD momentum 0.9, weight decay 5e-4,
   learning rate 0.05 (float) and 0.005 (QAT), cosine to 0 over each phase: the recipe. */
typedef struct q8_trainer_options {
  const char *model;    /* required: a q8_train_model_name */
  const char *data_dir; /* the four Fashion-MNIST IDX files, plain or .gz; NULL:
                           /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist) */
  int32_t epochs;       /* float epochs, 0..10000 (default 5) */
  int32_t qat_epochs;   /* quantization-aware epochs, 0..10000 (default 2; 0: the export is
                           post-training quantization of the float model) */
  int64_t limit;        /* train on the first limit training images, 0: all (default) */
  int64_t test_limit;   /* evaluate on the first test_limit test images, 0: all (default) */
  int32_t threads;      /* threads of the training engine, 0..256; 0: the CPUs online (default) */
  uint64_t seed;        /* initial weights and shuffling (default 1) */
  int32_t weight_bits;     /* 2..8 (default 8) */
  int32_t activation_bits; /* 2..8 (default 8) */
  q8_train_scheme scheme;  /* default Q8_TRAIN_SCHEME_INT8 */
  q8_train_bn_statistics bn_statistics; /* default Q8_TRAIN_BN_STATISTICS_UNFOLDED */
  q8_train_rounding rounding;            /* default Q8_TRAIN_ROUNDING_INTEGER */
  const char *checkpoint;  /* written atomically after every epoch and when stopped; NULL:
                              none (default) */
  const char *log;         /* CSV, one line per epoch (phase, epoch, loss, train_accuracy,
                              test_accuracy, learning_rate, seconds), rewritten atomically after
                              every epoch; NULL: none (default) */
  /* Callbacks (NULL: none) with user as first argument. on_progress after every step,
     on_epoch after every epoch; should_stop is asked after every step and epoch: nonzero
     stops training at the end of the step (the end of the epoch for an epoch's last step),
     saves the checkpoint and returns from q8_trainer_train. should_stop may read a flag a
     signal handler sets. */
  void (*on_progress)(void *user, const q8_train_progress *progress);
  void (*on_epoch)(void *user, const q8_train_epoch *epoch);
  int (*should_stop)(void *user);
  void *user;
} q8_trainer_options;

/* The defaults above. */
q8_trainer_options q8_trainer_options_default(void);

/* Checks options, loads the data and builds the model with its initial weights. Refused with
   Q8_ERROR_INVALID_ARGUMENT naming the option ("options.weight_bits is 9: it must be from 2 to
   8"), Q8_ERROR_IO or Q8_ERROR_MALFORMED naming the data file (a missing directory: how to get
   the data set). On failure *trainer is NULL and error (may be NULL) says why. */
q8_status q8_trainer_init(const q8_trainer_options *options, q8_trainer **trainer,
                          q8_error *error);
void q8_trainer_free(q8_trainer *trainer);

/* Message of the last failed call on this trainer ("" when none failed). */
const char *q8_trainer_last_error(const q8_trainer *trainer);

/* Where a trainer stands, and what it runs on. Strings live as long as the trainer. */
typedef struct q8_trainer_info {
  const char *model;
  int64_t train_images, test_images;
  int32_t batch, threads;
  const char *engine_isa;    /* compilation of the engine's layers: "scalar", "avx2" */
  const char *matrix_backend; /* matrix products: "OpenBLAS", "portable" */
  q8_train_phase phase;      /* the phase training is in (or ended in) */
  int32_t phase_epochs;      /* epochs of that phase */
  int64_t step;              /* the next step within the phase */
  int64_t steps_per_epoch;
  int64_t calibration_images; /* training images that calibrate ranges (PTQ, QAT start) */
  int phase_done;             /* the phase's steps are all done */
  int finished;               /* every phase is done: nothing left to train */
  int quantization_aware;     /* the model has fake quantization (the QAT phase began) */
} q8_trainer_info;

q8_status q8_trainer_get_info(const q8_trainer *trainer, q8_trainer_info *info);

/* Continues the run saved in the checkpoint at path: weights, optimizer and range state, the
   phase and step, the epoch's running sums and the log. Call before training. Refused
   (nothing changed): a file that is not a checkpoint, is truncated or corrupt (CRC), or was
   written for another model or other options ("option 'seed' is 1 there, 2 in this run"). The
   resumed run ends with the same weights as an uninterrupted one. */
q8_status q8_trainer_resume(q8_trainer *trainer, const char *path);

/* Trains from where the trainer stands through the end of phase last: Q8_TRAIN_PHASE_FLOAT
   stops after the float epochs (the model still float, for q8_trainer_export_ptq);
   Q8_TRAIN_PHASE_QAT also rewrites the model for quantization-aware training (ranges
   calibrated on the first calibration_images training images) and runs its epochs. Returns
   Q8_OK when stopped by should_stop too: q8_trainer_get_info says where it stands
   (phase_done). */
q8_status q8_trainer_train(q8_trainer *trainer, q8_train_phase last);

/* What an export wrote. */
typedef struct q8_train_export_report {
  size_t bytes;
  int32_t operators;
  q8_train_scheme scheme;
  int ranges_learned;         /* 1: the ranges quantization-aware training learned; 0: ranges
                                 calibrated on calibration_images (post-training quantization) */
  int64_t calibration_images;
  char notes[512]; /* what the export changed or approximated, in words; "" when nothing */
} q8_train_export_report;

/* Writes the 8-bit .tflite of the model as it stands to path, atomically, after checking that
   the integer runtime prepares it: the learned ranges after quantization-aware training, else
   post-training quantization of the float model. report may be NULL. */
q8_status q8_trainer_export(q8_trainer *trainer, const char *path,
                            q8_train_export_report *report);

/* Post-training quantization of the float model (ranges calibrated on calibration_images
   training images, no retraining) to path, atomically; the training state is unchanged.
   Q8_ERROR_STATE once quantization-aware training began. report may be NULL. */
q8_status q8_trainer_export_ptq(q8_trainer *trainer, const char *path,
                                q8_train_export_report *report);

/* Test accuracy by the training engine (inference mode, batch norm's moving statistics). */
typedef struct q8_train_evaluation {
  double accuracy;            /* top-1 in [0, 1]: float, or fake-quantized once QAT began */
  double loss;                /* mean cross-entropy */
  int quantization_aware;     /* accuracy is the fake-quantized model's */
  double float_accuracy;      /* the float model's before QAT began; -1 when unknown (no QAT
                                 yet, or a resumed run's log without a float epoch) */
  int64_t images;
} q8_train_evaluation;

q8_status q8_trainer_evaluate(q8_trainer *trainer, q8_train_evaluation *evaluation);

/* Top-1 accuracy in [0, 1] of the .tflite at path (one written by an export, or any 28x28
   8-bit classifier of 10 classes) on the trainer's test images, run by the integer runtime. */
q8_status q8_trainer_evaluate_file(q8_trainer *trainer, const char *path, double *accuracy);

#ifdef __cplusplus
}
#endif

#endif
