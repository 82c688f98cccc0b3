// Tensor serialization: safetensors (read/write) and PyTorch torch.save state dicts (read).
export { saveSafetensors, serializeSafetensors, loadSafetensors, parseSafetensors, type TensorDict, type SafetensorsContent } from './safetensors.js';
export { loadPytorchStateDict, loadPytorchCheckpoint, type PytorchCheckpoint, type LoadPytorchOptions } from './pytorch.js';
export { loadWeightsFile, type WeightsFile } from './weights.js';
