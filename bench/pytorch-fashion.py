#!/usr/bin/python3
"""The reference recipe of ../shared/reference-models.md in PyTorch 1.13, for comparison with q8.

Trains fm-cnn, fm-mobilenet or fm-resnet on Fashion-MNIST in float (SGD momentum 0.9, batch
64, weight decay 5e-4 on conv/fc weights, lr 0.05 cosine to 0 per step, 5 epochs), quantizes
the float model without retraining (PTQ: ranges from 1,000 training images), then trains it
with simulated quantization from the float weights (QAT: 2 epochs, lr 0.005 cosine, fake
quantized weights and activations, batch norm folded, batch norm and activation ranges frozen
for the last half epoch), and reports the test accuracy of the float, PTQ int8 and QAT int8
models (the int8 ones converted by torch.ao.quantization and run with PyTorch's quantized
engine) with seconds per epoch and images/s per phase.

Only Debian packages: python3-torch (1.13) and python3-numpy; the data set is Debian's
dataset-fashion-mnist (gzipped IDX files). bench/pytorch-fashion.sh runs the three models.

Eager-mode quantization as PyTorch documents it (QuantStub/DeQuantStub, fuse_modules_qat,
prepare_qat, convert), with three additions PyTorch 1.13 lacks, all small subclasses of its own
modules: conv + batch norm + ReLU6 as one fused module (PyTorch fuses ReLU only: a separate
ReLU6 would quantize the convolution's output twice, where TFLite fuses the clamp), a residual
addition followed by ReLU6 likewise, and TensorFlow's SAME padding (asymmetric for stride 2).
"""
import argparse
import copy
import gzip
import json
import math
import os
import sys
import time

import numpy as np

# OpenMP threads that busy-wait between parallel regions lose most of their time when another
# job holds the other core (fm-cnn at 2 threads on the shared 2-core machine: 93 images/s
# spinning, 389 passive); q8's workers spin only briefly. OMP_WAIT_POLICY=active restores it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402 (after the OpenMP setting, which libgomp reads when it loads)
import torch.ao.quantization as tq
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.intrinsic as nni
import torch.nn.intrinsic.qat as nniqat
import torch.nn.intrinsic.quantized as nniq
import torch.nn.quantized as nnq
from torch.ao.quantization.fuse_modules import _fuse_modules

BATCH = 64
CLASSES = 10
DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"


# ---- data ----

def read_idx(path):
    """An IDX file (gzipped or not) as a numpy array of uint8."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise SystemExit(f"{path}: not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if array.size != int(np.prod(dims)):
        raise SystemExit(f"{path}: {array.size} bytes of data, header says {dims}")
    return array.reshape(dims)


def find_file(directory, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise SystemExit(f"{stem}(.gz) not in {directory} (Debian: apt-get install dataset-fashion-mnist)")


def load_split(directory, prefix, limit):
    images = read_idx(find_file(directory, prefix + "-images-idx3-ubyte"))
    labels = read_idx(find_file(directory, prefix + "-labels-idx1-ubyte"))
    if limit:
        images, labels = images[:limit], labels[:limit]
    # x / 255, no other normalisation; NCHW with one channel.
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1).contiguous()
    return x, torch.from_numpy(labels.astype(np.int64))


# ---- the models ----

def same_pads(size, kernel, stride):
    """TensorFlow SAME: output ceil(size / stride); the smaller half of the padding before."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class Pad(nn.Module):
    """Zero padding (before, after) on both spatial axes; quantized tensors pad with their zero
    point, i.e. real 0."""

    def __init__(self, before, after):
        super().__init__()
        self.pads = (before, after, before, after)

    def forward(self, x):
        return F.pad(x, self.pads)


