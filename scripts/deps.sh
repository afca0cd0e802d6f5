# Installs missing Debian packages (sourced by the other scripts; needs root or sudo).
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

Q8_BUILD_PACKAGES=(cmake ninja-build gcc g++ make ccache pkg-config zlib1g-dev libopenblas-dev)
Q8_TEST_PACKAGES=(libgemmlowp-dev flatbuffers-compiler libflatbuffers-dev qemu-user gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross
                  clang-14 libclang-rt-14-dev
                  dataset-fashion-mnist) # train/test-fashion and the main job's --quick check

# tflite/test-armnn: Arm NN's TfLite parser and its CpuRef backend (a plugin that no package
# depends on, so named here).
Q8_TEST_PACKAGES+=(libarmnntfliteparser-dev libarmnn-dev libarmnn-cpuref-backend22)

# Benchmark dependencies only (bench/peers.sh; the test command never needs them): the peer
# libraries bench-peers times beside q8.
Q8_BENCH_PACKAGES=(libdnnl-dev libxnnpack-dev libpthreadpool-dev)
