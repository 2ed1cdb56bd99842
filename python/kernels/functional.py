"""Functions in the style of torch.nn.functional, assembled from the op families."""
from .ops.activation import (  # noqa: F401
    dropout, elu, gelu, leaky_relu, log_softmax, relu, relu_, sigmoid, silu, softmax, softplus, tanh,
)
from .ops.loss import (  # noqa: F401
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, kl_div,
    l1_loss, mse_loss, nll_loss, smooth_l1_loss,
)
from .ops.matmul import linear  # noqa: F401
from .ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: F401
from .ops.norm import (  # noqa: F401
    batch_norm, dropout1d, dropout2d, dropout3d, group_norm, layer_norm,
)
from .ops.pool import (  # noqa: F401
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d, adaptive_max_pool2d_with_indices, avg_pool1d, avg_pool2d, max_pool1d,
    max_pool1d_with_indices, max_pool2d, max_pool2d_with_indices,
)
from .ops.upsample import interpolate, upsample, upsample_bilinear, upsample_nearest  # noqa: F401
from .ops.pad import pad  # noqa: F401
from .ops.rnn import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell  # noqa: F401
from .ops.embedding import embedding, one_hot  # noqa: F401
from .ops.pixel_shuffle import pixel_shuffle, pixel_unshuffle  # noqa: F401
from .ops.vector_norm import normalize  # noqa: F401
