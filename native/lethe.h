// Shared declarations of the Lethe native addon.
//
// The addon is deliberately thin: it owns tensor handles, converts JS values to libtorch values and back,
// and turns every C++ exception into a JS Error. All policy (names, defaults, memory scopes) lives in
// TypeScript.
#pragma once

// NAPI_EXPERIMENTAL (set by CMakeLists.txt, NAPI_VERSION_EXPERIMENTAL) makes Node call basic finalizers
// synchronously during garbage collection; NODE_ADDON_API_REQUIRE_BASIC_FINALIZERS makes any finalizer that
// could touch JS state a compile error, since it would have to be posted back to the event loop.
#include <napi.h>
#include <torch/torch.h>

namespace lethe {

// One JS-visible reference to a tensor. Several handles may alias the same storage (views, in-place results);
// each handle is disposed independently, and the storage is freed by libtorch's refcount.
struct Handle {
  at::Tensor tensor;
  bool alive = true;
  const void* storageKey = nullptr;  // the storage this handle was counted against in memory()
};

// Creates a JS handle for a tensor and counts it in memory(). Undefined tensors become `null`.
Napi::Value wrap(Napi::Env env, at::Tensor tensor);
// Returns the tensor behind a JS handle, or throws a JS TypeError naming `what` when it is not a live handle.
const at::Tensor& unwrap(const Napi::Value& value, const char* what);
// Releases a handle's tensor early (dispose); idempotent.
void release(Napi::BasicEnv env, Handle* handle);

// Converts a libtorch exception into a JS exception and rethrows it.
[[noreturn]] void rethrow(Napi::Env env);

// Each function family registers its entry points on the module exports.
void initHandles(Napi::Env env, Napi::Object exports);
void initDispatch(Napi::Env env, Napi::Object exports);
void initAutograd(Napi::Env env, Napi::Object exports);
void initBuffers(Napi::Env env, Napi::Object exports);
void initRuntime(Napi::Env env, Napi::Object exports);
void initSvm(Napi::Env env, Napi::Object exports);
void initDistributed(Napi::Env env, Napi::Object exports);
void initCpuCache(Napi::Env env, Napi::Object exports);

// Wraps an entry point so that any C++ exception (c10::Error, std::exception) becomes a JS Error
// carrying libtorch's message instead of terminating the process.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    rethrow(info.Env());
  }
}

#define LETHE_EXPORT(exports, name, fn) \
  (exports).Set(name, Napi::Function::New<::lethe::guarded<fn>>((exports).Env(), name))

}  // namespace lethe
