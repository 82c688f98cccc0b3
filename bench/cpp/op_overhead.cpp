// The C++ half of bench/op-overhead: what one tiny libtorch op costs without any binding, so that the Lethe
// half can subtract it and see the per-call cost of N-API + Lethe's boxed dispatch + handle bookkeeping.
//
// Usage: op_overhead [--iters N] [--threads N]   Prints `RESULT {json}` with ns per call.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

template <typename F>
double nsPerCall(int iters, F&& f) {
  for (int i = 0; i < iters / 10; ++i) f();  // warm-up
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) f();
  auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / iters;
}

}  // namespace

int main(int argc, char** argv) {
  int iters = 200000, threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--iters") == 0) iters = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
  }
  if (threads > 0) at::set_num_threads(threads);
  auto a = torch::ones({1});
  auto b = torch::ones({1});
  // add: allocates a fresh 1-element result, like Lethe's a.add(b) (which then also wraps and frees a handle).
  double add = nsPerCall(iters, [&] { auto c = torch::add(a, b); });
  // add_: in place, no allocation, like the optimizer updates.
  double addInPlace = nsPerCall(iters, [&] { a.add_(b, 1e-9); });
  // The same add through the boxed dispatcher path Lethe uses (callBoxed on a Stack), without N-API.
  auto op = c10::Dispatcher::singleton().findSchemaOrThrow("aten::add", "Tensor");
  double addBoxed = nsPerCall(iters, [&] {
    torch::jit::Stack stack{a, b, c10::IValue(1)};
    op.callBoxed(&stack);
  });
  std::printf("RESULT {\"impl\":\"cpp\",\"iters\":%d,\"addNs\":%.1f,\"addInPlaceNs\":%.1f,\"addBoxedNs\":%.1f}\n", iters, add,
              addInPlace, addBoxed);
  return 0;
}
