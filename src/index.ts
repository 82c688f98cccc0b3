// Lethe: machine unlearning for TypeScript, on libtorch.
export * from './torch/index.js';
export * from './io/index.js';
export * from './data/index.js';
export * from './nn/index.js';
export * from './models/index.js';
