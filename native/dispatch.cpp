// Generic operator calls through libtorch's dispatcher.
//
// Instead of one hand-written C++ entry per op, JS looks an operator up once by its schema name
// ("aten::conv2d", overload "") and then calls it with positional JS arguments. Each argument is converted
// according to the operator's own schema (Tensor, Tensor?, Tensor[], int[], Scalar, ScalarType?, ...), missing
// trailing arguments take the schema's defaults, and the op runs boxed through the dispatcher, autograd
// included: exactly the path TorchScript uses. The native layer thus stays a converter with no op-specific code.
#include <ATen/core/dispatch/Dispatcher.h>

#include "lethe.h"

namespace lethe {
namespace {

std::vector<c10::OperatorHandle> operators;

std::string describe(const c10::OperatorHandle& op) {
  const auto& name = op.schema().operator_name();
  return name.overload_name.empty() ? name.name : name.name + "." + name.overload_name;
}

[[noreturn]] void badArgument(const Napi::Env& env, const c10::OperatorHandle& op, const c10::Argument& arg,
                              const std::string& expected) {
  throw Napi::TypeError::New(env, describe(op) + ": argument '" + arg.name() + "' must be " + expected +
                                      " (schema: " + c10::toString(op.schema()) + ")");
}

int64_t toInt(const Napi::Env& env, const c10::OperatorHandle& op, const c10::Argument& arg, const Napi::Value& v) {
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  if (!v.IsNumber()) badArgument(env, op, arg, "an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d))) badArgument(env, op, arg, "an integer");
  return static_cast<int64_t>(d);
}

c10::IValue convert(const Napi::Env& env, const c10::OperatorHandle& op, const c10::Argument& arg,
                    const c10::TypePtr& type, const Napi::Value& v);

c10::IValue convertList(const Napi::Env& env, const c10::OperatorHandle& op, const c10::Argument& arg,
                        const c10::TypePtr& elem, const Napi::Value& v) {
  // A single number where a fixed-size int list is expected (stride=2 for int[2]) repeats, as in Python.
  if (!v.IsArray()) {
    if (v.IsNumber() && (elem->kind() == c10::TypeKind::IntType || elem->kind() == c10::TypeKind::SymIntType)) {
      int64_t n = arg.N().value_or(1);
      return c10::IValue(std::vector<int64_t>(static_cast<size_t>(n), toInt(env, op, arg, v)));
    }
    badArgument(env, op, arg, "an array");
  }
  Napi::Array a = v.As<Napi::Array>();
  const uint32_t n = a.Length();
  switch (elem->kind()) {
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType: {
      std::vector<int64_t> out(n);
      for (uint32_t i = 0; i < n; ++i) out[i] = toInt(env, op, arg, a.Get(i));
      return c10::IValue(std::move(out));
    }
    case c10::TypeKind::FloatType: {
      std::vector<double> out(n);
      for (uint32_t i = 0; i < n; ++i) {
        Napi::Value x = a.Get(i);
        if (!x.IsNumber()) badArgument(env, op, arg, "an array of numbers");
        out[i] = x.As<Napi::Number>().DoubleValue();
      }
      return c10::IValue(std::move(out));
    }
    case c10::TypeKind::BoolType: {
      c10::List<bool> out;
      for (uint32_t i = 0; i < n; ++i) {
        Napi::Value x = a.Get(i);
        if (!x.IsBoolean()) badArgument(env, op, arg, "an array of booleans");
        out.push_back(x.As<Napi::Boolean>().Value());
      }
      return c10::IValue(std::move(out));
    }
    case c10::TypeKind::TensorType: {
      c10::List<at::Tensor> out;
      out.reserve(n);
      for (uint32_t i = 0; i < n; ++i) out.push_back(unwrap(a.Get(i), arg.name().c_str()));
      return c10::IValue(std::move(out));
    }
    case c10::TypeKind::OptionalType: {
      // Tensor?[] (advanced indexing)
      c10::List<c10::optional<at::Tensor>> out;
      for (uint32_t i = 0; i < n; ++i) {
        Napi::Value x = a.Get(i);
        if (x.IsNull() || x.IsUndefined()) {
          out.push_back(c10::nullopt);
        } else {
          out.push_back(unwrap(x, arg.name().c_str()));
        }
      }
      return c10::IValue(std::move(out));
    }
    default:
      badArgument(env, op, arg, "a list of a supported type, not " + elem->str());
  }
}

c10::IValue convert(const Napi::Env& env, const c10::OperatorHandle& op, const c10::Argument& arg,
                    const c10::TypePtr& type, const Napi::Value& v) {
  switch (type->kind()) {
    case c10::TypeKind::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return convert(env, op, arg, type->castRaw<c10::OptionalType>()->getElementType(), v);
    case c10::TypeKind::TensorType:
      return c10::IValue(unwrap(v, arg.name().c_str()));
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
    case c10::TypeKind::ScalarTypeType:
    case c10::TypeKind::LayoutType:
    case c10::TypeKind::MemoryFormatType:
      return c10::IValue(toInt(env, op, arg, v));
    case c10::TypeKind::FloatType:
      if (!v.IsNumber()) badArgument(env, op, arg, "a number");
      return c10::IValue(v.As<Napi::Number>().DoubleValue());
    case c10::TypeKind::BoolType:
      if (!v.IsBoolean()) badArgument(env, op, arg, "a boolean");
      return c10::IValue(v.As<Napi::Boolean>().Value());
    case c10::TypeKind::NumberType: {
      // A JS number that is an integer becomes an integral Scalar (as a Python int would), so that
      // `intTensor.add(1)` stays integral and `floatTensor.mul(2)` stays float.
      if (v.IsBoolean()) return c10::IValue(v.As<Napi::Boolean>().Value());
      if (!v.IsNumber()) badArgument(env, op, arg, "a number");
      double d = v.As<Napi::Number>().DoubleValue();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
        return c10::IValue(static_cast<int64_t>(d));
      }
      return c10::IValue(d);
    }
    case c10::TypeKind::StringType:
      if (!v.IsString()) badArgument(env, op, arg, "a string");
      return c10::IValue(v.As<Napi::String>().Utf8Value());
    case c10::TypeKind::DeviceObjType:
      if (!v.IsString()) badArgument(env, op, arg, "a device string");
      return c10::IValue(c10::Device(v.As<Napi::String>().Utf8Value()));
    case c10::TypeKind::ListType:
      return convertList(env, op, arg, type->castRaw<c10::ListType>()->getElementType(), v);
    case c10::TypeKind::GeneratorType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      badArgument(env, op, arg, "null (explicit generators are not supported; use manualSeed)");
    default:
      badArgument(env, op, arg, "of a supported type, not " + type->str());
  }
}

Napi::Value toJs(const Napi::Env& env, c10::IValue&& v) {
  if (v.isTensor()) return wrap(env, std::move(v).toTensor());
  if (v.isNone()) return env.Null();
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isTensorList()) {
    auto list = std::move(v).toTensorList();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) out.Set(static_cast<uint32_t>(i), wrap(env, list.get(i)));
    return out;
  }
  if (v.isIntList()) {
    auto list = v.toIntVector();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) out.Set(static_cast<uint32_t>(i), static_cast<double>(list[i]));
    return out;
  }
  if (v.isTuple()) {
    auto tuple = std::move(v).toTuple();
    const auto& elems = tuple->elements();
    Napi::Array out = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); ++i) out.Set(static_cast<uint32_t>(i), toJs(env, c10::IValue(elems[i])));
    return out;
  }
  if (v.isScalar()) return Napi::Number::New(env, v.toScalar().toDouble());
  throw Napi::Error::New(env, std::string("unsupported return type ") + v.tagKind());
}

