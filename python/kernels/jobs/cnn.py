"""``kernels-train lenet5`` and ``kernels-train resnet``: convolutional networks on MNIST.

The 28x28 digits get a 2-pixel zero border (32x32, LeNet-5's input size) for both jobs.
"""
from __future__ import annotations

from .. import models
from ..cli import Command, int_at_least
from .classify import add_image_arguments, run_image_job


def _lenet_arguments(p):
    p.add_argument("--variant", choices=("lecun", "modern"), default="lecun",
                   help="lecun: LeNet-5 as in the 1998 paper (tanh, average pooling); modern: ReLU, "
                        "max pooling, batch norm (default %(default)s)")
    p.add_argument("--lecun-c3", action="store_true",
                   help="connect C3 by the paper's partial table (60 of 96 map pairs)")
    add_image_arguments(p, max_shift=2, max_rotation=0.0, label_smoothing=0.0)


def _run_lenet(args):
    options = {"--variant": args.variant, "--lecun-c3": bool(args.lecun_c3)}
    if args.variant == "lecun":
        model = models.LeNet5(lecun_c3=args.lecun_c3)
        return run_image_job(args, model, "lenet5", "LeNet-5" + (" (C3 table)" if args.lecun_c3 else ""),
                             pad=2, first_layer=lambda m: m.c1.weight, model_options=options)
    model = models.ModernLeNet()
    return run_image_job(args, model, "lenet5", "modern LeNet", pad=2,
                         first_layer=lambda m: m.features[0].weight, model_options=options)


def _resnet_arguments(p):
    p.add_argument("--blocks", type=int_at_least(1), nargs=3, default=[1, 1, 1], metavar=("B1", "B2", "B3"),
                   help="basic blocks per stage (default %(default)s)")
    p.add_argument("--width", type=int_at_least(1), default=16,
                   help="channels of the first stage; the others have 2x and 4x (default %(default)s)")
    add_image_arguments(p, max_shift=2, max_rotation=0.0, label_smoothing=0.0)


def _run_resnet(args):
    model = models.ResNet(blocks=tuple(args.blocks), width=args.width)
    depth = 2 + 2 * sum(args.blocks)
    return run_image_job(args, model, "resnet", f"ResNet-{depth} (width {args.width})", pad=2,
                         first_layer=lambda m: m.conv1.weight,
                         model_options={"--blocks": list(args.blocks), "--width": args.width})


LENET5_COMMAND = Command(
    "train LeNet-5 on MNIST (built-in mnist_5k, or --data DIR for the full IDX files)",
    _lenet_arguments, _run_lenet,
    defaults={"epochs": 12, "batch_size": 64, "lr": 3e-3, "optimizer": "adam"},
)

RESNET_COMMAND = Command(
    "train a small ResNet on MNIST (built-in mnist_5k, or --data DIR for the full IDX files)",
    _resnet_arguments, _run_resnet,
    defaults={"epochs": 8, "batch_size": 64, "lr": 3e-3, "optimizer": "adam"},
)
