// The C++ side of bench/cnn-step-compare: one small-CNN training step, written as a plain libtorch program.
//
// It must do exactly what bench/cnn-step.ts does, op for op, so that the ratio of the two step times measures
// Lethe's binding overhead and nothing else: same parameter shapes and initialisation (randn * 0.01, drawn in
// the same order from the same seed), same fixed random batch, same functional ops, same hand-written SGD with
// momentum under NoGradGuard, same thread count, same warm-up and timing. Keep the two files in step.
//
// Usage: cnn_step [--steps N] [--warmup N] [--threads N] [--batch N] [--seed N] [--serve 1]
// One-shot: warms up, times --steps steps, prints one line `RESULT {json}` with per-step times and their
// median/mean. Serve mode (--serve 1, used by cnn-step-compare to interleave the two programs step by step):
// warms up, prints `READY {json}`, then for each stdin line `STEP n` runs n steps and prints
// `TIMES <last loss> <process CPU ms for the n steps> <ms> <ms> ...`; `QUIT` or end of input exits after printing `DONE {}`.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

// CPU time of the whole process (all threads), to compare work done independently of waiting for a core.
double processCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct Options {
  int steps = 30;
  int warmup = 5;
  int threads = 0;  // 0: leave libtorch's default
  int batch = 128;
  int seed = 0;
  int serve = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "cnn_step: option %s needs a value\n", a);
      std::exit(2);
    }
    int v = std::atoi(argv[++i]);
    if (std::strcmp(a, "--steps") == 0) o.steps = v;
    else if (std::strcmp(a, "--warmup") == 0) o.warmup = v;
    else if (std::strcmp(a, "--threads") == 0) o.threads = v;
    else if (std::strcmp(a, "--batch") == 0) o.batch = v;
    else if (std::strcmp(a, "--seed") == 0) o.seed = v;
    else if (std::strcmp(a, "--serve") == 0) o.serve = v;
    else {
      std::fprintf(stderr, "cnn_step: unknown option %s\n", a);
      std::exit(2);
    }
  }
  if (o.steps < 1 || o.warmup < 0 || o.batch < 1 || o.threads < 0) {
    std::fprintf(stderr, "cnn_step: steps and batch must be >= 1, warmup and threads >= 0\n");
    std::exit(2);
  }
  return o;
}

// A leaf parameter drawn as randn(shape) * 0.01 (the .mul makes a fresh leaf once requires_grad is set after it).
torch::Tensor param(at::IntArrayRef shape) {
  auto t = torch::randn(shape).mul(0.01);
  t.set_requires_grad(true);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.threads > 0) at::set_num_threads(o.threads);
  torch::manual_seed(o.seed);

  // Parameters in the order bench/cnn-step.ts draws them.
  std::vector<torch::Tensor> params = {
      param({32, 1, 3, 3}), param({32}),     // conv1
      param({64, 32, 3, 3}), param({64}),    // conv2
      param({128, 9216}), param({128}),      // fc1
      param({10, 128}), param({10}),         // fc2
  };
  std::vector<torch::Tensor> momentum;
  for (const auto& p : params) momentum.push_back(torch::zeros_like(p));

  // One fixed random batch: the benchmark measures compute, not data loading.
  const auto x = torch::randn({o.batch, 1, 28, 28});
  const auto y = torch::randint(0, 10, {o.batch}, torch::kLong);

  const double lr = 0.01, mu = 0.9;
  double lastLoss = 0, firstLoss = 0;

  auto step = [&]() {
    auto h = torch::relu(torch::conv2d(x, params[0], params[1]));
    h = torch::relu(torch::conv2d(h, params[2], params[3]));
    h = torch::max_pool2d(h, {2, 2}, {2, 2}).flatten(1);
    h = torch::relu(torch::linear(h, params[4], params[5]));
    auto logits = torch::linear(h, params[6], params[7]);
    auto loss = torch::cross_entropy_loss(logits, y);
    loss.backward();
    {
      torch::NoGradGuard noGrad;
      for (size_t i = 0; i < params.size(); ++i) {
        auto& g = params[i].mutable_grad();
        momentum[i].mul_(mu).add_(g);
        params[i].add_(momentum[i], -lr);
        g.zero_();
      }
    }
    return loss.item<double>();
  };

  for (int i = 0; i < o.warmup; ++i) {
    double l = step();
    if (i == 0) firstLoss = l;
  }

  if (o.serve) {
    std::printf("READY {\"impl\":\"cpp\",\"libtorch\":\"%s\",\"threads\":%d,\"batch\":%d,\"warmup\":%d,\"firstLoss\":%.9g}\n",
                TORCH_VERSION, at::get_num_threads(), o.batch, o.warmup, firstLoss);
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
      std::istringstream in(line);
      std::string cmd;
      int n = 0;
      in >> cmd >> n;
      if (cmd == "QUIT") break;
      if (cmd != "STEP" || n < 1) {
        std::fprintf(stderr, "cnn_step: bad command '%s' (expected STEP n or QUIT)\n", line.c_str());
        return 2;
      }
      std::vector<double> times;
      const double cpu0 = processCpuMs();
      for (int i = 0; i < n; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        lastLoss = step();
        auto t1 = std::chrono::steady_clock::now();
        times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
      std::printf("TIMES %.9g %.4f", lastLoss, processCpuMs() - cpu0);
      for (double t : times) std::printf(" %.4f", t);
      std::printf("\n");
      std::fflush(stdout);
    }
    std::printf("DONE {}\n");
    return 0;
  }
  std::vector<double> ms;
  ms.reserve(o.steps);
  for (int i = 0; i < o.steps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    lastLoss = step();
    auto t1 = std::chrono::steady_clock::now();
    if (o.warmup == 0 && i == 0) firstLoss = lastLoss;
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }

  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  const double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  double mean = 0;
  for (double v : ms) mean += v;
  mean /= static_cast<double>(n);

  std::printf("RESULT {\"impl\":\"cpp\",\"libtorch\":\"%s\",\"threads\":%d,\"batch\":%d,\"steps\":%d,\"warmup\":%d,"
              "\"medianMs\":%.4f,\"meanMs\":%.4f,\"imagesPerSec\":%.2f,\"firstLoss\":%.9g,\"lastLoss\":%.9g,\"stepMs\":[",
              TORCH_VERSION, at::get_num_threads(), o.batch, o.steps, o.warmup, median, mean,
              1000.0 * o.batch / median, firstLoss, lastLoss);
  for (size_t i = 0; i < n; ++i) std::printf("%s%.4f", i ? "," : "", ms[i]);
  std::printf("]}\n");
  return 0;
}
