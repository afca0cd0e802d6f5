// Independent runtime check that q8 writes valid TFLite files: Arm NN 20.08's TfLite parser
// (Debian libarmnntfliteparser-dev) loads every shared model and ops case in its original form
// and after q8's read -> write, and runs both on its CpuRef backend. The parser must take the
// rewrite exactly when it takes the original, Arm NN must run the rewrite whenever it runs the
// original and give the same outputs bit for bit, and those must agree with q8's and with the
// ops cases' expected.bin within a measured rounding tolerance (networks: operator by operator).
#include <dirent.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "util/test-util.h"

namespace {
constexpr const char *kTestName = "tflite/test-armnn";
}  // namespace


#ifdef Q8_ARMNN_MISSING

int main() {
  if (Q8_ARMNN_ABSENCE_IS_FAILURE && t_test_deps_required()) {
    fprintf(stderr, "FAIL: %s: missing %s although the test command installs it\n", kTestName,
            Q8_ARMNN_MISSING);
    return 1;
  }
  std::string reason = std::string("missing ") + Q8_ARMNN_MISSING;
  return t_skip(kTestName, reason.c_str());
}

#else

#include <armnn/ArmNN.hpp>
#include <armnn/Utils.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>

extern "C" {
#include "core/graph.h"
#include "q8/q8.h"
#include "tflite/reader.h"
#include "tflite/writer.h"
}