class ConvUnit(nn.Module):
    """conv KxK (groups = channels for depthwise) without bias, BN, optionally ReLU6."""

    def __init__(self, cin, cout, kernel, stride, size, groups=1, relu6=True):
        super().__init__()
        before, after, self.out_size = same_pads(size, kernel, stride)
        symmetric = before == after
        self.pad = nn.Identity() if symmetric else Pad(before, after)
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding=before if symmetric else 0,
                              groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)  # momentum 0.1, eps 1e-5: the recipe's (and q8's)
        self.act = nn.ReLU6() if relu6 else nn.Identity()
        self.relu6 = relu6

    def forward(self, x):
        return self.act(self.bn(self.conv(self.pad(x))))

    def fusion(self, prefix):
        names = [prefix + "conv", prefix + "bn"]
        return names + [prefix + "act"] if self.relu6 else names


class AddReLU6(nnq.FloatFunctional):
    """relu6(x + y) with one quantization point after the clamp, as TFLite fuses it."""

    def add_relu6(self, x, y):
        return self.activation_post_process(F.relu6(torch.add(x, y)))


class QuantizedAddReLU6(nnq.QFunctional):
    """The converted AddReLU6: the output grid's top is the observed maximum (at most 6), so
    saturation clamps at 6 and add_relu clamps at 0."""

    def add_relu6(self, x, y):
        return torch.ops.quantized.add_relu(x, y, scale=self.scale, zero_point=self.zero_point)

    @classmethod
    def from_float(cls, mod):
        scale, zero_point = mod.activation_post_process.calculate_qparams()
        q = cls()
        q.scale, q.zero_point = float(scale), int(zero_point)
        return q


class Block(nn.Module):
    """block(C): conv 3x3, BN, relu6; conv 3x3, BN; add the input; relu6."""

    def __init__(self, channels, size):
        super().__init__()
        self.a = ConvUnit(channels, channels, 3, 1, size)
        self.b = ConvUnit(channels, channels, 3, 1, size, relu6=False)
        self.add = AddReLU6()
        self.out_size = size

    def forward(self, x):
        return self.add.add_relu6(self.b(self.a(x)), x)


class Net(nn.Module):
    def __init__(self, body, features):
        super().__init__()
        self.quant = tq.QuantStub()
        self.body = nn.Sequential(*body)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(features, CLASSES)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.body(self.quant(x))
        return self.dequant(self.fc(torch.flatten(self.gap(x), 1)))


def layers(spec, size=28, cin=1):
    """spec: ("conv", cout, stride) | ("dw", stride) | ("pw", cout) | ("block",)."""
    body = []
    for kind, *args in spec:
        if kind == "conv":
            unit = ConvUnit(cin, args[0], 3, args[1], size)
        elif kind == "dw":
            unit = ConvUnit(cin, cin, 3, args[0], size, groups=cin)
        elif kind == "pw":
            unit = ConvUnit(cin, args[0], 1, 1, size)
        else:
            unit = Block(cin, size)
        body.append(unit)
        size = unit.out_size
        cin = unit.conv.out_channels if isinstance(unit, ConvUnit) else cin
    return body, cin


MODELS = {
    "fm-cnn": [("conv", 32, 1), ("conv", 32, 2), ("conv", 64, 1), ("conv", 64, 2)],
    "fm-mobilenet": [("conv", 32, 1), ("dw", 2), ("pw", 64), ("dw", 1), ("pw", 64), ("dw", 2),
                     ("pw", 128), ("dw", 1), ("pw", 128)],
    "fm-resnet": [("conv", 16, 1), ("block",), ("conv", 32, 2), ("block",), ("conv", 64, 2),
                  ("block",)],
}


def build(name, seed):
    torch.manual_seed(seed)
    body, features = layers(MODELS[name])
    model = Net(body, features)
    # q8's initialisation: weights PyTorch's default (kaiming_uniform, a = sqrt(5): uniform on
    # +-1/sqrt(fan_in)), biases zero (PyTorch's default draws the fc bias too).
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
            nn.init.zeros_(m.bias)
    return model


