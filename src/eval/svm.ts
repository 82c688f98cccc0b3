// An RBF (or linear) C-SVC fitted and applied through libsvm, the library behind scikit-learn's SVC.
import { native } from '../torch/native.js';
import { oneOf, refuseUnknownKeys } from '../util/options.js';

interface SvmNative {
  svmFitPredict(
    trainX: Float64Array,
    trainY: Float64Array,
    d: number,
    testX: Float64Array,
    params: { C: number; gamma: number; kernel: 'rbf' | 'linear'; tol: number; cacheSize: number; shrinking: boolean },
  ): Float64Array;
  svmVersion(): number;
}
const svm = native as unknown as SvmNative;

/**
 * Options of svcFitPredict; an unknown key is an error, and C, gamma, tol and cacheSize must be positive and finite.
 */
export interface SvcOptions {
  /** regularisation (reference: 3) */
  C?: number;
  /** RBF width; 'auto' = 1 / number of features, as scikit-learn's gamma='auto' (the reference's choice) */
  gamma?: number | 'auto';
  /** Default 'rbf'. */
  kernel?: 'rbf' | 'linear';
  /** scikit-learn's defaults: tol 1e-3, cache 200 MB, shrinking on */
  tol?: number;
  /** Kernel cache in MB (default 200). */
  cacheSize?: number;
  /** libsvm's shrinking heuristic (default true). */
  shrinking?: boolean;
}

/**
 * Fits a C-SVC on rows of `trainX` (n×d, row-major) with labels `trainY`, and returns its predicted labels for
 * the rows of `testX`. Defaults reproduce scikit-learn's SVC(C=3, gamma='auto', kernel='rbf') as the reference uses it.
 */
export function svcFitPredict(trainX: Float64Array, trainY: Float64Array, d: number, testX: Float64Array, o: SvcOptions = {}): Float64Array {
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`svcFitPredict: feature dimension must be a positive integer, got ${d}`);
  if (trainX.length !== trainY.length * d) throw new RangeError(`svcFitPredict: trainX has ${trainX.length} values, expected ${trainY.length}×${d}`);
  if (testX.length % d !== 0) throw new RangeError(`svcFitPredict: testX length ${testX.length} is not a multiple of ${d}`);
  if (new Set(trainY).size < 2) throw new Error('svcFitPredict: the training labels contain a single class; an SVC needs both members and non-members');
  for (const v of trainX) if (!Number.isFinite(v)) throw new Error('svcFitPredict: training features contain NaN or Infinity');
  for (const v of testX) if (!Number.isFinite(v)) throw new Error('svcFitPredict: test features contain NaN or Infinity');
  refuseUnknownKeys('svcFitPredict', o, ['C', 'gamma', 'kernel', 'tol', 'cacheSize', 'shrinking']);
  // libsvm checks `<= 0` only, which NaN passes; and the addon reads any kernel name but 'linear' as RBF
  const kernel = oneOf('svcFitPredict', 'kernel', o.kernel ?? 'rbf', ['rbf', 'linear'] as const);
  const gamma = o.gamma === undefined || o.gamma === 'auto' ? 1 / d : o.gamma;
  const params = { C: o.C ?? 3, gamma, tol: o.tol ?? 1e-3, cacheSize: o.cacheSize ?? 200 };
  for (const [key, v] of Object.entries(params)) {
    if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new RangeError(`svcFitPredict: ${key} must be a positive finite number${key === 'gamma' ? " or 'auto'" : ''}, got ${String(v)}`);
  }
  return svm.svmFitPredict(trainX, trainY, d, testX, { ...params, kernel, shrinking: o.shrinking ?? true });
}

/** The linked libsvm's version number (LIBSVM_VERSION, e.g. 332 for 3.32). */
export function libsvmVersion(): number {
  return svm.svmVersion();
}
