"""Ready-made networks, built from ``kernels.nn`` layers with torch-compatible state_dict keys.

* :class:`LeNet5` - LeCun et al. (1998): 32x32 input, tanh, average pooling (optionally C3's
  original partial connection table);
* :class:`ModernLeNet` - the same shape with ReLU, max pooling and batch normalisation;
* :class:`ResNet` / :func:`resnet_small` - basic residual blocks (identity and 1x1-projection
  skips), batch norm, global average pooling; :class:`BasicBlock` mirrors torchvision's;
* :class:`CharLSTM` - a character-level LSTM language model with temperature sampling;
* :class:`Seq2Seq` - an LSTM/GRU encoder-decoder with teacher forcing and greedy decoding.
"""
from .lenet import LeNet5, ModernLeNet
from .resnet import BasicBlock, ResNet, resnet_small
from .charlm import CharLSTM, detach_state
from .seq2seq import Seq2Seq

__all__ = ["LeNet5", "ModernLeNet", "BasicBlock", "ResNet", "resnet_small", "CharLSTM",
           "detach_state", "Seq2Seq"]
