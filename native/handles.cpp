// Tensor handles: creation, disposal, the finalizer safety net, and the memory() counters.
#include <algorithm>
#include <unordered_map>

#include "lethe.h"

namespace lethe {
namespace {

// Live handles and the unique storages they keep alive. Bytes are counted once per storage, however many
// handles (views) refer to it, so memory().numBytes is what the tensors really hold.
struct StorageCount {
  int64_t handles = 0;
  int64_t bytes = 0;
};
int64_t liveHandles = 0;
int64_t liveBytes = 0;
std::unordered_map<const void*, StorageCount> storages;

// What V8 has been told about native memory. Reporting every allocation made one training step's temporaries
// (tens of MB, freed by dispose() within the step) push V8 past its external-memory limit and trigger a full GC
// every step (measured: 1-4% of a small CNN step). V8 only needs the coarse picture, to collect leaked wrappers
// when native memory really grows, so it is told in steps of at least 256 MB or half of what it knows.
int64_t reportedBytes = 0;

void reportToV8(Napi::BasicEnv env) {
  const int64_t drift = liveBytes - reportedBytes;
  const int64_t threshold = std::max<int64_t>(int64_t{256} << 20, reportedBytes / 2);
  if (drift > threshold || -drift > threshold) {
    Napi::MemoryManagement::AdjustExternalMemory(env, drift);
    reportedBytes = liveBytes;
  }
}

void count(Napi::Env env, Handle* h) {
  ++liveHandles;
  const at::Tensor& t = h->tensor;
  if (!t.defined() || !t.has_storage()) return;
  const void* key = t.storage().unsafeGetStorageImpl();
  StorageCount& entry = storages[key];
  if (entry.handles++ == 0) {
    entry.bytes = static_cast<int64_t>(t.storage().nbytes());
    liveBytes += entry.bytes;
    reportToV8(env);
  }
  h->storageKey = key;
}

void uncount(Napi::BasicEnv env, Handle* h) {
  --liveHandles;
  if (h->storageKey == nullptr) return;
  auto it = storages.find(h->storageKey);
  if (it != storages.end() && --it->second.handles == 0) {
    liveBytes -= it->second.bytes;
    reportToV8(env);
    storages.erase(it);
  }
  h->storageKey = nullptr;
}

// A basic finalizer: it only frees native memory and adjusts V8's external-memory count, both allowed during
// garbage collection, so Node runs it inside the GC that found the handle unreachable instead of queueing it
// for a setImmediate (which a loop that never yields would never reach: ~150 bytes held per tensor created).
void finalize(Napi::BasicEnv env, Handle* h) {
  release(env, h);
  delete h;
}

Napi::Value dispose(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), "dispose: expected a tensor handle");
  release(info.Env(), info[0].As<Napi::External<Handle>>().Data());
  return info.Env().Undefined();
}

Napi::Value memory(const Napi::CallbackInfo& info) {
  // Read the three counters before allocating any JS value: an allocation may run a GC, whose finalizers change them.
  const double tensors = static_cast<double>(liveHandles);
  const double bytes = static_cast<double>(liveBytes);
  const double numStorages = static_cast<double>(storages.size());
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("numTensors", Napi::Number::New(info.Env(), tensors));
  out.Set("numBytes", Napi::Number::New(info.Env(), bytes));
  out.Set("numStorages", Napi::Number::New(info.Env(), numStorages));
  return out;
}

}  // namespace

Napi::Value wrap(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Null();
  Handle* h = new Handle{std::move(tensor)};
  count(env, h);
  return Napi::External<Handle>::New(env, h, finalize);
}

void release(Napi::BasicEnv env, Handle* h) {
  if (!h->alive) return;
  h->alive = false;
  uncount(env, h);
  h->tensor.reset();
}

const at::Tensor& unwrap(const Napi::Value& value, const char* what) {
  if (!value.IsExternal()) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected a tensor");
  }
  Handle* h = value.As<Napi::External<Handle>>().Data();
  if (!h->alive) {
    throw Napi::Error::New(value.Env(), std::string(what) + ": the tensor was disposed and cannot be used");
  }
  return h->tensor;
}

void rethrow(Napi::Env env) {
  try {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  } catch (...) {
    throw Napi::Error::New(env, "unknown native error");
  }
}

void initHandles(Napi::Env env, Napi::Object exports) {
  LETHE_EXPORT(exports, "dispose", dispose);
  LETHE_EXPORT(exports, "memory", memory);
}

}  // namespace lethe
