// Lethe: machine unlearning for TypeScript, on libtorch.
export * from './torch/index.js';
