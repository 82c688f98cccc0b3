// A CPU allocator that keeps freed large blocks for reuse.
//
// glibc maps every block above its mmap threshold afresh and unmaps it on free, and mallopt caps that threshold at
// 32 MB. A training step allocates the same large activation buffers every step (resnet20 at batch 1024: 51 MB
// each), so without a cache each step faults all of their pages in again, which halves the throughput
// (bench/batch-size.ts). Blocks of at least minBytes are kept on free, up to limitBytes in all, and handed out again
// for an allocation of exactly the same size; everything else is posix_memalign/free, as libtorch's default CPU
// allocator does. Policy (whether it is on, the sizes) is the caller's: installCpuCache / setCpuCacheLimit.
#include <c10/core/CPUAllocator.h>
#include <c10/core/alignment.h>

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "lethe.h"

namespace lethe {
namespace {

class LargeBlockCache final : public c10::Allocator {
 public:
  LargeBlockCache(size_t minBytes, size_t limitBytes) : minBytes_(minBytes), limitBytes_(limitBytes) {}

  // One deleter for every block, so that raw_deleter() holds (libtorch's raw_allocate/raw_deallocate rely on it).
  // Only large blocks are recorded: release() frees any pointer it has no size for, which keeps the map and its
  // insertion off the path of the many small tensors.
  c10::DataPtr allocate(size_t n) const override {
    void* p = nullptr;
    if (n >= minBytes_) {
      p = reuse(n);
      if (p == nullptr) p = fresh(n);
      std::lock_guard<std::mutex> lock(mutex_);
      sizes_[p] = n;
    } else {
      p = fresh(n);
    }
    return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &release; }

  void setLimit(size_t limitBytes) {
    std::vector<void*> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      limitBytes_ = limitBytes;
      evictLocked(drop);
    }
    for (void* p : drop) std::free(p);
  }

  void empty() {
    std::vector<void*> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& [size, blocks] : free_) drop.insert(drop.end(), blocks.begin(), blocks.end());
      free_.clear();
      cachedBytes_ = 0;
    }
    for (void* p : drop) std::free(p);
  }

  struct Stats {
    size_t minBytes, limitBytes, cachedBytes, hits, misses;
  };
  Stats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return {minBytes_, limitBytes_, cachedBytes_, hits_, misses_};
  }

  static LargeBlockCache* instance;

 private:
  void* reuse(size_t n) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(n);
    if (it == free_.end() || it->second.empty()) {
      misses_++;
      return nullptr;
    }
    void* p = it->second.back();
    it->second.pop_back();
    cachedBytes_ -= n;
    hits_++;
    return p;
  }

  void* fresh(size_t n) const {
    void* p = nullptr;
    // posix_memalign(0) may return null; libtorch's allocator asks for at least one byte too
    const size_t bytes = n == 0 ? 1 : n;
    if (posix_memalign(&p, c10::gAlignment, bytes) == 0) return p;
    // out of memory: give the cached blocks back to the system and try once more
    const_cast<LargeBlockCache*>(this)->empty();
    const int rc = posix_memalign(&p, c10::gAlignment, bytes);
    TORCH_CHECK(rc == 0, "out of memory: could not allocate ", n, " bytes of CPU memory");
    return p;
  }

  static void release(void* p) { instance->give(p); }

  void give(void* p) {
    bool keep = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = sizes_.find(p);
      const size_t n = it == sizes_.end() ? 0 : it->second;
      if (it != sizes_.end()) sizes_.erase(it);
      if (n >= minBytes_ && cachedBytes_ + n <= limitBytes_) {
        free_[n].push_back(p);
        cachedBytes_ += n;
        keep = true;
      }
    }
    if (!keep) std::free(p);
  }

  // frees cached blocks, largest sizes first, until the cache is within its limit
  void evictLocked(std::vector<void*>& drop) {
    while (cachedBytes_ > limitBytes_ && !free_.empty()) {
      auto largest = free_.begin();
      for (auto it = free_.begin(); it != free_.end(); ++it)
        if (it->first > largest->first) largest = it;
      while (!largest->second.empty() && cachedBytes_ > limitBytes_) {
        drop.push_back(largest->second.back());
        largest->second.pop_back();
        cachedBytes_ -= largest->first;
      }
      if (largest->second.empty()) free_.erase(largest);
    }
  }

  const size_t minBytes_;
  size_t limitBytes_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<void*, size_t> sizes_;                // the live large blocks and their sizes
  mutable std::unordered_map<size_t, std::vector<void*>> free_;    // kept blocks by exact size
  mutable size_t cachedBytes_ = 0;
  mutable size_t hits_ = 0;
  mutable size_t misses_ = 0;
};

