// Data-parallel communication through libtorch's own c10d: a TCPStore for rendezvous, a Gloo process group,
// and the three collectives data-parallel training needs (all-reduce sum, broadcast, barrier).
//
// Thin and policy-free like the rest of the addon: who is master, which interface, bucket sizes and what to
// do on failure are decided in TypeScript (src/distributed). Every call blocks the calling thread until the
// collective completes or its timeout expires; every c10d/Gloo failure (peer gone, timeout, bad tensor)
// becomes a JS Error through LETHE_EXPORT's guard.
//
// A list of tensors is NOT passed to c10d as one vector: for c10d a vector means "one tensor per local
// device, reduce them together". Each tensor gets its own collective; they are all queued before the first
// wait, so Gloo pipelines them and every rank sees them in the same order.
#include <chrono>
#include <string>
#include <vector>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "lethe.h"

namespace lethe {
namespace {

using Millis = std::chrono::milliseconds;

struct StoreBox {
  c10::intrusive_ptr<c10d::TCPStore> store;
};

struct GroupBox {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  Millis timeout;
};

// Extra time given to Work::wait beyond the group's own timeout, so that Gloo's more precise error
// ("timed out waiting for recv from rank 1", "connection closed by peer") is the one reported.
const Millis kWaitMargin{2000};

int64_t integer(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d))) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an integer");
  }
  return static_cast<int64_t>(d);
}

Millis timeoutArg(const Napi::Value& v, const char* what) {
  int64_t ms = integer(v, what);
  if (ms < 1) throw Napi::RangeError::New(v.Env(), std::string(what) + " must be at least 1 ms");
  return Millis(ms);
}

StoreBox* storeArg(const Napi::Value& v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), "expected a TCPStore handle");
  StoreBox* box = v.As<Napi::External<StoreBox>>().Data();
  if (!box->store) throw Napi::Error::New(v.Env(), "the TCPStore was destroyed");
  return box;
}

GroupBox* groupArg(const Napi::Value& v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), "expected a process group handle");
  GroupBox* box = v.As<Napi::External<GroupBox>>().Data();
  if (!box->group) throw Napi::Error::New(v.Env(), "the process group was destroyed");
  return box;
}

std::vector<at::Tensor> tensorsArg(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an array of tensors");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(unwrap(a.Get(i), what));
  return out;
}

void waitAll(std::vector<c10::intrusive_ptr<c10d::Work>>& works, Millis timeout) {
  // Wait for every queued collective even after a failure, so none is left writing into a tensor that JS
  // may free; the first failure is rethrown afterwards.
  std::exception_ptr first;
  for (auto& w : works) {
    try {
      w->wait(timeout + kWaitMargin);
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

// storeCreate(host, port, isServer, worldSize, timeoutMs): the server listens on host:port (port 0 = any free
// port) and does not wait for the workers here (the process group's rendezvous does, with its timeout); a
// client retries connecting until timeoutMs.
Napi::Value storeCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "storeCreate: host must be a string");
  c10d::TCPStoreOptions opts;
  int64_t port = integer(info[1], "storeCreate: port");
  if (port < 0 || port > 65535) throw Napi::RangeError::New(env, "storeCreate: port must be in [0, 65535]");
  opts.port = static_cast<std::uint16_t>(port);
  opts.isServer = info[2].ToBoolean().Value();
  int64_t worldSize = integer(info[3], "storeCreate: worldSize");
  if (worldSize < 1) throw Napi::RangeError::New(env, "storeCreate: worldSize must be at least 1");
  opts.numWorkers = static_cast<std::size_t>(worldSize);
  opts.waitWorkers = false;
  opts.timeout = timeoutArg(info[4], "storeCreate: timeoutMs");
  auto store = c10::make_intrusive<c10d::TCPStore>(info[0].As<Napi::String>().Utf8Value(), opts);
  return Napi::External<StoreBox>::New(env, new StoreBox{std::move(store)}, [](Napi::BasicEnv, StoreBox* b) { delete b; });
}

Napi::Value storePort(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), storeArg(info[0])->store->getPort());
}

Napi::Value storeDestroy(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), "storeDestroy: expected a TCPStore handle");
  info[0].As<Napi::External<StoreBox>>().Data()->store.reset();
  return info.Env().Undefined();
}

