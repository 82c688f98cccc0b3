// `npm run bench` (node dist/bench/run.js): the benchmark suite. For now the one benchmark of issue 3,
// Lethe vs plain C++ libtorch on a small-CNN training step; argv is passed through (--steps, --rounds, ...).
import './cnn-step-compare.js';
