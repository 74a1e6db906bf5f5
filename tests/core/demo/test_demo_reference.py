"""The numpy reference on its own: invariants that do not depend on the ONNX graph."""

import numpy as np

from studio.core.demo import reference
from studio.core.demo.weights import BertConfig, random_weights

CFG = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                 intermediate_size=32, max_position_embeddings=16)


def test_padding_tokens_do_not_leak_into_real_ones():
    w = random_weights(CFG, 0)
    ids = np.array([[5, 6, 7, 0, 0]])
    other = np.array([[5, 6, 7, 9, 12]])
    mask = np.array([[1, 1, 1, 0, 0]])
    a = reference.sentence_embedding(CFG, w, ids, mask)
    b = reference.sentence_embedding(CFG, w, other, mask)
    np.testing.assert_allclose(a, b, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(a), 1.0)


def test_gelu_is_the_erf_form():
    x = np.array([-3.0, -1.0, 0.0, 0.5, 2.0])
    expected = np.array([-0.0040496, -0.1586553, 0.0, 0.3457312, 1.9544997])
    np.testing.assert_allclose(reference._gelu(x), expected, atol=1e-6)
