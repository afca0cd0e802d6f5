/* Training with q8's public API: fm-cnn on the first 2,000 Fashion-MNIST images, one float
   epoch and one quantization-aware epoch, exported to an int8 .tflite and measured by the
   integer runtime. Ctrl-C is not handled here: `q8 train` shows how (should_stop). Built with
   the tree, and by the test command against an installed q8 (pkg-config q8-train). */
#include <q8/q8-train.h>
#include <stdio.h>

static void print_epoch(void *user, const q8_train_epoch *e) {
  (void)user;
  printf("%s epoch %d/%d: loss %.4f, test accuracy %.2f%%\n", q8_train_phase_name(e->phase),
         (int)e->epoch + 1, (int)e->epochs, e->loss, 100 * e->test_accuracy);
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s OUT.tflite [FASHION_MNIST_DIR]\n", argv[0]);
    return 2;
  }
  q8_trainer_options o = q8_trainer_options_default();
  o.model = "fm-cnn";
  o.data_dir = argc == 3 ? argv[2] : NULL; /* NULL: /usr/share/datasets/fashion-mnist */
  o.epochs = 1;
  o.qat_epochs = 1;
  o.limit = 2000;
  o.test_limit = 1000;
  o.on_epoch = print_epoch;
  q8_trainer *t;
  q8_error err;
  if (q8_trainer_init(&o, &t, &err) != Q8_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  q8_train_export_report report;
  q8_train_evaluation engine;
  double integer = 0;
  const int ok = q8_trainer_train(t, Q8_TRAIN_PHASE_QAT) == Q8_OK &&
                 q8_trainer_export(t, argv[1], &report) == Q8_OK &&
                 q8_trainer_evaluate(t, &engine) == Q8_OK &&
                 q8_trainer_evaluate_file(t, argv[1], &integer) == Q8_OK;
  if (ok) {
    printf("wrote %s (%zu bytes): fake-quantized %.2f%%, %s %.2f%% by the integer runtime\n",
           argv[1], report.bytes, 100 * engine.accuracy, q8_train_scheme_name(report.scheme),
           100 * integer);
  } else {
    fprintf(stderr, "%s\n", q8_trainer_last_error(t));
  }
  q8_trainer_free(t);
  return ok ? 0 : 1;
}
