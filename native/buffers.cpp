// Moving data between JS memory and tensors, and reading tensor metadata.
#include <cstring>

#include "lethe.h"

namespace lethe {
namespace {

// fromBuffer(view: TypedArray|DataView|Buffer, dtype: int, shape: number[]) -> handle
// One copy: the bytes are copied into a tensor that libtorch owns, so the JS buffer may be reused at once.
Napi::Value fromBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() && !info[0].IsDataView() && !info[0].IsArrayBuffer()) {
    throw Napi::TypeError::New(env, "fromBuffer: expected a TypedArray, Buffer, DataView or ArrayBuffer");
  }
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (info[0].IsTypedArray()) {
    Napi::TypedArray view = info[0].As<Napi::TypedArray>();
    data = static_cast<const uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
    length = view.ByteLength();
  } else if (info[0].IsDataView()) {
    Napi::DataView view = info[0].As<Napi::DataView>();
    data = static_cast<const uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
    length = view.ByteLength();
  } else {
    Napi::ArrayBuffer buffer = info[0].As<Napi::ArrayBuffer>();
    data = static_cast<const uint8_t*>(buffer.Data());
    length = buffer.ByteLength();
  }
  auto dtype = static_cast<at::ScalarType>(info[1].As<Napi::Number>().Int32Value());
  Napi::Array js = info[2].As<Napi::Array>();
  std::vector<int64_t> shape(js.Length());
  int64_t numel = 1;
  for (uint32_t i = 0; i < js.Length(); ++i) {
    shape[i] = static_cast<int64_t>(js.Get(i).As<Napi::Number>().Int64Value());
    if (shape[i] < 0) throw Napi::RangeError::New(env, "fromBuffer: negative dimension in shape");
    numel *= shape[i];
  }
  const size_t expected = static_cast<size_t>(numel) * c10::elementSize(dtype);
  if (expected != length) {
    throw Napi::RangeError::New(env, "fromBuffer: the buffer holds " + std::to_string(length) +
                                         " bytes but shape and dtype need " + std::to_string(expected));
  }
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
  if (length > 0) std::memcpy(t.data_ptr(), data, length);
  return wrap(env, std::move(t));
}

// toBuffer(handle) -> ArrayBuffer with the tensor's elements in row-major order (copied to the CPU if needed)
Napi::Value toBuffer(const Napi::CallbackInfo& info) {
  at::Tensor t = unwrap(info[0], "toBuffer").detach().to(at::kCPU).contiguous();
  const size_t n = t.nbytes();
  Napi::ArrayBuffer out = Napi::ArrayBuffer::New(info.Env(), n);
  if (n > 0) std::memcpy(out.Data(), t.data_ptr(), n);
  return out;
}

Napi::Value item(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrap(info[0], "item");
  c10::Scalar s = t.item();
  if (s.isBoolean()) return Napi::Boolean::New(info.Env(), s.toBool());
  if (s.isIntegral(false)) return Napi::Number::New(info.Env(), static_cast<double>(s.toLong()));
  return Napi::Number::New(info.Env(), s.toDouble());
}

Napi::Value shape(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrap(info[0], "shape");
  Napi::Array out = Napi::Array::New(info.Env(), t.dim());
  for (int64_t i = 0; i < t.dim(); ++i) out.Set(static_cast<uint32_t>(i), static_cast<double>(t.size(i)));
  return out;
}

Napi::Value dtype(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(unwrap(info[0], "dtype").scalar_type()));
}

Napi::Value device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), unwrap(info[0], "device").device().str());
}

Napi::Value isContiguous(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrap(info[0], "isContiguous").is_contiguous());
}

// dataPtr(handle) -> address of the first element as a number: lets tests check aliasing (views, in-place ops).
Napi::Value dataPtr(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrap(info[0], "dataPtr");
  return Napi::Number::New(info.Env(), static_cast<double>(reinterpret_cast<uintptr_t>(t.data_ptr())));
}

}  // namespace

void initBuffers(Napi::Env env, Napi::Object exports) {
  LETHE_EXPORT(exports, "fromBuffer", fromBuffer);
  LETHE_EXPORT(exports, "toBuffer", toBuffer);
  LETHE_EXPORT(exports, "item", item);
  LETHE_EXPORT(exports, "shape", shape);
  LETHE_EXPORT(exports, "dtype", dtype);
  LETHE_EXPORT(exports, "device", device);
  LETHE_EXPORT(exports, "isContiguous", isContiguous);
  LETHE_EXPORT(exports, "dataPtr", dataPtr);
}

}  // namespace lethe