LargeBlockCache* LargeBlockCache::instance = nullptr;

size_t byteCount(const Napi::CallbackInfo& info, size_t i, const char* what) {
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0) || v > 9.0e15) throw Napi::RangeError::New(info.Env(), std::string("cpu cache: ") + what + " must be a byte count >= 0");
  return static_cast<size_t>(v);
}

// installCpuCache(minBytes, limitBytes): makes the cache libtorch's CPU allocator; once per process. Tensors
// allocated before keep their own deleters, so installing late is safe.
Napi::Value installCpuCache(const Napi::CallbackInfo& info) {
  if (LargeBlockCache::instance != nullptr) throw Napi::Error::New(info.Env(), "cpu cache: already installed");
  const size_t minBytes = byteCount(info, 0, "minBytes");
  const size_t limitBytes = byteCount(info, 1, "limitBytes");
  if (minBytes == 0) throw Napi::RangeError::New(info.Env(), "cpu cache: minBytes must be at least 1");
  LargeBlockCache::instance = new LargeBlockCache(minBytes, limitBytes);  // owned by c10 for the process's life
  c10::SetCPUAllocator(LargeBlockCache::instance, /*priority=*/10);
  return info.Env().Undefined();
}

Napi::Value setCpuCacheLimit(const Napi::CallbackInfo& info) {
  if (LargeBlockCache::instance == nullptr) throw Napi::Error::New(info.Env(), "cpu cache: not installed");
  LargeBlockCache::instance->setLimit(byteCount(info, 0, "limitBytes"));
  return info.Env().Undefined();
}

Napi::Value emptyCpuCache(const Napi::CallbackInfo& info) {
  if (LargeBlockCache::instance != nullptr) LargeBlockCache::instance->empty();
  return info.Env().Undefined();
}

// { enabled, minBytes, limitBytes, cachedBytes, hits, misses }
Napi::Value cpuCacheStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  const LargeBlockCache* cache = LargeBlockCache::instance;
  out.Set("enabled", Napi::Boolean::New(env, cache != nullptr));
  const LargeBlockCache::Stats s = cache ? cache->stats() : LargeBlockCache::Stats{0, 0, 0, 0, 0};
  out.Set("minBytes", Napi::Number::New(env, static_cast<double>(s.minBytes)));
  out.Set("limitBytes", Napi::Number::New(env, static_cast<double>(s.limitBytes)));
  out.Set("cachedBytes", Napi::Number::New(env, static_cast<double>(s.cachedBytes)));
  out.Set("hits", Napi::Number::New(env, static_cast<double>(s.hits)));
  out.Set("misses", Napi::Number::New(env, static_cast<double>(s.misses)));
  return out;
}

}  // namespace

void initCpuCache(Napi::Env env, Napi::Object exports) {
  LETHE_EXPORT(exports, "installCpuCache", installCpuCache);
  LETHE_EXPORT(exports, "setCpuCacheLimit", setCpuCacheLimit);
  LETHE_EXPORT(exports, "emptyCpuCache", emptyCpuCache);
  LETHE_EXPORT(exports, "cpuCacheStats", cpuCacheStats);
}

}  // namespace lethe
