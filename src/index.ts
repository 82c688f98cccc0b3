// Lethe: machine unlearning for TypeScript, on libtorch.
export * from './torch/index.js';
export * from './io/index.js';
export * from './data/index.js';
export * as nn from './nn/index.js';
export { Module } from './nn/module.js';
export * from './models/index.js';
export * from './optim/index.js';
