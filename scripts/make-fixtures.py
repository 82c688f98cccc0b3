#!/usr/bin/python3
"""Writes the serialization test fixtures under test/fixtures/ (run once; the outputs are committed).

    /usr/bin/python3 scripts/make-fixtures.py

Needs Debian's python3-torch (any PyTorch >= 1.6 works). Everything is seeded, so a re-run gives the same
tensor values (zip timestamps may differ, which the tests do not look at).

- test/fixtures/pytorch/*.pt are written by torch.save itself, each with <name>.expected.json describing what
  Lethe must load (exact values) or the error it must raise. One exception: expanded_huge.pt (a stride-0 view of
  4 EiB) is written by scripts/make-expanded-fixture.py with the standard library alone.
- test/fixtures/safetensors/handmade.safetensors is built byte by byte here, following the layout of the
  official safetensors writer (no library involved), so the TypeScript writer can be compared byte for byte.
"""
import json
import os
import struct
import zipfile
from collections import OrderedDict

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
PT_DIR = os.path.join(ROOT, 'pytorch')
ST_DIR = os.path.join(ROOT, 'safetensors')

LETHE_DTYPE = {
    torch.float32: 'float32', torch.float64: 'float64', torch.float16: 'float16', torch.bfloat16: 'bfloat16',
    torch.int64: 'int64', torch.int32: 'int32', torch.int16: 'int16', torch.int8: 'int8',
    torch.uint8: 'uint8', torch.bool: 'bool',
}


def expected_values(t):
    """Row-major values in a JSON form that compares exactly in TypeScript.

    int64 as decimal strings (may exceed 2^53), 16-bit floats as their raw bit patterns, bool as booleans,
    everything else as numbers (float32 values printed as the exact double they widen to).
    """
    flat = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.int64:
        return [str(v) for v in flat.tolist()]
    if t.dtype in (torch.float16, torch.bfloat16):
        return [v & 0xFFFF for v in flat.view(torch.int16).tolist()]
    return flat.tolist()


def describe(tensors):
    return {k: {'dtype': LETHE_DTYPE[v.dtype], 'shape': list(v.shape), 'values': expected_values(v)}
            for k, v in tensors.items()}


def write_json(path, obj):
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write('\n')


def save_ok(name, obj, tensors, key=None, **save_kwargs):
    torch.save(obj, os.path.join(PT_DIR, name + '.pt'), **save_kwargs)
    write_json(os.path.join(PT_DIR, name + '.expected.json'),
               {'key': key, 'tensors': describe(tensors)})


def save_bad(name, obj, error, **save_kwargs):
    torch.save(obj, os.path.join(PT_DIR, name + '.pt'), **save_kwargs)
    write_json(os.path.join(PT_DIR, name + '.expected.json'), {'error': error})


class TinyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3)
        self.bn = torch.nn.BatchNorm2d(2)
        self.fc = torch.nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.bn(self.conv(x))).flatten(1)[:, :8])


class RunsCode:
    """Pickles to a call of os.system: a loader that executes pickled globals would run `true`."""

    def __reduce__(self):
        return (os.system, ('true',))


