/* q8_interp_tensor_after_invoke: which tensors are readable after an invoke (constants, graph
   inputs and outputs, the last operator's inputs), and that a final SOFTMAX's logits really
   are intact: each equals its pixel minus 128 in the test classifier (test/util). */
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"
#include "tflite/writer.h"
#include "util/classifier-models.h"
#include "util/test-util.h"

enum { INPUT, WEIGHTS, BIAS, SCORES, PROBS, RESHAPED };

static q8_interp *open_classifier(const t_classifier_spec *spec, q8_model **model) {
  t_classifier m;
  uint8_t *file = NULL;
  size_t size = 0;
  q8_error err = {{0}};
  *model = NULL;
  q8_interp *interp = NULL;
  T_CHECK(t_classifier_build(&m, spec) == 0, "out of memory");
  q8_status s = q8_tflite_write(&m.graph, &file, &size, &err);
  if (s == Q8_OK) s = q8_model_load_memory(file, size, 1, model, &err);
  if (s == Q8_OK) s = q8_interp_init(*model, NULL, &interp, &err);
  T_CHECK(s == Q8_OK, "classifier: %s", err.message);
  free(file);
  t_classifier_free(&m);
  return interp;
}

static void test_final_softmax(t_rng *rng) {
  const t_classifier_spec spec = {Q8_TYPE_INT8, 784, true, 10, true, false};
  q8_model *model;
  q8_interp *interp = open_classifier(&spec, &model);
  if (interp == NULL) return;
  int8_t image[784];
  for (int round = 0; round < 20; round++) {
    for (int k = 0; k < 784; k++) image[k] = (int8_t)t_rng_range(rng, -128, 127);
    T_CHECK(q8_interp_set_input(interp, 0, image, sizeof image) == Q8_OK &&
                q8_interp_invoke(interp) == Q8_OK,
            "invoke: %s", q8_interp_last_error(interp));
    const int8_t *logits = q8_interp_tensor_after_invoke(interp, SCORES);
    T_CHECK(logits != NULL, "the final SOFTMAX's input is not readable");
    if (logits == NULL) break;
    for (int c = 0; c < 10; c++)
      T_CHECK(logits[c] == image[t_classifier_pixel(c)], "round %d class %d: logit %d, pixel %d",
              round, c, logits[c], image[t_classifier_pixel(c)]);
  }
  T_CHECK(q8_interp_tensor_after_invoke(interp, INPUT) != NULL, "graph input");
  T_CHECK(q8_interp_tensor_after_invoke(interp, WEIGHTS) != NULL, "constant");
  T_CHECK(q8_interp_tensor_after_invoke(interp, PROBS) != NULL, "graph output");
  T_CHECK(q8_interp_tensor_after_invoke(interp, PROBS + 1) == NULL, "index past the tensors");
  T_CHECK(q8_interp_tensor_after_invoke(interp, -1) == NULL, "negative index");
  T_CHECK(q8_interp_tensor_after_invoke(NULL, 0) == NULL, "NULL interpreter");
  q8_interp_free(interp);
  q8_model_free(model);
}

/* SOFTMAX then RESHAPE: the logits are read by an operator that is not the last, so a later
   tensor may have been given their bytes; the RESHAPE's input is still safe. */
static void test_softmax_not_last(void) {
  const t_classifier_spec spec = {Q8_TYPE_UINT8, 784, false, 10, true, true};
  q8_model *model;
  q8_interp *interp = open_classifier(&spec, &model);
  if (interp == NULL) return;
  T_CHECK(q8_interp_tensor_after_invoke(interp, SCORES) == NULL,
          "the logits of a SOFTMAX that is not last are reported readable");
  T_CHECK(q8_interp_tensor_after_invoke(interp, PROBS) != NULL, "the last operator's input");
  T_CHECK(q8_interp_tensor_after_invoke(interp, RESHAPED) != NULL, "graph output");
  q8_interp_free(interp);
  q8_model_free(model);
}

int main(void) {
  t_rng rng = {t_seed(44)};
  test_final_softmax(&rng);
  test_softmax_not_last();
  return t_finish();
}
