#!/usr/bin/env python3
"""Generate a corpus of small ONNX models exported the way real users export them.

Runs in the isolated corpus venv (torch / transformers are NOT studio deps):

    python3 -m venv .cache/corpus-venv
    .cache/corpus-venv/bin/pip install -r tests/corpus/requirements.txt
    .cache/corpus-venv/bin/python tests/corpus/make_corpus.py            # -> tests/data/corpus/
    .cache/corpus-venv/bin/python tests/corpus/make_corpus.py --size realistic
                                                                         # -> .cache/corpus-realistic/

The optional optimum model needs a second venv (optimum-onnx pins transformers<4.58),
see tests/corpus/README.md. Without it that model is skipped and the manifest says so.

Everything is seeded; the ONNX files are post-processed (doc strings / stack-trace
metadata stripped) so two runs give byte-identical files.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TRAIN_CSV = REPO / "resources" / "demo" / "intents_train.csv"
SMALL_OUT = REPO / "tests" / "data" / "corpus"
REALISTIC_OUT = REPO / ".cache" / "corpus-realistic"
OPTIMUM_PY = REPO / ".cache" / "corpus-optimum-venv" / "bin" / "python"

SEED = 1234
NUM_LABELS = 7
MAX_POS = 128
VOCAB_TARGET = 1024
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Trace with one shape, validate with another: catches shapes baked in at export.
TRACE_BATCH, TRACE_SEQ = 2, 16
VALIDATE_TEXTS = [
    "where is my order",
    "sorry to bother, whhere is my order pls, it has been two weeks already",
    "I want to return these shoes",
]

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# --------------------------------------------------------------------------- helpers
def read_texts_and_labels() -> tuple[list[str], list[str]]:
    with TRAIN_CSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["text"] for r in rows]
    labels = sorted({r["intent"] for r in rows})[:NUM_LABELS]
    return texts, labels


SUFFIXES = ["##s", "##es", "##ed", "##ing", "##ly", "##er", "##ers", "##est", "##ment", "##tion", "##able", "##n't"]


def build_vocab(texts: list[str], normalizer, pre_tokenizer) -> dict[str, int]:
    """Deterministic frequency-ranked WordPiece vocab.

    tokenizers' WordPieceTrainer breaks frequency ties in HashMap order, so its vocab (not only
    the ids, the token *set*) changes from process to process. Instead: specials, every character
    (plain and ##-continuation), a few common suffix pieces, then whole words by (-count, word)
    until VOCAB_TARGET. Unseen words fall back to suffix/character pieces like real WordPiece.
    """
    from collections import Counter

    words = Counter()
    for t in texts:
        for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(t)):
            words[w] += 1
    chars = sorted({c for w in words for c in w})
    vocab: dict[str, int] = {}
    for tok in SPECIAL + chars + ["##" + c for c in chars] + SUFFIXES:
        vocab.setdefault(tok, len(vocab))
    for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(vocab) >= VOCAB_TARGET:
            break
        vocab.setdefault(w, len(vocab))
    return vocab


def build_tokenizer(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    norm = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    pre = pre_tokenizers.BertPreTokenizer()
    vocab = build_vocab(sorted(texts), norm, pre)
    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = norm
    tok.pre_tokenizer = pre
    tok.decoder = decoders.WordPiece(prefix="##")
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    assert tok.token_to_id("[PAD]") == 0
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    tok.enable_truncation(max_length=MAX_POS)
    return tok


def encode_batch(tok, texts):
    import numpy as np

    enc = tok.encode_batch(texts)
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    tt = np.array([e.type_ids for e in enc], dtype=np.int64)
    return ids, mask, tt


def strip_nondeterminism(model) -> None:
    """Remove doc strings / per-node metadata (stack traces with absolute paths)."""
    def clean_graph(g):
        g.doc_string = ""
        for n in g.node:
            n.doc_string = ""
            del n.metadata_props[:]
            for a in n.attribute:
                if a.g is not None and a.HasField("g"):
                    clean_graph(a.g)
                for sg in a.graphs:
                    clean_graph(sg)
        for coll in (g.input, g.output, g.value_info, g.initializer):
            for v in coll:
                v.doc_string = ""
                if hasattr(v, "metadata_props"):
                    del v.metadata_props[:]
        if hasattr(g, "metadata_props"):
            del g.metadata_props[:]
    model.doc_string = ""
    clean_graph(model.graph)
    for fn in model.functions:
        fn.doc_string = ""
        for n in fn.node:
            n.doc_string = ""
            del n.metadata_props[:]
        if hasattr(fn, "metadata_props"):
            del fn.metadata_props[:]
    del model.metadata_props[:]


def finalize_onnx(tmp_path: Path, out_dir: Path, external: bool = False) -> None:
    """Load an exported model (incl. any external data), clean it, write it deterministically."""
    import onnx

    m = onnx.load(str(tmp_path), load_external_data=True)
    strip_nondeterminism(m)
    out_dir.mkdir(parents=True, exist_ok=True)
    for p in out_dir.glob("model.onnx*"):
        p.unlink()
    if external:
        onnx.save_model(m, str(out_dir / "model.onnx"), save_as_external_data=True,
                        all_tensors_to_one_file=True, location="model.onnx.data", size_threshold=0)
        os.chmod(out_dir / "model.onnx.data", 0o644)  # onnx writes it 0600
    else:
        onnx.save_model(m, str(out_dir / "model.onnx"))
    onnx.checker.check_model(str(out_dir / "model.onnx"))


def io_spec(model_path: Path, roles: dict[str, str] | None = None):
    import onnx

    m = onnx.load(str(model_path), load_external_data=False)
    init = {i.name for i in m.graph.initializer}

    def one(v):
        t = v.type.tensor_type
        shape = [d.dim_param if d.dim_param else (d.dim_value if d.HasField("dim_value") else None)
                 for d in t.shape.dim]
        return {"name": v.name, "dtype": onnx.helper.tensor_dtype_to_np_dtype(t.elem_type).name, "shape": shape}

    ins = [one(v) for v in m.graph.input if v.name not in init]
    outs = []
    for v in m.graph.output:
        d = one(v)
        d["role"] = (roles or {}).get(v.name, "logits")
        outs.append(d)
    opset = next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), None)
    return ins, outs, opset


def ort_run(model_path: Path, feeds: dict):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(model_path), so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    return sess.run(None, {k: v for k, v in feeds.items() if k in names})


def sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("torch", "transformers", "onnx", "onnxscript", "onnxruntime", "tokenizers"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


# --------------------------------------------------------------------------- model configs
def tx_config(arch: str, size: str, vocab: int, realistic_kind: str = "base", **over):
    """transformers config for `arch` at `size` (small fixture or realistic benchmark)."""
    import transformers as T

    if size == "small":
        dims = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128)
    elif realistic_kind == "minilm":
        dims = dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)
    else:
        dims = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
    if size == "realistic":
        vocab = max(vocab, 30522)  # realistic embedding table size; tokenizer ids stay < vocab
    dims.update(over)
    common = dict(vocab_size=vocab, pad_token_id=0, num_labels=NUM_LABELS,
                  hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    if arch == "bert":
        return T.BertConfig(max_position_embeddings=MAX_POS, type_vocab_size=2, **common, **dims)
    if arch == "roberta":
        # positions start at pad_token_id + 1 -> need MAX_POS + 2 rows
        return T.RobertaConfig(max_position_embeddings=MAX_POS + 2, type_vocab_size=1,
                               bos_token_id=2, eos_token_id=3, **common, **dims)
    if arch == "albert":
        emb = 32 if size == "small" else 128
        return T.AlbertConfig(max_position_embeddings=MAX_POS, embedding_size=emb, type_vocab_size=2,
                              classifier_dropout_prob=0.0, hidden_act="gelu_new",
                              bos_token_id=2, eos_token_id=3, **common, **dims)
    if arch == "electra":
        emb = 32 if size == "small" else 128
        return T.ElectraConfig(max_position_embeddings=MAX_POS, embedding_size=emb, type_vocab_size=2, **common, **dims)
    if arch == "distilbert":
        return T.DistilBertConfig(vocab_size=vocab, max_position_embeddings=MAX_POS, dim=dims["hidden_size"],
                                  n_layers=dims["num_hidden_layers"], n_heads=dims["num_attention_heads"],
                                  hidden_dim=dims["intermediate_size"], pad_token_id=0, num_labels=NUM_LABELS,
                                  dropout=0.0, attention_dropout=0.0, seq_classif_dropout=0.0)
    raise ValueError(arch)


def cfg_dims(cfg) -> dict:
    get = lambda *ks: next(getattr(cfg, k) for k in ks if hasattr(cfg, k))  # noqa: E731
    return {"num_heads": get("num_attention_heads", "n_heads"),
            "hidden_size": get("hidden_size", "dim"),
            "num_layers": get("num_hidden_layers", "n_layers")}


def make_wrappers():
    import torch
    from torch import nn

    class LogitsWrapper(nn.Module):
        """What users write: call the HF model with keyword inputs, return .logits."""
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    class LogitsWrapper2(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask).logits

    class MeanPooled(nn.Module):
        """sentence-transformers style masked mean pooling over last_hidden_state."""
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            h = self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            w = attention_mask.unsqueeze(-1).to(h.dtype)
            return (h * w).sum(1) / w.sum(1).clamp(min=1e-9)

    class HiddenStates(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state

    return LogitsWrapper, LogitsWrapper2, MeanPooled, HiddenStates


def make_resnet(size: str):
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.b1 = nn.BatchNorm2d(cout)
            self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.b2 = nn.BatchNorm2d(cout)
            self.short = None
            if stride != 1 or cin != cout:
                self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = torch.relu(self.b1(self.c1(x)))
            y = self.b2(self.c2(y))
            return torch.relu(y + (x if self.short is None else self.short(x)))

    class ResNetLike(nn.Module):
        def __init__(self, widths, num_classes=NUM_LABELS):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
            blocks, cin = [], widths[0]
            for i, w in enumerate(widths):
                blocks.append(Block(cin, w, 1 if i == 0 else 2))
                blocks.append(Block(w, w, 1))
                cin = w
            self.blocks = nn.Sequential(*blocks)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(cin, num_classes)

        def forward(self, pixels):
            return self.fc(torch.flatten(self.pool(self.blocks(self.stem(pixels))), 1))

    widths = (16, 32, 64) if size == "small" else (64, 128, 256, 512)
    m = ResNetLike(widths)
    # non-trivial BN statistics so folding BN is actually exercised
    g = torch.Generator().manual_seed(SEED)
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.copy_(torch.randn(mod.num_features, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
    return m, {"num_heads": None, "hidden_size": widths[-1], "num_layers": 2 * len(widths)}


# --------------------------------------------------------------------------- export specs
SPECS = [
    # name, arch, head, exporter, opset, attention, extra
    dict(name="bert_ts17_eager", arch="bert", head="cls", exporter="torchscript", opset=17, attention="eager"),
    dict(name="bert_ts14_eager", arch="bert", head="cls", exporter="torchscript", opset=14, attention="eager"),
    dict(name="bert_ts17_sdpa", arch="bert", head="cls", exporter="torchscript", opset=17, attention="sdpa"),
    dict(name="bert_dynamo", arch="bert", head="cls", exporter="dynamo", opset=None, attention="sdpa"),
    dict(name="minilm_2in_pooled", arch="bert", head="pooled", exporter="torchscript", opset=17, attention="eager",
         realistic="minilm", small_over=dict(hidden_size=32, intermediate_size=64)),
    dict(name="bert_hidden_states", arch="bert", head="hidden", exporter="torchscript", opset=17, attention="eager"),
    dict(name="distilbert_ts17", arch="distilbert", head="cls2", exporter="torchscript", opset=17, attention="eager",
         realistic="distil"),
    dict(name="roberta_ts17", arch="roberta", head="cls2", exporter="torchscript", opset=17, attention="eager",
         small_over=dict(num_attention_heads=8)),
    dict(name="albert_ts17", arch="albert", head="cls", exporter="torchscript", opset=17, attention="eager"),
    dict(name="electra_ts17", arch="electra", head="cls", exporter="torchscript", opset=17, attention="eager"),
    dict(name="bert_optimum", arch="bert", head="cls", exporter="optimum", opset=17, attention="sdpa"),
    dict(name="resnet_like", arch="resnet", head="cnn", exporter="torchscript", opset=17, attention=None),
    dict(name="bert_external_data", arch="bert", head="cls", exporter="torchscript", opset=17, attention="eager",
         external=True),
    dict(name="bert_fp16", arch="bert", head="cls", exporter="torchscript", opset=17, attention="eager",
         dtype="fp16"),
]


def build_torch_model(spec, size, vocab):
    import torch
    import transformers as T

    torch.manual_seed(SEED)
    if spec["arch"] == "resnet":
        m, dims = make_resnet(size)
        return m.eval(), dims, None
    LogitsWrapper, LogitsWrapper2, MeanPooled, HiddenStates = make_wrappers()
    over = dict(spec.get("small_over", {})) if size == "small" else {}
    rk = spec.get("realistic", "base")
    if size == "realistic" and rk == "distil":
        rk = "base"
        over = dict(num_hidden_layers=6)
    cfg = tx_config(spec["arch"], size, vocab, realistic_kind=rk, **over)
    cfg._attn_implementation = spec["attention"]
    cls = {"bert": T.BertForSequenceClassification, "roberta": T.RobertaForSequenceClassification,
           "albert": T.AlbertForSequenceClassification, "electra": T.ElectraForSequenceClassification,
           "distilbert": T.DistilBertForSequenceClassification}[spec["arch"]]
    if spec["head"] in ("pooled", "hidden"):
        cls = T.BertModel
    hf = cls(cfg, attn_implementation=spec["attention"]) if _accepts_attn_kw(cls) else cls(cfg)
    hf.eval()
    wrap = {"cls": LogitsWrapper, "cls2": LogitsWrapper2, "pooled": MeanPooled, "hidden": HiddenStates}[spec["head"]]
    m = wrap(hf).eval()
    if spec.get("dtype") == "fp16":
        m = m.half()
    return m, cfg_dims(cfg), hf


def _accepts_attn_kw(cls) -> bool:
    try:
        import inspect
        return "attn_implementation" in inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return False


def input_names_for(spec):
    if spec["head"] == "cnn":
        return ["pixels"]
    if spec["head"] in ("cls2", "pooled"):
        return ["input_ids", "attention_mask"]
    return ["input_ids", "attention_mask", "token_type_ids"]


def output_name_and_role(spec):
    return {"cls": ("logits", "logits"), "cls2": ("logits", "logits"), "cnn": ("logits", "logits"),
            "pooled": ("sentence_embedding", "pooled"), "hidden": ("last_hidden_state", "hidden_states")}[spec["head"]]


def trace_inputs(spec, vocab):
    import torch

    g = torch.Generator().manual_seed(SEED)
    if spec["head"] == "cnn":
        return (torch.randn(TRACE_BATCH, 3, 32, 32, generator=g),)
    ids = torch.randint(5, vocab, (TRACE_BATCH, TRACE_SEQ), generator=g)
    ids[:, 0], ids[:, -1] = 2, 3
    mask = torch.ones(TRACE_BATCH, TRACE_SEQ, dtype=torch.long)
    mask[1, -4:] = 0  # some padding so the mask path is traced for real
    tt = torch.zeros(TRACE_BATCH, TRACE_SEQ, dtype=torch.long)
    full = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}
    return tuple(full[n] for n in input_names_for(spec))


def export_torchscript(m, args, spec, path: Path):
    import torch

    names = input_names_for(spec)
    out_name, _ = output_name_and_role(spec)
    if spec["head"] == "cnn":
        dyn = {"pixels": {0: "batch"}, out_name: {0: "batch"}}
    else:
        dyn = {n: {0: "batch", 1: "sequence"} for n in names}
        dyn[out_name] = {0: "batch", 1: "sequence"} if spec["head"] == "hidden" else {0: "batch"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(m, args, str(path), dynamo=False, opset_version=spec["opset"], input_names=names,
                          output_names=[out_name], dynamic_axes=dyn, do_constant_folding=True)


def export_dynamo(m, args, spec, path: Path):
    import torch
    from torch.export import Dim

    names = input_names_for(spec)
    out_name, _ = output_name_and_role(spec)
    batch, seq = Dim("batch", min=1, max=1024), Dim("sequence", min=1, max=MAX_POS)
    ds = {n: {0: batch, 1: seq} for n in names}
    kw = {}
    if spec["opset"] is not None:
        kw["opset_version"] = spec["opset"]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prog = torch.onnx.export(m, args, dynamo=True, input_names=names, output_names=[out_name],
                                 dynamic_shapes=ds, verbose=False, report=False, **kw)
    prog.save(str(path))


# --------------------------------------------------------------------------- optimum (second venv)
OPTIMUM_WORKER = r'''
import json, sys, os, warnings
warnings.simplefilter("ignore")
os.environ["HF_HUB_OFFLINE"] = "1"; os.environ["TRANSFORMERS_OFFLINE"] = "1"
import torch, transformers as T
cfg_json, workdir, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
cfg = T.BertConfig(**json.loads(open(cfg_json).read()))
torch.manual_seed(seed)
m = T.BertForSequenceClassification(cfg).eval()
hf_dir = os.path.join(workdir, "hf"); m.save_pretrained(hf_dir)
from optimum.exporters.onnx import main_export
main_export(hf_dir, output=os.path.join(workdir, "onnx"), task="text-classification", opset=17,
            do_validation=False, no_post_process=False, device="cpu")
import importlib.metadata as md
print("VERSIONS=" + json.dumps({p: md.version(p) for p in ("torch", "transformers", "optimum", "optimum-onnx", "onnx")}))
'''


def export_optimum(spec, size, vocab, out_dir: Path, tmp: Path):
    """Returns (note, versions) or raises. Torch reference is the saved HF checkpoint, loaded here."""
    import torch
    import transformers as T

    if not OPTIMUM_PY.exists():
        raise RuntimeError(f"optimum venv not found at {OPTIMUM_PY.relative_to(REPO)} (see README)")
    cfg = tx_config("bert", size, vocab)
    cfg_d = {k: v for k, v in cfg.to_dict().items()
             if k in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                      "max_position_embeddings", "type_vocab_size", "pad_token_id", "hidden_dropout_prob",
                      "attention_probs_dropout_prob")}
    cfg_d["num_labels"] = NUM_LABELS
    tmp.mkdir(parents=True, exist_ok=True)
    cj = tmp / "cfg.json"
    cj.write_text(json.dumps(cfg_d))
    worker = tmp / "worker.py"
    worker.write_text(OPTIMUM_WORKER)
    env = dict(os.environ, PYTHONHASHSEED="0")
    r = subprocess.run([str(OPTIMUM_PY), str(worker), str(cj), str(tmp), str(SEED)], capture_output=True, text=True,
                       env=env)
    if r.returncode != 0:
        last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"rc={r.returncode}"
        raise RuntimeError(f"optimum export failed: {last}")
    vers = json.loads(next(l for l in r.stdout.splitlines() if l.startswith("VERSIONS="))[9:])
    finalize_onnx(tmp / "onnx" / "model.onnx", out_dir)
    # torch reference in *this* venv from the same weights
    hf = T.BertForSequenceClassification.from_pretrained(str(tmp / "hf"), attn_implementation="eager").eval()
    LogitsWrapper = make_wrappers()[0]
    return LogitsWrapper(hf).eval(), cfg_dims(hf.config), vers


# --------------------------------------------------------------------------- main
def make_one(spec, size, tok, vocab, labels, out_root: Path, tmp: Path, base_versions: dict):
    import numpy as np
    import torch

    name = spec["name"]
    out_dir = out_root / name
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    raw = tmp / f"{name}.raw.onnx"
    vers = dict(base_versions)
    notes = []
    out_name, role = output_name_and_role(spec)

    if spec["exporter"] == "optimum":
        m, dims, overs = export_optimum(spec, size, vocab, out_dir, tmp / "optimum")
        vers.update(overs)
        notes.append("exported in .cache/corpus-optimum-venv (optimum-onnx pins transformers<4.58); "
                     "optimum names output 'logits', inputs input_ids/attention_mask/token_type_ids")
        out_name = "logits"
    else:
        m, dims, _ = build_torch_model(spec, size, vocab)
        args = trace_inputs(spec, vocab)
        if spec["exporter"] == "dynamo":
            export_dynamo(m, args, spec, raw)
        else:
            export_torchscript(m, args, spec, raw)
        finalize_onnx(raw, out_dir, external=spec.get("external", False))

    model_path = out_dir / "model.onnx"
    ins, outs, opset = io_spec(model_path, {out_name: role})

    # ---- validate: ORT vs torch on real tokenized text (different batch/seq than the trace)
    if spec["head"] == "cnn":
        g = torch.Generator().manual_seed(SEED + 1)
        x = torch.randn(3, 3, 32, 32, generator=g)
        feeds = {"pixels": x.numpy()}
        targs = (x,)
    else:
        ids, mask, tt = encode_batch(tok, VALIDATE_TEXTS)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}
        targs = tuple(torch.from_numpy(feeds[n]) for n in input_names_for(spec))
    with torch.no_grad():
        ref = m(*targs).float().numpy()
    got = ort_run(model_path, feeds)[0]
    assert got.shape == ref.shape, (got.shape, ref.shape)
    diff = float(np.max(np.abs(got.astype(np.float32) - ref)))
    if not np.isfinite(got).all():
        raise RuntimeError("non-finite ORT output")
    if spec.get("dtype") == "fp16":
        notes.append("exported from model.half() on CPU with the TorchScript exporter (no onnx float16 converter)")
        if got.dtype != np.float16:
            notes.append(f"WARNING output dtype is {got.dtype}")

    tokenizer_rel = None
    if spec["head"] != "cnn":
        tok.save(str(out_dir / "tokenizer.json"))
        tokenizer_rel = f"{name}/tokenizer.json"
    (out_dir / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")

    files = sorted(p for p in out_dir.iterdir() if p.is_file())
    entry = {
        "name": name,
        "path": f"{name}/model.onnx",
        "kind": "cnn" if spec["head"] == "cnn" else "transformer",
        "architecture": {"resnet": "ResNetLike"}.get(spec["arch"], type(m.m).__name__ if hasattr(m, "m") else spec["arch"]),
        "exporter": spec["exporter"],
        "opset": opset,
        "attention": spec["attention"],
        "inputs": ins,
        "outputs": outs,
        **dims,
        "external_data": bool(spec.get("external", False)),
        "dtype": spec.get("dtype", "fp32"),
        "tokenizer": tokenizer_rel,
        "labels": f"{name}/labels.txt",
        "versions": vers,
        "ort_vs_torch_max_abs_diff": float(f"{diff:.3g}"),
        "seed": SEED,
        "files": {p.name: {"bytes": p.stat().st_size, "sha256": sha256(p)} for p in files},
        "notes": notes,
    }
    return entry


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=["small", "realistic"], default="small")
    ap.add_argument("--out", type=Path, default=None, help="output dir (default depends on --size)")
    ap.add_argument("--only", nargs="*", default=None, help="subset of model names")
    a = ap.parse_args(argv)

    import torch

    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_num_threads(1)
    out_root = a.out or (SMALL_OUT if a.size == "small" else REALISTIC_OUT)
    out_root.mkdir(parents=True, exist_ok=True)

    texts, labels = read_texts_and_labels()
    tok = build_tokenizer(texts)
    vocab = tok.get_vocab_size()
    base_versions = versions()

    specs = [s for s in SPECS if a.only is None or s["name"] in a.only]
    manifest_path = out_root / "manifest.json"
    old = {}
    if a.only is not None and manifest_path.exists():
        old = {e["name"]: e for e in json.loads(manifest_path.read_text())["models"]}
    entries, failures = dict(old), dict()
    if a.only is not None and manifest_path.exists():
        failures = json.loads(manifest_path.read_text()).get("failures", {})
    with tempfile.TemporaryDirectory(prefix="corpus-") as td:
        for spec in specs:
            print(f"[corpus] {spec['name']} ...", flush=True)
            try:
                entries[spec["name"]] = make_one(spec, a.size, tok, vocab, labels, out_root, Path(td), base_versions)
                failures.pop(spec["name"], None)
                e = entries[spec["name"]]
                print(f"[corpus]   ok opset={e['opset']} diff={e['ort_vs_torch_max_abs_diff']} "
                      f"bytes={sum(f['bytes'] for f in e['files'].values())}", flush=True)
            except Exception as exc:  # record and continue
                msg = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"[:500]
                failures[spec["name"]] = msg
                entries.pop(spec["name"], None)
                shutil.rmtree(out_root / spec["name"], ignore_errors=True)
                print(f"[corpus]   FAILED {msg}", flush=True)
                if os.environ.get("CORPUS_DEBUG"):
                    traceback.print_exc()

    order = [s["name"] for s in SPECS]
    manifest = {
        "generator": {
            "script": "tests/corpus/make_corpus.py",
            "command": ".cache/corpus-venv/bin/python tests/corpus/make_corpus.py" + (" --size realistic" if a.size != "small" else ""),
            "size": a.size,
            "seed": SEED,
            "tokenizer": {"type": "WordPiece (tokenizers); frequency-ranked vocab, see build_vocab()",
                          "trained_on": "resources/demo/intents_train.csv:text",
                          "vocab_size": vocab, "special_tokens": {t: tok.token_to_id(t) for t in SPECIAL},
                          "max_length": MAX_POS},
            "trace_shape": [TRACE_BATCH, TRACE_SEQ],
            "validation_texts": VALIDATE_TEXTS,
            "versions": base_versions,
        },
        "notes": [
            "Random weights; logits are meaningless, only shapes/graphs/numerics are realistic.",
            "Models traced at batch=2, seq=16 and validated in onnxruntime at batch=3 on real tokenized text.",
            "optimum-onnx 0.1.0 (latest) requires transformers<4.58, incompatible with the transformers pinned here; "
            "bert_optimum is exported from a second venv .cache/corpus-optimum-venv (tests/corpus/requirements-optimum.txt).",
            "tokenizers' WordPieceTrainer is not deterministic across processes (frequency ties broken in "
            "HashMap order change the vocab set), so the vocab is built deterministically from word counts.",
            "ONNX doc_strings and node metadata_props (stack traces with absolute paths) are stripped for determinism.",
        ],
        "models": [entries[n] for n in order if n in entries],
        "failures": {n: failures[n] for n in order if n in failures},
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"[corpus] wrote {manifest_path} ({len(manifest['models'])} models, {len(manifest['failures'])} failed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