# ---- quantization: fused conv + BN + ReLU6 as PyTorch's fused ReLU modules ----

class ConvBnReLU6(nni._FusedModule):
    """The float fused module (conv, bn, relu6), produced by fuse_modules_qat."""

    def __init__(self, conv, bn, relu6):
        super().__init__(conv, bn, relu6)


def fuse_conv_bn_relu6(is_qat, conv, bn, relu6):
    return ConvBnReLU6(conv, bn, relu6)


class QatConvBnReLU6(nniqat.ConvBnReLU2d):
    """PyTorch's QAT conv + folded BN (weights scaled by gamma / running std, fake-quantized,
    batch statistics until frozen), clamped at 6."""
    _FLOAT_MODULE = ConvBnReLU6
    _FLOAT_RELU_MODULE = nn.ReLU6

    def forward(self, x):
        return F.relu6(nniqat.ConvBn2d._forward(self, x))


class QuantizedConvReLU6(nniq.ConvReLU2d):
    """The converted QatConvBnReLU6: BN folded into the weights (PyTorch's own from_float does
    it for _NNIQAT_CONV_BN_MODULE); conv2d_relu clamps at 0, the output grid (observed after the
    clamp, top at most 6) saturates at 6."""
    _FLOAT_MODULE = ConvBnReLU6
    _NNIQAT_CONV_BN_MODULE = QatConvBnReLU6


QAT_MAPPING = dict(tq.get_default_qat_module_mappings())
QAT_MAPPING[ConvBnReLU6] = QatConvBnReLU6
INT8_MAPPING = dict(tq.get_default_static_quant_module_mappings())
INT8_MAPPING.update({QatConvBnReLU6: QuantizedConvReLU6, AddReLU6: QuantizedAddReLU6})


def qconfigs(observer):
    """observer: activation range observer. Returns (default, fully connected, input) qconfigs:
    activations uint8 asymmetric (equivalent to TFLite's int8 with zero point shifted by 128),
    weights int8 symmetric in [-127, 127] (TFLite's int8 weights) from their current values
    (averaging constant 1), per output channel for convolutions, per tensor for fc."""
    act = tq.FakeQuantize.with_args(observer=observer, quant_min=0, quant_max=255,
                                    dtype=torch.quint8, qscheme=torch.per_tensor_affine)
    conv_w = tq.FakeQuantize.with_args(
        observer=tq.MovingAveragePerChannelMinMaxObserver, averaging_constant=1.0, quant_min=-127,
        quant_max=127, dtype=torch.qint8, qscheme=torch.per_channel_symmetric, ch_axis=0)
    fc_w = tq.FakeQuantize.with_args(
        observer=tq.MovingAverageMinMaxObserver, averaging_constant=1.0, quant_min=-127,
        quant_max=127, dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)
    # The image input is not learned: scale 1/255, zero point 0, every pixel exact.
    image = tq.FixedQParamsFakeQuantize.with_args(observer=tq.FixedQParamsObserver.with_args(
        scale=1.0 / 255, zero_point=0, dtype=torch.quint8, quant_min=0, quant_max=255))
    return (tq.QConfig(activation=act, weight=conv_w), tq.QConfig(activation=act, weight=fc_w),
            tq.QConfig(activation=image, weight=conv_w))


def prepare(float_model, observer):
    """A QAT-ready copy of the float model: conv+BN(+ReLU6) fused, fake quantization attached."""
    m = copy.deepcopy(float_model).train()
    groups = []
    for name, mod in m.named_modules():
        if isinstance(mod, ConvUnit):
            groups.append(mod.fusion(name + "."))
    # fuse_modules_qat of 1.13 drops fuse_custom_config_dict; the function behind it does not.
    _fuse_modules(m, groups, is_qat=True, inplace=True, fuse_custom_config_dict={
        "additional_fuser_method_mapping": {(nn.Conv2d, nn.BatchNorm2d, nn.ReLU6): fuse_conv_bn_relu6}})
    default, fc, image = qconfigs(observer)
    m.qconfig, m.fc.qconfig, m.quant.qconfig = default, fc, image
    tq.prepare_qat(m, mapping=QAT_MAPPING, inplace=True)
    for mod in m.modules():  # prepare observes FloatFunctional by exact type, not subclasses
        if isinstance(mod, AddReLU6):
            mod.activation_post_process = mod.qconfig.activation()
    return m