namespace {

using Bytes = std::vector<uint8_t>;

// Arm NN's reference kernels requantize in float (dequantize, compute, round(x / scale) +
// offset) where TFLite's use fixed-point multipliers with two roundings, so a value whose exact
// result lies next to a rounding boundary may land one step away. Measured: at most 1 LSB on
// every case (a few elements each; the table shows how many), and 0 ulp for float outputs.
constexpr long kToleranceLsb = 1;

// Cases where Arm NN 20.08 itself is wrong, and the exact form its error takes, so that the
// test still checks every other element and that nothing else differs.
struct KnownDefect {
  const char *name;
  const char *what;
};
const KnownDefect kKnownDefects[] = {
    // Its TfLite parser leaves PadDescriptor::m_PadValue at 0 for quantized tensors, so the
    // padding holds the raw value 0 instead of the zero point (TFLite pads with the output
    // zero point; later Arm NN releases set m_PadValue to the quantization offset).
    {"pad_int8", "PAD fills with 0, not the zero point"},
};

const KnownDefect *known_defect(const std::string &name) {
  for (const KnownDefect &k : kKnownDefects) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

bool read_bytes(const std::string &path, Bytes *out) {
  size_t size = 0;
  void *data = t_read_file(path.c_str(), &size);
  if (data == nullptr) return false;
  const uint8_t *p = static_cast<const uint8_t *>(data);
  out->assign(p, p + size);
  free(data);
  return true;
}

// q8's rewrite of a model: read, then write; empty (with a check failure) when either fails.
Bytes q8_rewrite(const std::string &name, const Bytes &original) {
  q8_error err = {{0}};
  q8_graph *graph = nullptr;
  q8_status s = q8_tflite_read(original.data(), original.size(), &graph, &err);
  T_CHECK(s == Q8_OK, "%s: q8 cannot read the original: %s", name.c_str(), err.message);
  if (s != Q8_OK) return Bytes();
  uint8_t *data = nullptr;
  size_t size = 0;
  s = q8_tflite_write(graph, &data, &size, &err);
  q8_graph_free(graph);
  T_CHECK(s == Q8_OK, "%s: q8 cannot write it: %s", name.c_str(), err.message);
  if (s != Q8_OK) return Bytes();
  Bytes written(data, data + size);
  free(data);
  return written;
}

// ---- Arm NN ----

struct Tensor {
  std::string name;
  armnn::DataType type = armnn::DataType::Float32;
  Bytes bytes;
  int32_t zero_point = 0;
};

// Arm NN's verdict on one file: accepted (parsed, optimized for CpuRef, loaded and run) with
// its outputs, or the stage that refused it and Arm NN's reason. parsed: the TfLite parser
// itself took the file (a later stage may still refuse it).
struct ArmnnResult {
  bool parsed = false;
  bool accepted = false;
  std::string refusal;
  std::vector<Tensor> outputs;
};

std::vector<Tensor> armnn_inputs(const Bytes &model, std::string *why) {
  std::vector<Tensor> inputs;
  try {
    auto parser = armnnTfLiteParser::ITfLiteParser::Create();
    parser->CreateNetworkFromBinary(model);
    for (const std::string &name : parser->GetSubgraphInputTensorNames(0)) {
      armnn::TensorInfo info = parser->GetNetworkInputBindingInfo(0, name).second;
      inputs.push_back({name, info.GetDataType(), Bytes(info.GetNumBytes()), 0});
    }
  } catch (const std::exception &e) {
    *why = std::string("parse: ") + e.what();
    inputs.clear();
  }
  return inputs;
}

ArmnnResult run_armnn(armnn::IRuntime *runtime, const Bytes &model,
                      const std::vector<Tensor> &inputs) {
  ArmnnResult r;
  std::string stage = "parse";
  try {
    auto parser = armnnTfLiteParser::ITfLiteParser::Create();
    armnn::INetworkPtr network = parser->CreateNetworkFromBinary(model);
    r.parsed = true;
    stage = "optimize for CpuRef";
    std::vector<std::string> messages;
    armnn::IOptimizedNetworkPtr optimized =
        armnn::Optimize(*network, {armnn::Compute::CpuRef}, runtime->GetDeviceSpec(),
                        armnn::OptimizerOptions(),
                        armnn::Optional<std::vector<std::string> &>(messages));
    if (!optimized) {
      r.refusal = stage + ": " + (messages.empty() ? "no reason given" : messages[0]);
      return r;
    }
    stage = "load";
    armnn::NetworkId id = 0;
    std::string error;
    if (runtime->LoadNetwork(id, std::move(optimized), error, armnn::INetworkProperties()) !=
        armnn::Status::Success) {
      r.refusal = stage + ": " + error;
      return r;
    }
    stage = "run";
    std::vector<std::string> in_names = parser->GetSubgraphInputTensorNames(0);
    armnn::InputTensors in_tensors;
    for (size_t i = 0; i < in_names.size(); i++) {
      armnn::BindingPointInfo b = parser->GetNetworkInputBindingInfo(0, in_names[i]);
      if (i >= inputs.size() || inputs[i].bytes.size() != b.second.GetNumBytes()) {
        runtime->UnloadNetwork(id);
        r.refusal = "run: input '" + in_names[i] + "' is not the size of the original's";
        return r;
      }
      in_tensors.push_back({b.first, armnn::ConstTensor(b.second, inputs[i].bytes.data())});
    }
    armnn::OutputTensors out_tensors;
    for (const std::string &name : parser->GetSubgraphOutputTensorNames(0)) {
      armnn::BindingPointInfo b = parser->GetNetworkOutputBindingInfo(0, name);
      r.outputs.push_back({name, b.second.GetDataType(), Bytes(b.second.GetNumBytes()),
                           b.second.GetQuantizationOffset()});
    }
    for (size_t i = 0; i < r.outputs.size(); i++) {
      armnn::BindingPointInfo b = parser->GetNetworkOutputBindingInfo(0, r.outputs[i].name);
      out_tensors.push_back({b.first, armnn::Tensor(b.second, r.outputs[i].bytes.data())});
    }
    armnn::Status s = runtime->EnqueueWorkload(id, in_tensors, out_tensors);
    runtime->UnloadNetwork(id);
    if (s != armnn::Status::Success) {
      r.refusal = "run: EnqueueWorkload failed";
      r.outputs.clear();
      return r;
    }
    r.accepted = true;
  } catch (const std::exception &e) {
    r.refusal = stage + ": " + e.what();
    r.outputs.clear();
  }
  return r;
}

// ---- q8 ----

struct Q8Result {
  bool ran = false;
  bool needs_float = false;  // refused by the integer-only build
  std::string message;
  std::vector<Bytes> outputs;
};

Q8Result run_q8(const Bytes &model, const std::vector<Tensor> &inputs) {
  Q8Result r;
  q8_error err = {{0}};
  q8_model *m = nullptr;
  q8_interp *it = nullptr;
  q8_status s = q8_model_load_memory(model.data(), model.size(), 0, &m, &err);
  if (s == Q8_OK) s = q8_interp_init(m, nullptr, &it, &err);
  if (s != Q8_OK) {
    r.message = err.message;
    r.needs_float = s == Q8_ERROR_UNSUPPORTED && strstr(err.message, "integer-only") != nullptr;
    q8_model_free(m);
    return r;
  }
  for (int32_t i = 0; s == Q8_OK && i < q8_interp_input_count(it); i++) {
    s = i < (int32_t)inputs.size()
            ? q8_interp_set_input(it, i, inputs[i].bytes.data(), inputs[i].bytes.size())
            : Q8_ERROR_INVALID_ARGUMENT;
  }
  if (s == Q8_OK) s = q8_interp_invoke(it);
  for (int32_t i = 0; s == Q8_OK && i < q8_interp_output_count(it); i++) {
    q8_tensor_info info;
    s = q8_interp_output_info(it, i, &info);
    if (s != Q8_OK) break;
    r.outputs.emplace_back(info.bytes);
    s = q8_interp_get_output(it, i, r.outputs.back().data(), info.bytes);
  }
  r.ran = s == Q8_OK;
  if (!r.ran) r.message = q8_interp_last_error(it);
  q8_interp_free(it);
  q8_model_free(m);
  return r;
}

// ---- comparing outputs ----

// How one output of Arm NN differs from q8's or expected.bin: the largest difference, in steps
// of the 8-bit type (LSB) or for float32 in units in the last place (ulp), how many elements
// differ at all, and how many differ exactly as a known Arm NN defect says (left out of both).
struct Difference {
  bool same_size = true;
  long max = 0;
  size_t differing = 0, explained = 0, count = 0;
};

// Sign-magnitude float bits to a monotonic integer line, so adjacent floats differ by 1.
int64_t float_order(const uint8_t *p) {
  int32_t x;
  memcpy(&x, p, 4);
  return x < 0 ? -(int64_t)(x & 0x7fffffff) : x;
}

Difference difference(const Tensor &armnn, const Bytes &other, const KnownDefect *defect) {
  Difference d;
  if (armnn.bytes.size() != other.size()) {
    d.same_size = false;
    return d;
  }
  const Bytes &a = armnn.bytes;
  if (armnn.type == armnn::DataType::Float32) {
    for (size_t k = 0; k + 4 <= a.size(); k += 4, d.count++) {
      long diff = (long)std::llabs(float_order(&a[k]) - float_order(&other[k]));
      d.max = std::max(d.max, diff);
      d.differing += diff != 0;
    }
    return d;
  }
  bool is_signed =
      armnn.type == armnn::DataType::QAsymmS8 || armnn.type == armnn::DataType::QSymmS8;
  for (size_t k = 0; k < a.size(); k++, d.count++) {
    int x = is_signed ? (int)(int8_t)a[k] : (int)a[k];
    int y = is_signed ? (int)(int8_t)other[k] : (int)other[k];
    if (x == y) continue;
    if (defect != nullptr && x == 0 && y == armnn.zero_point) {
      d.explained++;
      continue;
    }
    d.max = std::max(d.max, (long)std::abs(x - y));
    d.differing++;
  }
  return d;
}

const char *unit_of(armnn::DataType type) {
  return type == armnn::DataType::Float32 ? "ulp" : "LSB";
}

// Arm NN's outputs for the written file against q8's on the same file (or expected.bin): every
// output within the tolerance (when enforce); the worst one as table text ("1 LSB (3/2376)").
std::string compare(const std::string &name, const char *what, const ArmnnResult &armnn,
                    const std::vector<Bytes> &other, size_t *explained, bool enforce = true) {
  if (other.size() != armnn.outputs.size()) {
    T_CHECK(false, "%s: Arm NN has %zu outputs, %s %zu", name.c_str(), armnn.outputs.size(), what,
            other.size());
    return "count!";
  }
  const KnownDefect *defect = known_defect(name);
  std::string worst_text;
  long worst = -1;
  for (size_t i = 0; i < other.size(); i++) {
    const Tensor &t = armnn.outputs[i];
    Difference d = difference(t, other[i], defect);
    T_CHECK(d.same_size, "%s: output %zu '%s': Arm NN %zu bytes, %s %zu", name.c_str(), i,
            t.name.c_str(), t.bytes.size(), what, other[i].size());
    if (!d.same_size) return "size!";
    T_CHECK(!enforce || d.max <= kToleranceLsb,
            "%s: output %zu '%s' differs from %s by %ld %s in %zu of %zu elements (tolerance %ld)",
            name.c_str(), i, t.name.c_str(), what, d.max, unit_of(t.type), d.differing, d.count,
            kToleranceLsb);
    *explained += d.explained;
    if (d.max > worst) {
      worst = d.max;
      worst_text = std::to_string(d.max) + " " + unit_of(t.type);
      if (d.differing > 0) {
        worst_text += " (" + std::to_string(d.differing) + "/" + std::to_string(d.count) + ")";
      }
    }
  }
  return worst_text;
}

// ---- one case ----

struct Case {
  std::string name;
  std::string model_path;
  std::vector<std::string> input_paths;  // empty: seeded inputs
  std::string expected_path;             // empty: none
};

struct Row {
  std::string name, original, written, vs_q8, per_op, vs_expected, note;
};

void fill_seeded(std::vector<Tensor> *inputs, uint64_t seed) {
  t_rng rng = {seed};
  for (Tensor &t : *inputs) {
    if (t.type == armnn::DataType::Float32) {
      for (size_t k = 0; k + 4 <= t.bytes.size(); k += 4) {
        float v = (float)(t_rng_unit(&rng) * 8.0 - 4.0);
        memcpy(&t.bytes[k], &v, 4);
      }
    } else {
      for (uint8_t &b : t.bytes) b = (uint8_t)t_rng_next(&rng);
    }
  }
}

bool fill_from_files(const Case &c, std::vector<Tensor> *inputs) {
  T_CHECK(c.input_paths.size() == inputs->size(), "%s: %zu input files for %zu inputs",
          c.name.c_str(), c.input_paths.size(), inputs->size());
  if (c.input_paths.size() != inputs->size()) return false;
  for (size_t i = 0; i < inputs->size(); i++) {
    Bytes data;
    bool ok = read_bytes(c.input_paths[i], &data) && data.size() == (*inputs)[i].bytes.size();
    T_CHECK(ok, "%s: %s is not %zu bytes", c.name.c_str(), c.input_paths[i].c_str(),
            (*inputs)[i].bytes.size());
    if (!ok) return false;
    (*inputs)[i].bytes = data;
  }
  return true;
}

// ---- whole networks, one operator at a time ----

int32_t node_count(const Bytes &model) {
  q8_error err = {{0}};
  q8_graph *g = nullptr;
  if (q8_tflite_read(model.data(), model.size(), &g, &err) != Q8_OK) return 0;
  int32_t n = g->n_nodes;
  q8_graph_free(g);
  return n;
}

// A 1-LSB step in one layer moves the next layer's inputs, and through a deep network (and a
// final softmax) such steps add up: mobilenet's end-to-end difference ranged 1..9 LSB over
// seeds. So a network's end-to-end difference is reported, and what is held to kToleranceLsb is
// each of its operators alone: q8 writes a one-operator model per node of the graph, whose
// inputs are q8's own activations there, and Arm NN must compute the same output.

// The graph with other nodes, inputs or outputs; everything else (tensors, the pool that owns
// them) stays the original's, so the copy must not be freed.
q8_graph view_of(const q8_graph *g, q8_node *nodes, int32_t n_nodes,
                 const std::vector<int32_t> &in, const std::vector<int32_t> &out) {
  q8_graph v = *g;
  v.nodes = nodes;
  v.n_nodes = n_nodes;
  v.inputs = in.data();
  v.n_inputs = (int32_t)in.size();
  v.outputs = out.data();
  v.n_outputs = (int32_t)out.size();
  return v;
}

Bytes write_view(const q8_graph &v, const std::string &what) {
  q8_error err = {{0}};
  uint8_t *data = nullptr;
  size_t size = 0;
  q8_status s = q8_tflite_write(&v, &data, &size, &err);
  T_CHECK(s == Q8_OK, "%s: q8 cannot write it: %s", what.c_str(), err.message);
  if (s != Q8_OK) return Bytes();
  Bytes bytes(data, data + size);
  free(data);
  return bytes;
}

// Every activation q8 computes for the inputs: the model's inputs, then each node's outputs
// (read through a rewrite of the graph whose outputs are all of them).
bool q8_activations(const std::string &name, const q8_graph *g, const std::vector<Tensor> &inputs,
                    std::vector<Bytes> *values) {
  std::vector<int32_t> in(g->inputs, g->inputs + g->n_inputs), out;
  for (int32_t i = 0; i < g->n_nodes; i++) {
    for (int32_t k = 0; k < g->nodes[i].n_outputs; k++) out.push_back(g->nodes[i].outputs[k]);
  }
  q8_graph v = view_of(g, g->nodes, g->n_nodes, in, out);
  Bytes model = write_view(v, name + " (all activations as outputs)");
  if (model.empty()) return false;
  Q8Result q = run_q8(model, inputs);
  T_CHECK(q.ran, "%s: q8 cannot run it with all activations as outputs: %s", name.c_str(),
          q.message.c_str());
  if (!q.ran) return false;
  values->assign(g->n_tensors, Bytes());
  for (int32_t i = 0; i < g->n_inputs; i++) (*values)[g->inputs[i]] = inputs[i].bytes;
  for (size_t i = 0; i < out.size(); i++) (*values)[out[i]] = q.outputs[i];
  return true;
}

// One node as a model of its own, run by Arm NN and by q8 on q8's activations; returns the
// largest difference of Arm NN's output from q8's (-1 when it could not be compared).
long check_node(armnn::IRuntime *runtime, const std::string &name, const q8_graph *g, int32_t n,
                const std::vector<Bytes> &values) {
  q8_node *node = &g->nodes[n];
  std::string what = name + " node " + std::to_string(n) + " (" + q8_op_name(node->kind) + ")";
  std::vector<int32_t> in, out(node->outputs, node->outputs + node->n_outputs);
  std::vector<Tensor> inputs;
  for (int32_t k = 0; k < node->n_inputs; k++) {
    int32_t t = node->inputs[k];
    if (t < 0 || g->tensors[t].data != nullptr) continue;  // absent or constant
    if (std::find(in.begin(), in.end(), t) != in.end()) continue;
    in.push_back(t);
    // The type only steers fill_seeded, which is not called here.
    inputs.push_back({g->tensors[t].name, armnn::DataType::QAsymmS8, values[t], 0});
  }
  Bytes model = write_view(view_of(g, node, 1, in, out), what);
  if (model.empty()) return -1;
  ArmnnResult a = run_armnn(runtime, model, inputs);
  T_CHECK(a.accepted, "%s: Arm NN refuses q8's one-operator model: %s", what.c_str(),
          a.refusal.c_str());
  Q8Result q = run_q8(model, inputs);
  T_CHECK(q.ran, "%s: q8 cannot run its one-operator model: %s", what.c_str(), q.message.c_str());
  if (!a.accepted || !q.ran || q.outputs.size() != out.size()) return -1;
  long worst = 0;
  for (size_t k = 0; k < out.size(); k++) {
    T_CHECK(q.outputs[k] == values[out[k]], "%s: q8 alone differs from q8 in the network",
            what.c_str());
    Difference d = difference(a.outputs[k], q.outputs[k], nullptr);
    T_CHECK(d.same_size && d.max <= kToleranceLsb,
            "%s: Arm NN differs from q8 by %ld %s in %zu of %zu elements (tolerance %ld)",
            what.c_str(), d.max, unit_of(a.outputs[k].type), d.differing, d.count, kToleranceLsb);
    worst = d.same_size ? std::max(worst, d.max) : -1;
  }
  return worst;
}

// The worst per-operator difference over the network as table text ("1 LSB (4/31 ops)").
std::string check_each_operator(armnn::IRuntime *runtime, const std::string &name,
                                const Bytes &written, const std::vector<Tensor> &inputs) {
  q8_error err = {{0}};
  q8_graph *g = nullptr;
  if (q8_tflite_read(written.data(), written.size(), &g, &err) != Q8_OK) {
    T_CHECK(false, "%s: q8 cannot read its rewrite: %s", name.c_str(), err.message);
    return "read!";
  }
  std::vector<Bytes> values;
  std::string text = "-";
  if (q8_activations(name, g, inputs, &values)) {
    long worst = 0;
    int32_t off_by_some = 0, not_compared = 0;
    for (int32_t n = 0; n < g->n_nodes; n++) {
      long d = check_node(runtime, name, g, n, values);
      worst = std::max(worst, d);
      off_by_some += d > 0;
      not_compared += d < 0;
    }
    text = std::to_string(worst) + " LSB (" + std::to_string(off_by_some) + "/" +
           std::to_string(g->n_nodes) + " ops)";
    if (not_compared > 0) text = std::to_string(not_compared) + " ops failed";
  }
  q8_graph_free(g);
  return text;
}

Row run_case(armnn::IRuntime *runtime, const Case &c, uint64_t seed) {
  Row row;
  row.name = c.name;
  Bytes original;
  if (!read_bytes(c.model_path, &original)) {
    T_CHECK(false, "%s: cannot read %s", c.name.c_str(), c.model_path.c_str());
    return row;
  }
  Bytes written = q8_rewrite(c.name, original);
  if (written.empty()) return row;

  std::string why;
  std::vector<Tensor> inputs = armnn_inputs(original, &why);
  if (inputs.empty()) inputs = armnn_inputs(written, &why);
  bool have_inputs = !inputs.empty();
  if (have_inputs && !c.input_paths.empty()) have_inputs = fill_from_files(c, &inputs);
  else if (have_inputs) fill_seeded(&inputs, seed);

  ArmnnResult a_orig, a_written;
  if (have_inputs) {
    a_orig = run_armnn(runtime, original, inputs);
    a_written = run_armnn(runtime, written, inputs);
  } else {
    a_orig.refusal = a_written.refusal = why;
  }
  row.original = a_orig.accepted ? "yes" : a_orig.parsed ? "parsed" : "no";
  row.written = a_written.accepted ? "yes" : a_written.parsed ? "parsed" : "no";
  T_CHECK(a_orig.parsed == a_written.parsed,
          "%s: Arm NN's TfLite parser %s the original but %s q8's rewrite", c.name.c_str(),
          a_orig.parsed ? "takes" : "refuses", a_written.parsed ? "takes" : "refuses");
  T_CHECK(!a_orig.accepted || a_written.accepted,
          "%s: Arm NN accepts the original but refuses q8's rewrite: %s", c.name.c_str(),
          a_written.refusal.c_str());
  if (!a_orig.accepted) row.note = "original refused: " + a_orig.refusal;
  if (!a_written.accepted) {
    row.note += (row.note.empty() ? "" : "; ") + std::string("written refused: ") +
                a_written.refusal;
    return row;
  }

  // The rewrite means the same to Arm NN: its outputs are bit-identical.
  if (a_orig.accepted) {
    bool same = a_orig.outputs.size() == a_written.outputs.size();
    for (size_t i = 0; same && i < a_orig.outputs.size(); i++) {
      same = a_orig.outputs[i].bytes == a_written.outputs[i].bytes;
    }
    T_CHECK(same, "%s: Arm NN's outputs for the original and q8's rewrite differ", c.name.c_str());
  }

  size_t explained_q8 = 0, explained_expected = 0;
  Q8Result q = run_q8(written, inputs);
  bool network = q.ran && node_count(written) > 1;
  if (network) row.per_op = check_each_operator(runtime, c.name, written, inputs);
  if (q.ran) {
    // A network's end-to-end difference is reported; its operators are checked one by one.
    row.vs_q8 = compare(c.name, "q8", a_written, q.outputs, &explained_q8, !network);
  } else {
    T_CHECK(q.needs_float, "%s: q8 cannot run its own rewrite: %s", c.name.c_str(),
            q.message.c_str());
    row.vs_q8 = "(q8: float)";
  }
  if (!c.expected_path.empty()) {
    Bytes expected;
    bool ok = read_bytes(c.expected_path, &expected);
    T_CHECK(ok, "%s: cannot read %s", c.name.c_str(), c.expected_path.c_str());
    if (ok) row.vs_expected = compare(c.name, "expected.bin", a_written, {expected},
                                      &explained_expected);
  }
  size_t explained = std::max(explained_q8, explained_expected);
  if (const KnownDefect *defect = known_defect(c.name)) {
    // The defect is real, or the entry is stale and should go.
    T_CHECK(explained > 0, "%s: the known Arm NN defect (%s) no longer shows", c.name.c_str(),
            defect->what);
    row.note = "Arm NN 20.08: " + std::string(defect->what) + " (" + std::to_string(explained) +
               " elements, left out)";
  }
  return row;
}

bool exists(const std::string &path) {
  FILE *f = fopen(path.c_str(), "rb");
  if (f != nullptr) fclose(f);
  return f != nullptr;
}

std::vector<Case> all_cases(const std::string &root) {
  std::vector<Case> cases;
  t_model_path *models = nullptr;
  int n = t_shared_models(root.c_str(), &models);
  for (int i = 0; i < n; i++) {
    const t_model_path &m = models[i];
    if (m.case_dir[0] == '\0') {
      cases.push_back({m.name, m.path, {}, ""});
      continue;
    }
    std::string base = std::string(m.case_dir) + "/";
    Case c{std::string(m.name).substr(4), m.path, {base + "input0.bin"}, base + "expected.bin"};
    if (exists(base + "input1.bin")) c.input_paths.push_back(base + "input1.bin");
    cases.push_back(c);
  }
  free(models);
  return cases;
}

void print_table(const std::vector<Row> &rows) {
  printf("\n%-30s %-8s %-7s %-16s %-18s %-14s %s\n", "case", "original", "written", "vs q8",
         "vs q8 per op", "vs expected", "note");
  for (const Row &r : rows) {
    printf("%-30s %-8s %-7s %-16s %-18s %-14s %s\n", r.name.c_str(), r.original.c_str(),
           r.written.c_str(), r.vs_q8.empty() ? "-" : r.vs_q8.c_str(),
           r.per_op.empty() ? "-" : r.per_op.c_str(),
           r.vs_expected.empty() ? "-" : r.vs_expected.c_str(), r.note.c_str());
  }
}

bool has_cpuref(armnn::IRuntime *runtime) {
  const armnn::BackendIdSet &backends = runtime->GetDeviceSpec().GetSupportedBackends();
  return backends.count(armnn::BackendId(armnn::Compute::CpuRef)) > 0;
}

}  // namespace

int main() {
  char buf[1024];
  if (t_testdata_path(".", buf, sizeof buf) == nullptr) {
    return t_skip(kTestName, "the shared test data is absent");
  }
  std::string root(buf);

  armnn::ConfigureLogging(true, false, armnn::LogSeverity::Fatal);
  armnn::IRuntimePtr runtime = armnn::IRuntime::Create(armnn::IRuntime::CreationOptions());
  if (!has_cpuref(runtime.get())) {
    const char *reason = "Arm NN's CpuRef backend is absent (Debian libarmnn-cpuref-backend22)";
    if (!t_test_deps_required()) return t_skip(kTestName, reason);
    fprintf(stderr, "FAIL: %s: %s although the test command installs it\n", kTestName, reason);
    return 1;
  }

  uint64_t seed = t_seed(20240607);
  std::vector<Row> rows;
  for (const Case &c : all_cases(root)) rows.push_back(run_case(runtime.get(), c, seed));
  T_CHECK(rows.size() >= 10, "only %zu models found under %s", rows.size(), root.c_str());
  print_table(rows);
  return t_finish();
}

#endif