def make_pytorch():
    os.makedirs(PT_DIR, exist_ok=True)
    torch.manual_seed(0)
    net = TinyNet()
    # A few training-mode passes give the batch-norm buffers non-trivial values and num_batches_tracked = 3.
    for _ in range(3):
        net(torch.randn(4, 1, 4, 4))
    sd = net.state_dict()
    assert sd['bn.num_batches_tracked'].dtype == torch.int64

    # The usual torch.save(model.state_dict()): an OrderedDict carrying _metadata (libtorch rejects it).
    save_ok('state_dict', sd, sd)
    # torch.save(dict(sd)): a plain dict.
    save_ok('plain_dict', dict(sd), sd)
    # Same state dict pickled with protocol 4 (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL opcodes).
    save_ok('protocol4', sd, sd, pickle_protocol=4)
    # A checkpoint: the tensors sit under 'state_dict'; other entries are plain Python values.
    ckpt = OrderedDict([
        ('epoch', 3),
        ('best_acc', 0.875),
        ('config', {'lr': 0.1, 'milestones': [10, 20], 'betas': (0.9, 0.999), 'name': 'tiny', 'nesterov': True,
                    'wd': None, 'big': 2 ** 70, 'neg': -300}),
        ('state_dict', sd),
    ])
    save_ok('nested', ckpt, sd, key='state_dict')

    # Non-contiguous tensors and views sharing one storage (torch.save keeps the storage whole).
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    shared = torch.arange(10, dtype=torch.float64) * 0.5
    views = OrderedDict([
        ('transposed', base.t()),                 # strides (1, 6)
        ('strided', base[1:, ::2]),              # offset 6, strides (6, 2)
        ('view_a', shared[0:4]),                 # offset 0, shares `shared`'s storage
        ('view_b', shared[3:9].view(2, 3)),      # offset 3, overlaps view_a at element 3
        ('expanded', torch.tensor([1.5, -2.0]).expand(3, 2)),  # stride 0
        ('scalar', torch.tensor(7.25)),          # 0-d
        ('empty', torch.zeros(0, 3)),            # no elements
    ])
    save_ok('views', views, views)

    dtypes = OrderedDict([
        ('f64', torch.tensor([[1.0 / 3.0, -2.5e-300], [1e300, 0.0]], dtype=torch.float64)),
        ('f32', torch.tensor([0.1, -3.5, 1e-8], dtype=torch.float32)),
        ('f16', torch.tensor([0.1, -65504.0, 6e-8, 1.0], dtype=torch.float16)),
        ('bf16', torch.tensor([0.1, -3.0e38, 1.0], dtype=torch.bfloat16)),
        ('i64', torch.tensor([-(2 ** 62), 2 ** 53 + 1, 0, 7], dtype=torch.int64)),
        ('i32', torch.tensor([-(2 ** 31), 2 ** 31 - 1, 5], dtype=torch.int32)),
        ('i16', torch.tensor([-32768, 32767], dtype=torch.int16)),
        ('i8', torch.tensor([-128, 127, 3], dtype=torch.int8)),
        ('u8', torch.tensor([[0, 255], [17, 128]], dtype=torch.uint8)),
        ('b', torch.tensor([True, False, True])),
    ])
    save_ok('dtypes', dtypes, dtypes)

    # Parameters (not detached as state_dict() does) pickle through torch._utils._rebuild_parameter.
    params = {'w': torch.nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0]])), 'b': torch.tensor([0.5, -0.5])}
    save_ok('parameter', params, params)

    # Files Lethe must reject, with the words the error has to contain.
    save_bad('list', [torch.ones(2), torch.zeros(2)], 'not a dict')
    save_bad('unsafe_global', {'w': torch.ones(2), 'x': RunsCode()}, 'posix.system')
    save_bad('legacy', {'w': torch.ones(2)}, 'legacy', _use_new_zipfile_serialization=False)
    save_bad('no_tensors', {'epoch': 3, 'lr': 0.1}, 'no tensors')
    scripted = torch.jit.script(torch.nn.Linear(2, 2))
    torch.jit.save(scripted, os.path.join(PT_DIR, 'torchscript.pt'))
    write_json(os.path.join(PT_DIR, 'torchscript.expected.json'), {'error': 'TorchScript'})

    # The same state dict re-zipped with deflate (torch.save stores entries uncompressed; zip tools may not).
    src = os.path.join(PT_DIR, 'state_dict.pt')
    dst = os.path.join(PT_DIR, 'deflated.pt')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', compression=zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
    write_json(os.path.join(PT_DIR, 'deflated.expected.json'), {'key': None, 'tensors': describe(sd)})

    # A file as a big-endian machine writes it: a `byteorder` record saying 'big' and byte-swapped storages.
    # Storage keys are numbered in order of first use, so '0' is f32, '1' is i64 and '2' is f16.
    be = OrderedDict([('f32', torch.tensor([1.5, -2.0])), ('i64', torch.tensor([258, -3])),
                      ('f16', torch.tensor([0.5, 3.0], dtype=torch.float16))])
    tmp = os.path.join(PT_DIR, 'bigendian.tmp')
    torch.save(be, tmp)
    item = {'0': 4, '1': 8, '2': 2}
    with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(os.path.join(PT_DIR, 'bigendian.pt'), 'w') as zout:
        prefix = zin.namelist()[0].split('/')[0] + '/'
        for info in zin.infolist():
            data = zin.read(info.filename)
            key = info.filename[len(prefix + 'data/'):] if info.filename.startswith(prefix + 'data/') else None
            if key is not None:
                n = item[key]
                data = b''.join(data[i:i + n][::-1] for i in range(0, len(data), n))
            if not info.filename.endswith('/byteorder'):
                zout.writestr(info.filename, data)
        zout.writestr(prefix + 'byteorder', b'big')
    os.remove(tmp)
    write_json(os.path.join(PT_DIR, 'bigendian.expected.json'), {'key': None, 'tensors': describe(be)})


