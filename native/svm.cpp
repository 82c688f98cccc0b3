// libsvm (Debian's libsvm-dev) for the membership-inference attack: fit a C-SVC and predict, in one call.
// scikit-learn's SVC, which the reference evaluation uses, is libsvm too; calling libsvm itself reproduces it.
#include <libsvm/svm.h>

#include <cstring>
#include <memory>

#include "lethe.h"

namespace lethe {
namespace {

void quiet(const char*) {}

const double* doubles(const Napi::Value& v, size_t* n, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(v.Env(), std::string("svmFitPredict: ") + what + " must be a Float64Array");
  }
  Napi::Float64Array a = v.As<Napi::Float64Array>();
  *n = a.ElementLength();
  return a.Data();
}

// Dense rows → libsvm's sparse node arrays (index -1 terminates each row). Zeros are kept explicitly so that the
// kernel sees exactly the same vectors as scikit-learn's dense path.
struct Rows {
  std::vector<svm_node> nodes;
  std::vector<svm_node*> rows;
  Rows(const double* x, size_t n, size_t d) : nodes(n * (d + 1)), rows(n) {
    for (size_t i = 0; i < n; ++i) {
      svm_node* row = &nodes[i * (d + 1)];
      for (size_t j = 0; j < d; ++j) row[j] = {static_cast<int>(j + 1), x[i * d + j]};
      row[d] = {-1, 0.0};
      rows[i] = row;
    }
  }
};

// svmFitPredict(trainX: Float64Array (n×d row-major), trainY: Float64Array (n), d: number, testX: Float64Array,
//               params: {C, gamma, kernel: 'rbf'|'linear', tol, cacheSize, shrinking}) -> Float64Array of labels
Napi::Value svmFitPredict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t nx = 0, ny = 0, nt = 0;
  const double* x = doubles(info[0], &nx, "trainX");
  const double* y = doubles(info[1], &ny, "trainY");
  const size_t d = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
  const double* t = doubles(info[3], &nt, "testX");
  Napi::Object p = info[4].As<Napi::Object>();
  if (d == 0 || nx != ny * d || nt % d != 0) {
    throw Napi::RangeError::New(env, "svmFitPredict: trainX must hold trainY.length × d values and testX a multiple of d");
  }
  if (ny < 2) throw Napi::RangeError::New(env, "svmFitPredict: need at least two training samples");

  svm_parameter param{};
  param.svm_type = C_SVC;
  std::string kernel = p.Get("kernel").As<Napi::String>().Utf8Value();
  param.kernel_type = kernel == "linear" ? LINEAR : RBF;
  param.gamma = p.Get("gamma").As<Napi::Number>().DoubleValue();
  param.C = p.Get("C").As<Napi::Number>().DoubleValue();
  param.eps = p.Get("tol").As<Napi::Number>().DoubleValue();
  param.cache_size = p.Get("cacheSize").As<Napi::Number>().DoubleValue();
  param.shrinking = p.Get("shrinking").As<Napi::Boolean>().Value() ? 1 : 0;
  param.probability = 0;
  param.nr_weight = 0;

  Rows train(x, ny, d);
  std::vector<double> labels(y, y + ny);
  svm_problem problem{static_cast<int>(ny), labels.data(), train.rows.data()};
  if (const char* err = svm_check_parameter(&problem, &param)) {
    throw Napi::Error::New(env, std::string("libsvm rejected the parameters: ") + err);
  }
  svm_set_print_string_function(quiet);
  std::unique_ptr<svm_model, void (*)(svm_model*)> model(svm_train(&problem, &param), [](svm_model* m) {
    svm_free_and_destroy_model(&m);
  });

  const size_t n = nt / d;
  Rows test(t, n, d);
  Napi::Float64Array out = Napi::Float64Array::New(env, n);
  for (size_t i = 0; i < n; ++i) out[i] = svm_predict(model.get(), test.rows[i]);
  return out;
}

Napi::Value svmVersion(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), libsvm_version);
}

}  // namespace

void initSvm(Napi::Env env, Napi::Object exports) {
  LETHE_EXPORT(exports, "svmFitPredict", svmFitPredict);
  LETHE_EXPORT(exports, "svmVersion", svmVersion);
}

}  // namespace lethe