def freeze_bn_and_ranges(m):
    """Batch norm on its moving statistics, activation ranges fixed; weight grids keep following
    the weights (as the recipe and q8 do)."""
    for name, mod in m.named_modules():
        if isinstance(mod, nniqat.ConvBn2d):
            mod.freeze_bn_stats()
        if isinstance(mod, tq.FakeQuantizeBase) and not name.endswith("weight_fake_quant"):
            mod.disable_observer()


def to_int8(qat_model):
    return tq.convert(copy.deepcopy(qat_model).eval(), mapping=INT8_MAPPING)


# ---- training and evaluation ----

def cosine_lr(base, step, total):
    """q8t_cosine_lr: per step, from base at step 0 towards 0 at step total."""
    return base * 0.5 * (1.0 + math.cos(math.pi * step / total)) if step < total else 0.0


def sgd(model, lr):
    """Weight decay on conv / fc weights only (the tensors with more than one dimension)."""
    decay = [p for p in model.parameters() if p.dim() > 1]
    rest = [p for p in model.parameters() if p.dim() <= 1]
    return torch.optim.SGD([{"params": decay, "weight_decay": 5e-4},
                            {"params": rest, "weight_decay": 0.0}], lr=lr, momentum=0.9)


def train_phase(model, x, y, epochs, base_lr, seed, label, on_step=None, log=print):
    """epochs of SGD with the cosine schedule per step; returns (wall, CPU) seconds per epoch:
    on a shared machine the process's CPU time shows what the wall time lost to other jobs."""
    opt = sgd(model, base_lr)
    steps_per_epoch = (len(x) + BATCH - 1) // BATCH
    total = steps_per_epoch * epochs
    generator = torch.Generator().manual_seed(seed)
    seconds = []
    step = 0
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        start, cpu_start = time.perf_counter(), time.process_time()
        loss_sum, correct = 0.0, 0
        for first in range(0, len(x), BATCH):
            if on_step is not None:
                on_step(model, step)
            index = order[first:first + BATCH]
            xb, yb = x[index], y[index]
            for group in opt.param_groups:
                group["lr"] = cosine_lr(base_lr, step, total)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(index)
            correct += int((logits.argmax(1) == yb).sum())
            step += 1
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        seconds.append((wall, cpu))
        log(f"{label} epoch {epoch + 1}/{epochs}: loss {loss_sum / len(x):.4f}, train accuracy "
            f"{100 * correct / len(x):.2f}%, {wall:.1f} s ({len(x) / wall:.0f} images/s; "
            f"CPU {cpu:.1f} s)")
    return seconds


@torch.no_grad()
def accuracy(model, x, y, batch=256):
    model.eval()
    correct = 0
    for first in range(0, len(x), batch):
        correct += int((model(x[first:first + batch]).argmax(1) == y[first:first + batch]).sum())
    return correct / len(x)


@torch.no_grad()
def calibrate(model, x, count):
    """PTQ ranges: the union of the batches' min/max over count training images, inference mode
    (batch norm's moving statistics), no fake quantization (q8t_calibrate's procedure)."""
    model.eval()
    model.apply(tq.disable_fake_quant)
    for first in range(0, min(count, len(x)), BATCH):
        model(x[first:min(first + BATCH, count)])


def timed_accuracy(model, x, y):
    start = time.perf_counter()
    acc = accuracy(model, x, y)
    return acc, time.perf_counter() - start


# ---- the run ----