# ---- safetensors, by hand ------------------------------------------------------------------------------

# The official writer sorts tensors by dtype, descending in the order of its Dtype enum (which lists dtypes by
# increasing alignment), then by name (byte-wise); offsets are relative to the end of the header.
ST_ORDER = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64']
ST_NAME = {torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
           torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8',
           torch.bool: 'BOOL'}


def raw_le_bytes(t):
    """Little-endian element bytes, packed with struct (not by a serialization library)."""
    flat = t.contiguous().reshape(-1)
    if t.dtype in (torch.float16, torch.bfloat16):
        return b''.join(struct.pack('<H', v & 0xFFFF) for v in flat.view(torch.int16).tolist())
    fmt = {torch.float64: '<d', torch.float32: '<f', torch.int64: '<q', torch.int32: '<i', torch.int16: '<h',
           torch.int8: '<b', torch.uint8: '<B', torch.bool: '<?'}[t.dtype]
    return b''.join(struct.pack(fmt, v) for v in flat.tolist())


def json_str(s):
    # Compact JSON string: escapes like serde_json (and JS JSON.stringify), UTF-8 kept raw.
    return json.dumps(s, ensure_ascii=False)


def make_safetensors():
    os.makedirs(ST_DIR, exist_ok=True)
    torch.manual_seed(1)
    # Insertion order deliberately differs from the file order.
    tensors = OrderedDict([
        ('mask', torch.tensor([[True, False, True], [False, False, True]])),
        ('conv1.weight', torch.randn(2, 1, 2, 2)),
        ('bn.num_batches_tracked', torch.tensor(12, dtype=torch.int64)),
        ('fc.bias', torch.randn(3, dtype=torch.float64)),
        ('emb.half', torch.tensor([0.5, -1.25, 3.0], dtype=torch.float16)),
        ('emb.bf16', torch.tensor([0.5, -1.25], dtype=torch.bfloat16)),
        ('counts', torch.tensor([1, -2, 2 ** 31 - 1], dtype=torch.int32)),
        ('small', torch.tensor([-7, 8], dtype=torch.int16)),
        ('bytes', torch.tensor([0, 200, 255], dtype=torch.uint8)),
        ('signed', torch.tensor([-128, 5], dtype=torch.int8)),
        ('café.weight', torch.tensor([1.0, 2.0])),     # non-ASCII name: raw UTF-8 in the header
        ('a.weight', torch.tensor([[3.0]])),           # sorts before conv1.weight within F32
        ('zero', torch.zeros(0, 2)),                   # empty tensor: a zero-length byte range
    ])
    metadata = OrderedDict([('format', 'pt'), ('author', 'lethe "fixtures"')])

    items = sorted(tensors.items(), key=lambda kv: (-ST_ORDER.index(ST_NAME[kv[1].dtype]), kv[0].encode('utf-8')))
    parts = []
    body = b''
    for name, t in items:
        data = raw_le_bytes(t)
        begin, end = len(body), len(body) + len(data)
        body += data
        parts.append('%s:{"dtype":"%s","shape":[%s],"data_offsets":[%d,%d]}' % (
            json_str(name), ST_NAME[t.dtype], ','.join(str(d) for d in t.shape), begin, end))
    # __metadata__ first; its keys sorted (the official writer uses a hash map, i.e. any order; Lethe sorts).
    meta = '{%s}' % ','.join('%s:%s' % (json_str(k), json_str(v)) for k, v in sorted(metadata.items()))
    header = ('{"__metadata__":%s,%s}' % (meta, ','.join(parts))).encode('utf-8')
    header += b' ' * ((8 - len(header) % 8) % 8)
    blob = struct.pack('<Q', len(header)) + header + body
    with open(os.path.join(ST_DIR, 'handmade.safetensors'), 'wb') as f:
        f.write(blob)
    write_json(os.path.join(ST_DIR, 'handmade.expected.json'),
               {'metadata': metadata, 'order': list(tensors.keys()), 'tensors': describe(tensors)})


if __name__ == '__main__':
    make_pytorch()
    make_safetensors()
    total = 0
    for d in (PT_DIR, ST_DIR):
        for n in sorted(os.listdir(d)):
            total += os.path.getsize(os.path.join(d, n))
    print('fixtures written under %s: %d bytes' % (os.path.normpath(ROOT), total))
