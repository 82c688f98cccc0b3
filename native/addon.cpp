// Entry point of the Lethe native addon.
#include "lethe.h"

namespace lethe {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  initHandles(env, exports);
  initDispatch(env, exports);
  initAutograd(env, exports);
  initBuffers(env, exports);
  initRuntime(env, exports);
  initSvm(env, exports);
  initDistributed(env, exports);
  initCpuCache(env, exports);
  return exports;
}

}  // namespace lethe

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return lethe::init(env, exports); }

NODE_API_MODULE(lethe, Init)
