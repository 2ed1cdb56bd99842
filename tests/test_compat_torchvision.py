"""The torchvision stand-in of kernels.compat: Resize against PIL's bilinear resize (what
torchvision uses on PIL images), CenterCrop's offsets and padding as torchvision's, make_grid's
layout, save_image's PNG bytes, FakeData's reproducibility."""
import io
import struct
import zlib

import numpy as np
import pytest

import kernels
from kernels.compat.torchvision import datasets, transforms, utils


@pytest.mark.parametrize("size,out_hw", [(64, (64, 64)), (14, (14, 14)), ((20, 9), (20, 9)), (10, (10, 10))])
def test_resize_matches_pil_bilinear(size, out_hw, rng):
    Image = pytest.importorskip("PIL.Image")
    img = rng.integers(0, 256, size=(28, 28), dtype=np.uint8)
    ours = transforms.Resize(size)(img)
    ref = np.asarray(Image.fromarray(img).resize(out_hw[::-1], Image.BILINEAR))
    assert ours.shape == ref.shape and ours.dtype == np.uint8
    assert np.abs(ours.astype(int) - ref.astype(int)).max() <= 1  # PIL rounds in fixed point


def test_resize_keeps_aspect_ratio_and_works_on_tensors():
    img = np.zeros((30, 60, 3), dtype=np.uint8)
    assert transforms.Resize(15)(img).shape == (15, 30, 3)
    t = kernels.ones(3, 30, 60)
    out = transforms.Resize(15)(t)
    assert tuple(out.shape) == (3, 15, 30)
    np.testing.assert_allclose(out.numpy(), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="Resize: size"):
        transforms.Resize("big")


def test_center_crop_offsets_and_padding():
    img = np.arange(7 * 8, dtype=np.uint8).reshape(7, 8)
    np.testing.assert_array_equal(transforms.CenterCrop(4)(img), img[2:6, 2:6])  # round((7-4)/2) = 2
    padded = transforms.CenterCrop((9, 8))(img)
    assert padded.shape == (9, 8)
    np.testing.assert_array_equal(padded[1:8], img)
    assert padded[0].sum() == 0 and padded[8].sum() == 0


def test_make_grid_layout():
    batch = kernels.tensor(np.arange(5, dtype=np.float32).reshape(5, 1, 1, 1) * np.ones((5, 1, 2, 3), np.float32))
    grid = utils.make_grid(batch, nrow=2, padding=1).numpy()
    assert grid.shape == (3, 3 * 3 + 1, 2 * 4 + 1)  # 3 rows, 2 columns, grey made RGB
    np.testing.assert_array_equal(grid[:, 1:3, 1:4], 0.0)
    np.testing.assert_array_equal(grid[:, 1:3, 5:8], 1.0)
    np.testing.assert_array_equal(grid[:, 7:9, 1:4], 4.0)
    norm = utils.make_grid(batch, nrow=5, normalize=True).numpy()
    assert norm.max() == 1.0 and norm[:, 2:4, 2:5].max() == 0.0


def _decode_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(tag + body)
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat += body
        pos += 12 + n
    w, h = header[0], header[1]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + 3 * w)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(h, w, 3)


def test_save_image_writes_the_png_torchvision_would():
    x = np.linspace(0, 1, 2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    buf = io.BytesIO()
    utils.save_image(kernels.tensor(x), buf, nrow=2, padding=0)
    img = _decode_png(buf.getvalue())
    expect = np.clip(np.concatenate([x[0], x[1]], axis=2) * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(img, expect)
    with pytest.raises(ValueError, match="only PNG"):
        utils.save_image(kernels.tensor(x), "out.jpg")


def test_fake_data_is_reproducible():
    ds = datasets.FakeData(size=4, image_size=(3, 8, 6), num_classes=3, transform=transforms.ToTensor())
    a, ya = ds[2]
    b, yb = ds[2]
    assert tuple(a.shape) == (3, 8, 6) and ya == yb and 0 <= ya < 3
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert len(ds) == 4
    with pytest.raises(IndexError, match="FakeData"):
        ds[4]


def test_resnet18_has_torchvision_names_and_size():
    from kernels.compat.torchvision import models
    kernels.manual_seed(0)
    m = models.resnet18(num_classes=10)
    names = [n for n, _ in m.named_children()]
    assert names == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
    keys = list(m.state_dict())
    for k in ("conv1.weight", "bn1.running_var", "bn1.num_batches_tracked", "layer1.1.conv2.weight",
              "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_mean", "layer4.1.bn2.bias", "fc.bias"):
        assert k in keys
    # torchvision's resnet18 has 11,689,512 parameters with 1000 classes; 10 classes drop 990 * 513
    assert sum(p.numel() for p in m.parameters()) == 11_689_512 - 990 * 513
    out = m(kernels.randn(2, 3, 32, 32))
    assert tuple(out.shape) == (2, 10)
    with pytest.raises(AttributeError, match="pretrained weights"):
        models.resnet18(weights="IMAGENET1K_V1")
