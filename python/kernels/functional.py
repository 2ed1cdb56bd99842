"""Functions in the style of torch.nn.functional, assembled from the op families."""
from .ops.activation import (  # noqa: F401
    dropout, elu, gelu, leaky_relu, log_softmax, relu, relu_, sigmoid, silu, softmax, softplus, tanh,
)
from .ops.loss import (  # noqa: F401
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, kl_div,
    l1_loss, mse_loss, nll_loss, smooth_l1_loss,
)
from .ops.matmul import linear  # noqa: F401
from .ops.rnn import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell  # noqa: F401
from .ops.embedding import embedding, one_hot  # noqa: F401