// lookup(name, overload) -> operator id
Napi::Value lookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsString()) throw Napi::TypeError::New(env, "lookup(name, overload)");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string overload = info[1].As<Napi::String>().Utf8Value();
  auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!handle.has_value()) {
    throw Napi::Error::New(env, "unknown operator " + name + (overload.empty() ? "" : "." + overload) +
                                    " in this libtorch build");
  }
  operators.push_back(*handle);
  return Napi::Number::New(env, static_cast<double>(operators.size() - 1));
}

// schema(id) -> the operator's schema string, for error messages and documentation
Napi::Value schema(const Napi::CallbackInfo& info) {
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  if (id >= operators.size()) throw Napi::RangeError::New(info.Env(), "bad operator id");
  return Napi::String::New(info.Env(), c10::toString(operators[id].schema()));
}

// Runs operator `id` on the JS arguments in info[1] (an array); returns the outputs, a single value when the op
// has one output, an array otherwise. `discard` drops the outputs (in-place ops whose result is `self`).
Napi::Value run(const Napi::CallbackInfo& info, bool discard) {
  Napi::Env env = info.Env();
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  if (id >= operators.size()) throw Napi::RangeError::New(env, "bad operator id");
  const c10::OperatorHandle& op = operators[id];
  const auto& args = op.schema().arguments();
  Napi::Array js = info[1].As<Napi::Array>();
  const uint32_t given = js.Length();
  if (given > args.size()) {
    throw Napi::TypeError::New(env, describe(op) + ": " + std::to_string(given) + " arguments given, at most " +
                                        std::to_string(args.size()) + " accepted (schema: " +
                                        c10::toString(op.schema()) + ")");
  }
  torch::jit::Stack stack;
  stack.reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    const c10::Argument& arg = args[i];
    Napi::Value v = i < given ? js.Get(static_cast<uint32_t>(i)) : env.Undefined();
    if (v.IsUndefined() && arg.default_value().has_value()) {
      stack.push_back(*arg.default_value());
    } else if (v.IsUndefined() && arg.type()->kind() != c10::TypeKind::OptionalType) {
      throw Napi::TypeError::New(env, describe(op) + ": missing argument '" + arg.name() +
                                          "' (schema: " + c10::toString(op.schema()) + ")");
    } else {
      stack.push_back(convert(env, op, arg, arg.type(), v));
    }
  }
  op.callBoxed(&stack);
  if (discard) return env.Undefined();
  if (stack.size() == 1) return toJs(env, std::move(stack[0]));
  Napi::Array out = Napi::Array::New(env, stack.size());
  for (size_t i = 0; i < stack.size(); ++i) out.Set(static_cast<uint32_t>(i), toJs(env, std::move(stack[i])));
  return out;
}

Napi::Value call(const Napi::CallbackInfo& info) { return run(info, false); }
Napi::Value callInPlace(const Napi::CallbackInfo& info) { return run(info, true); }

}  // namespace

void initDispatch(Napi::Env env, Napi::Object exports) {
  LETHE_EXPORT(exports, "lookup", lookup);
  LETHE_EXPORT(exports, "schema", schema);
  LETHE_EXPORT(exports, "call", call);
  LETHE_EXPORT(exports, "callInPlace", callInPlace);
}

}  // namespace lethe
