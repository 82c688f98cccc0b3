// Autograd entry points: requires_grad, .grad, backward, autograd.grad and the (thread-local) grad mode.
#include "lethe.h"

namespace lethe {
namespace {

Napi::Value requiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrap(info[0], "requiresGrad").requires_grad());
}

Napi::Value setRequiresGrad(const Napi::CallbackInfo& info) {
  at::Tensor t = unwrap(info[0], "setRequiresGrad");
  t.set_requires_grad(info[1].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

Napi::Value isLeaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrap(info[0], "isLeaf").is_leaf());
}

Napi::Value getGrad(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), unwrap(info[0], "grad").grad());
}

Napi::Value setGrad(const Napi::CallbackInfo& info) {
  at::Tensor t = unwrap(info[0], "setGrad");
  if (info[1].IsNull() || info[1].IsUndefined()) {
    t.mutable_grad().reset();
  } else {
    t.mutable_grad() = unwrap(info[1], "setGrad");
  }
  return info.Env().Undefined();
}

Napi::Value gradFn(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrap(info[0], "gradFn");
  auto fn = t.grad_fn();
  if (!fn) return info.Env().Null();
  return Napi::String::New(info.Env(), fn->name());
}

std::vector<at::Tensor> tensors(const Napi::Value& v, const char* what, bool allowNull) {
  std::vector<at::Tensor> out;
  if (v.IsNull() || v.IsUndefined()) return out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value x = a.Get(i);
    out.push_back(allowNull && (x.IsNull() || x.IsUndefined()) ? at::Tensor() : unwrap(x, what));
  }
  return out;
}

// backward(tensor, gradient|null, retainGraph, createGraph)
Napi::Value backward(const Napi::CallbackInfo& info) {
  at::Tensor t = unwrap(info[0], "backward");
  std::vector<at::Tensor> grads;
  if (!(info[1].IsNull() || info[1].IsUndefined())) grads.push_back(unwrap(info[1], "backward gradient"));
  bool retain = info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  bool create = info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
  torch::autograd::backward({t}, grads, retain, create);
  return info.Env().Undefined();
}

// grad(outputs[], inputs[], gradOutputs[]|null, retainGraph, createGraph, allowUnused) -> (handle|null)[]
Napi::Value grad(const Napi::CallbackInfo& info) {
  auto outputs = tensors(info[0], "autograd.grad outputs", false);
  auto inputs = tensors(info[1], "autograd.grad inputs", false);
  auto gradOutputs = tensors(info[2], "autograd.grad gradOutputs", true);
  bool retain = info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
  bool create = info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
  bool allowUnused = info[5].IsBoolean() && info[5].As<Napi::Boolean>().Value();
  auto result = torch::autograd::grad(outputs, inputs, gradOutputs, retain, create, allowUnused);
  Napi::Array out = Napi::Array::New(info.Env(), result.size());
  for (size_t i = 0; i < result.size(); ++i) out.Set(static_cast<uint32_t>(i), wrap(info.Env(), result[i]));
  return out;
}

// setGradEnabled(bool) -> previous state. GradMode is thread-local; Lethe runs ops on the JS thread only.
Napi::Value setGradEnabled(const Napi::CallbackInfo& info) {
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(info[0].As<Napi::Boolean>().Value());
  return Napi::Boolean::New(info.Env(), previous);
}

Napi::Value isGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}

}  // namespace

void initAutograd(Napi::Env env, Napi::Object exports) {
  LETHE_EXPORT(exports, "requiresGrad", requiresGrad);
  LETHE_EXPORT(exports, "setRequiresGrad", setRequiresGrad);
  LETHE_EXPORT(exports, "isLeaf", isLeaf);
  LETHE_EXPORT(exports, "getGrad", getGrad);
  LETHE_EXPORT(exports, "setGrad", setGrad);
  LETHE_EXPORT(exports, "gradFn", gradFn);
  LETHE_EXPORT(exports, "backward", backward);
  LETHE_EXPORT(exports, "grad", grad);
  LETHE_EXPORT(exports, "setGradEnabled", setGradEnabled);
  LETHE_EXPORT(exports, "isGradEnabled", isGradEnabled);
}

}  // namespace lethe
