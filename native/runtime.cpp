// Process-wide settings: seeds, threads, versions, devices.
#include <malloc.h>
#include <torch/version.h>

#include "lethe.h"

namespace lethe {
namespace {

Napi::Value manualSeed(const Napi::CallbackInfo& info) {
  torch::manual_seed(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()));
  return info.Env().Undefined();
}

Napi::Value setNumThreads(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "setNumThreads: the thread count must be at least 1");
  at::set_num_threads(n);
  return info.Env().Undefined();
}

Napi::Value getNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

Napi::Value version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), TORCH_VERSION);
}

Napi::Value buildConfig(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), at::show_config());
}

Napi::Value parallelInfo(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), at::get_parallel_info());
}

Napi::Value cudaDeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count()));
}

// tuneMalloc(mmapThresholdBytes, trimThresholdBytes): glibc's allocator otherwise returns every large activation
// buffer to the kernel and faults it back in on the next step (tens of thousands of page faults per step).
Napi::Value tuneMalloc(const Napi::CallbackInfo& info) {
  const int mmapThreshold = info[0].As<Napi::Number>().Int32Value();
  const int trimThreshold = info[1].As<Napi::Number>().Int32Value();
  const bool ok = mallopt(M_MMAP_THRESHOLD, mmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, trimThreshold) == 1;
  return Napi::Boolean::New(info.Env(), ok);
}

}  // namespace

void initRuntime(Napi::Env env, Napi::Object exports) {
  LETHE_EXPORT(exports, "manualSeed", manualSeed);
  LETHE_EXPORT(exports, "setNumThreads", setNumThreads);
  LETHE_EXPORT(exports, "getNumThreads", getNumThreads);
  LETHE_EXPORT(exports, "version", version);
  LETHE_EXPORT(exports, "buildConfig", buildConfig);
  LETHE_EXPORT(exports, "parallelInfo", parallelInfo);
  LETHE_EXPORT(exports, "cudaDeviceCount", cudaDeviceCount);
  LETHE_EXPORT(exports, "tuneMalloc", tuneMalloc);
}

}  // namespace lethe
