#!/usr/bin/python3
"""Writes test/fixtures/pytorch/expanded_huge.pt without PyTorch (run once; the output is committed).

    /usr/bin/python3 scripts/make-expanded-fixture.py

The file is what torch.save writes for {'fc1.weight': torch.zeros(1).expand(2**40, 2**20)}: a one-element float
storage viewed with strides (0, 0). Loading it must be refused before the view is copied out (4 EiB). It is built
with the standard library so that it can be made where python3-torch is not installed: pickle records the same
globals torch.save does (torch._utils._rebuild_tensor_v2, torch.FloatStorage), found in stand-in modules.
"""
import collections
import io
import os
import pickle
import sys
import types
import zipfile

torch = types.ModuleType('torch')
torch_utils = types.ModuleType('torch._utils')
sys.modules['torch'], sys.modules['torch._utils'] = torch, torch_utils


def _rebuild_tensor_v2(*args):
    raise NotImplementedError  # only its name is pickled


_rebuild_tensor_v2.__module__ = 'torch._utils'
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
FloatStorage = type('FloatStorage', (), {'__module__': 'torch'})
torch.FloatStorage = FloatStorage


class ExpandedView:
    """A tensor as torch pickles it: its storage by persistent id, then offset, size, stride."""

    def __reduce__(self):
        return (_rebuild_tensor_v2, (('storage', '0'), 0, (2**40, 2**20), (0, 0), False, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        # ('storage', storage type, key, location, number of elements), as torch.save writes it
        if isinstance(obj, tuple) and obj == ('storage', '0'):
            return ('storage', FloatStorage, '0', 'cpu', 1)
        return None


buf = io.BytesIO()
TorchPickler(buf, protocol=2).dump({'fc1.weight': ExpandedView()})
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'pytorch', 'expanded_huge.pt')
with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as z:
    z.writestr('archive/data.pkl', buf.getvalue())
    z.writestr('archive/byteorder', 'little')
    z.writestr('archive/data/0', b'\0\0\0\0')
    z.writestr('archive/version', '3\n')
