// pow() of the C library, reached through libtorch, so that Adam's bias corrections equal PyTorch's (which
// computes them in Python, i.e. with the C library) bit for bit.
//
// V8's `**` comes from fdlibm and differs from glibc in the last bit for a few percent of arguments: for
// Adam's `beta ** step` (beta in {0.5 ... 0.999}, step 1..20000), 8,343 of 140,000 powers differed.
// One ulp in a bias correction shifts every Adam update by an ulp, and runs drift apart.
// libtorch's pow kernel calls std::pow on its scalar (non-vectorised) path, which a one-element tensor always
// takes; with that, all 140,000 powers matched Python's exactly. Cost: ~10 µs a call.
// (The same trick does not work for cos: libtorch's cos goes through SLEEF even for one element. Schedules use
// Math.cos and agree with PyTorch to ~1e-16 relative; PyTorch's own step() uses a recursive form that differs
// from its closed form by as much anyway.)
import { aten } from '../torch/aten.js';
import { call } from '../torch/tensor.js';
import { scalar } from '../torch/creation.js';
import { tidy } from '../torch/scope.js';
import { noGrad } from '../torch/autograd.js';

const POW_SCALAR = aten('pow', 'Scalar');

/** base ** exponent as C's pow(base, exponent) computes it (Python's float `**`). */
export function libmPow(base: number, exponent: number): number {
  if (exponent === 0) return 1;
  if (exponent === 1) return base;
  return noGrad(() => tidy(() => call(POW_SCALAR, base, scalar(exponent, { dtype: 'float64' })).item()));
}