// groupCreate(store, rank, size, device, timeoutMs): device is {interface: 'eth0'} or {hostname: '10.0.0.2'}
// (the address this rank's Gloo pairs bind to) or {} for Gloo's default (this machine's hostname, else
// loopback). Blocks until every rank has connected, or throws after timeoutMs.
Napi::Value groupCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  StoreBox* store = storeArg(info[0]);
  int64_t rank = integer(info[1], "groupCreate: rank");
  int64_t size = integer(info[2], "groupCreate: size");
  if (size < 1 || rank < 0 || rank >= size) throw Napi::RangeError::New(env, "groupCreate: need 0 <= rank < size");
  if (!info[3].IsObject()) throw Napi::TypeError::New(env, "groupCreate: device must be an object");
  Napi::Object device = info[3].As<Napi::Object>();
  Millis timeout = timeoutArg(info[4], "groupCreate: timeoutMs");
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  if (device.Has("interface") && device.Get("interface").IsString()) {
    opts->devices.push_back(
        c10d::ProcessGroupGloo::createDeviceForInterface(device.Get("interface").As<Napi::String>().Utf8Value()));
  } else if (device.Has("hostname") && device.Get("hostname").IsString()) {
    opts->devices.push_back(
        c10d::ProcessGroupGloo::createDeviceForHostname(device.Get("hostname").As<Napi::String>().Utf8Value()));
  } else {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  c10::intrusive_ptr<c10d::Store> base = store->store;
  auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(base, static_cast<int>(rank), static_cast<int>(size), opts);
  return Napi::External<GroupBox>::New(env, new GroupBox{std::move(group), timeout},
                                       [](Napi::BasicEnv, GroupBox* b) { delete b; });
}

Napi::Value groupDestroy(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), "groupDestroy: expected a process group handle");
  info[0].As<Napi::External<GroupBox>>().Data()->group.reset();
  return info.Env().Undefined();
}

// allReduceSum(group, tensors): every tensor becomes the element-wise sum of that tensor over all ranks, in place.
Napi::Value allReduceSum(const Napi::CallbackInfo& info) {
  GroupBox* box = groupArg(info[0]);
  std::vector<at::Tensor> tensors = tensorsArg(info[1], "allReduce");
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  works.reserve(tensors.size());
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp::SUM;
  opts.timeout = box->timeout;
  for (auto& t : tensors) {
    std::vector<at::Tensor> one{t};
    works.push_back(box->group->allreduce(one, opts));
  }
  waitAll(works, box->timeout);
  return info.Env().Undefined();
}

// broadcast(group, tensors, root): every tensor takes rank root's values, in place.
Napi::Value broadcast(const Napi::CallbackInfo& info) {
  GroupBox* box = groupArg(info[0]);
  std::vector<at::Tensor> tensors = tensorsArg(info[1], "broadcast");
  int64_t root = integer(info[2], "broadcast: root");
  if (root < 0 || root >= box->group->getSize()) {
    throw Napi::RangeError::New(info.Env(), "broadcast: root must be a rank of the group");
  }
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  works.reserve(tensors.size());
  c10d::BroadcastOptions opts;
  opts.rootRank = root;
  opts.rootTensor = 0;
  opts.timeout = box->timeout;
  for (auto& t : tensors) {
    std::vector<at::Tensor> one{t};
    works.push_back(box->group->broadcast(one, opts));
  }
  waitAll(works, box->timeout);
  return info.Env().Undefined();
}

Napi::Value barrier(const Napi::CallbackInfo& info) {
  GroupBox* box = groupArg(info[0]);
  c10d::BarrierOptions opts;
  opts.timeout = box->timeout;
  std::vector<c10::intrusive_ptr<c10d::Work>> works{box->group->barrier(opts)};
  waitAll(works, box->timeout);
  return info.Env().Undefined();
}

}  // namespace

void initDistributed(Napi::Env env, Napi::Object exports) {
  LETHE_EXPORT(exports, "distStoreCreate", storeCreate);
  LETHE_EXPORT(exports, "distStorePort", storePort);
  LETHE_EXPORT(exports, "distStoreDestroy", storeDestroy);
  LETHE_EXPORT(exports, "distGroupCreate", groupCreate);
  LETHE_EXPORT(exports, "distGroupDestroy", groupDestroy);
  LETHE_EXPORT(exports, "distAllReduceSum", allReduceSum);
  LETHE_EXPORT(exports, "distBroadcast", broadcast);
  LETHE_EXPORT(exports, "distBarrier", barrier);
}

}  // namespace lethe