def choose_engine(asked):
    engines = torch.backends.quantized.supported_engines
    if asked == "auto":
        asked = next((e for e in ("fbgemm", "x86", "onednn", "qnnpack") if e in engines), None)
    if asked not in engines:
        raise SystemExit(f"quantized engine {asked!r} not in this PyTorch: {engines}")
    torch.backends.quantized.engine = asked
    return asked


def record(r, phase, images, seconds):
    wall = sum(s[0] for s in seconds) / len(seconds)
    r[phase + "_s_per_epoch"] = wall
    r[phase + "_cpu_s_per_epoch"] = sum(s[1] for s in seconds) / len(seconds)
    r[phase + "_images_per_s"] = images / wall


def run(args, log=print):
    torch.set_num_threads(args.threads)
    engine = choose_engine(args.engine)
    x, y = load_split(args.data, "train", args.limit)
    tx, ty = load_split(args.data, "t10k", args.test_limit)
    model = build(args.model, args.seed)
    params = sum(p.numel() for p in model.parameters())
    log(f"{args.model}: {params} parameters; {len(x)} training, {len(tx)} test images; "
        f"{args.threads} thread(s) (OMP_WAIT_POLICY {os.environ['OMP_WAIT_POLICY']}); "
        f"torch {torch.__version__}, quantized engine {engine}")
    r = {"model": args.model, "threads": args.threads, "train_images": len(x),
         "test_images": len(tx), "epochs": args.epochs, "qat_epochs": args.qat_epochs,
         "torch": torch.__version__, "engine": engine}

    record(r, "float", len(x), train_phase(model, x, y, args.epochs, 0.05, args.seed, "float",
                                           log=log))
    r["float_accuracy"], r["float_eval_s"] = timed_accuracy(model, tx, ty)
    log(f"float test accuracy {100 * r['float_accuracy']:.2f}%")

    ptq = prepare(model, tq.MinMaxObserver)
    calibrate(ptq, x, args.calibration)
    int8 = to_int8(ptq)
    r["ptq_accuracy"], r["int8_eval_s"] = timed_accuracy(int8, tx, ty)
    log(f"PTQ int8 test accuracy {100 * r['ptq_accuracy']:.2f}% (ranges from "
        f"{min(args.calibration, len(x))} training images; int8 inference "
        f"{len(tx) / r['int8_eval_s']:.0f} images/s)")

    if args.qat_epochs > 0:
        qat = prepare(model, tq.MovingAverageMinMaxObserver)
        steps_per_epoch = (len(x) + BATCH - 1) // BATCH
        freeze = max(steps_per_epoch * args.qat_epochs - steps_per_epoch // 2, 0)
        def on_step(m, step):
            if step == freeze:
                freeze_bn_and_ranges(m)
        record(r, "qat", len(x), train_phase(qat, x, y, args.qat_epochs, 0.005,
                                             args.seed + 1000003, "QAT", on_step=on_step, log=log))
        r["fake_quant_accuracy"] = accuracy(qat, tx, ty)
        r["qat_accuracy"] = accuracy(to_int8(qat), tx, ty)
        log(f"QAT test accuracy: fake-quantized {100 * r['fake_quant_accuracy']:.2f}%, int8 "
            f"{100 * r['qat_accuracy']:.2f}%")
    return r


class StepClock:
    """Wall and CPU clocks at the start of every step of a phase (and at its end)."""

    def __init__(self):
        self.stamps = []

    def __call__(self, model, step):
        self.stamps.append((time.perf_counter(), time.process_time()))

    def report(self, name, first, end, warmup, images, log=print):
        """Steps [first + warmup, end) as bench-train-phases prints them."""
        start = min(first + warmup, end)
        per_epoch = (images + BATCH - 1) // BATCH
        counted = sum(min(BATCH, images - (s % per_epoch) * BATCH) for s in range(start, end))
        (w0, c0), (w1, c1) = self.stamps[start], self.stamps[end]
        log(f"phase {name} steps {end - start} images {counted} wall {w1 - w0:.4f} "
            f"cpu {c1 - c0:.4f}")


def speed_run(args, log=print):
    """--speed: the phases' timing only, as bench-train-phases measures q8: --epochs float
    epochs, then QAT for 2 x --epochs epochs with batch norm and ranges frozen after the first
    half; each phase timed from step --warmup + 1; no evaluation, no PTQ, no conversion."""
    torch.set_num_threads(args.threads)
    x, y = load_split(args.data, "train", args.limit)
    model = build(args.model, args.seed)
    steps = (len(x) + BATCH - 1) // BATCH * args.epochs
    log(f"{args.model}: {len(x)} training images, {args.threads} thread(s) (OMP_WAIT_POLICY "
        f"{os.environ['OMP_WAIT_POLICY']}), torch {torch.__version__}, batch {BATCH}")
    clock = StepClock()
    train_phase(model, x, y, args.epochs, 0.05, args.seed, "float", on_step=clock, log=log)
    clock(model, steps)
    clock.report("float", 0, steps, args.warmup, len(x), log)

    qat = prepare(model, tq.MovingAverageMinMaxObserver)
    clock = StepClock()

    def on_step(m, step):
        clock(m, step)
        if step == steps:
            freeze_bn_and_ranges(m)
    train_phase(qat, x, y, 2 * args.epochs, 0.005, args.seed + 1000003, "QAT", on_step=on_step,
                log=log)
    clock(qat, 2 * steps)
    clock.report("qat", 0, steps, args.warmup, len(x), log)
    clock.report("qat-frozen", steps, 2 * steps, args.warmup, len(x), log)


CSV_FIELDS = ["model", "threads", "train_images", "epochs", "qat_epochs", "float_accuracy",
              "ptq_accuracy", "qat_accuracy", "float_s_per_epoch", "qat_s_per_epoch",
              "float_images_per_s", "qat_images_per_s", "float_cpu_s_per_epoch",
              "qat_cpu_s_per_epoch", "engine", "torch"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=sorted(MODELS), default="fm-cnn")
    p.add_argument("--epochs", type=int, default=5, help="float epochs (default 5)")
    p.add_argument("--qat-epochs", type=int, default=2, help="QAT epochs (default 2; 0: none)")
    p.add_argument("--limit", type=int, default=0, help="first N training images (default all)")
    p.add_argument("--test-limit", type=int, default=0, help="first N test images (default all)")
    p.add_argument("--calibration", type=int, default=1000, help="PTQ calibration images")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data", default=DEFAULT_DATA, help="directory of the IDX files")
    p.add_argument("--engine", default="auto",
                   help="quantized engine: fbgemm (if built), onednn, qnnpack (default: auto)")
    p.add_argument("--json", action="store_true", help="end with a JSON object, not a CSV line")
    p.add_argument("--speed", action="store_true",
                   help="time the phases only (float, QAT before and after the freeze; "
                        "bench/train-vs-pytorch.sh): no evaluation, PTQ or conversion")
    p.add_argument("--warmup", type=int, default=5,
                   help="--speed: untimed steps at the start of each phase (default 5)")
    args = p.parse_args()
    if args.epochs < 1 or args.qat_epochs < 0 or args.threads < 1 or args.warmup < 0:
        p.error("--epochs >= 1, --qat-epochs >= 0, --threads >= 1, --warmup >= 0")
    torch.set_num_interop_threads(1)
    if args.speed:
        return speed_run(args, log=lambda line: print(line, flush=True))
    r = run(args, log=lambda line: print(line, flush=True))
    if args.json:
        print(json.dumps(r))
    else:
        def cell(v):
            return f"{v:.4f}" if isinstance(v, float) else str(v)
        print("# " + ",".join(CSV_FIELDS))
        print(",".join(cell(r.get(k, "")) for k in CSV_FIELDS))


if __name__ == "__main__":
    sys.exit(main())
