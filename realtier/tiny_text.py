"""Tiny tokenizers and text/vision encoders built in code (no Hub access).

The tokenizers keep the real special tokens and, for Qwen2, the real special-token ids
(151643-151656), and Gemma's the ids 0-4 of its vocabulary, so the pipelines' prompt templates and the Qwen2-VL processor work unchanged.
"""

from __future__ import annotations

import string

from transformers import (
    CLIPImageProcessor,
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTextModelWithProjection,
    CLIPTokenizer,
    CLIPVisionConfig,
    CLIPVisionModelWithProjection,
    Gemma3Config,
    Gemma3ForConditionalGeneration,
    GemmaTokenizer,
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2Tokenizer,
    Qwen2VLImageProcessor,
    Qwen2VLProcessor,
    T5Config,
    T5EncoderModel,
    T5Tokenizer,
    UMT5Config,
    UMT5EncoderModel,
)
from transformers.convert_slow_tokenizer import bytes_to_unicode

QWEN_SPECIAL = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
]
QWEN_FIRST_SPECIAL = 151643
QWEN_VOCAB = 152064


def clip_tokenizer() -> CLIPTokenizer:
    """Byte-level BPE without merges: every byte (plus its end-of-word form) is a token."""
    chars = list(bytes_to_unicode().values())
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in chars:
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77, pad_token="<|endoftext|>")


def t5_tokenizer() -> T5Tokenizer:
    """A Unigram vocabulary of single characters (with and without the word marker)."""
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    for c in string.ascii_letters + string.digits + string.punctuation:
        pieces.append((c, -5.0))
        pieces.append(("▁" + c, -4.0))
    return T5Tokenizer(vocab=pieces, extra_ids=0, additional_special_tokens=[], model_max_length=512)


def qwen_tokenizer() -> Qwen2Tokenizer:
    chars = list(bytes_to_unicode().values())
    vocab = {c: i for i, c in enumerate(chars)}
    for i in range(len(vocab), QWEN_FIRST_SPECIAL):
        vocab[f"<|filler_{i}|>"] = i
    for i, tok in enumerate(QWEN_SPECIAL):
        vocab[tok] = QWEN_FIRST_SPECIAL + i
    tok = Qwen2Tokenizer(vocab=vocab, merges=[], model_max_length=32768)
    tok.add_special_tokens({"additional_special_tokens": QWEN_SPECIAL[1:]})
    return tok


def qwen_processor(tokenizer: Qwen2Tokenizer) -> Qwen2VLProcessor:
    image_processor = Qwen2VLImageProcessor(patch_size=14, merge_size=2, temporal_patch_size=2,
                                            min_pixels=56 * 56, max_pixels=112 * 112)
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    video_processor = Qwen2VLVideoProcessor(patch_size=14, merge_size=2, temporal_patch_size=2)
    return Qwen2VLProcessor(image_processor=image_processor, tokenizer=tokenizer, video_processor=video_processor)


def clip_text(tok: CLIPTokenizer, hidden: int, projection: bool, projection_dim: int = 32):
    cfg = CLIPTextConfig(
        hidden_size=hidden, intermediate_size=37, num_attention_heads=2, num_hidden_layers=2,
        vocab_size=len(tok), max_position_embeddings=77, projection_dim=projection_dim,
        bos_token_id=0, eos_token_id=1, pad_token_id=1,
    )
    return (CLIPTextModelWithProjection if projection else CLIPTextModel)(cfg).eval()


def t5_encoder(tok: T5Tokenizer, d_model: int, umt5: bool = False):
    kw = dict(vocab_size=len(tok), d_model=d_model, d_ff=37, d_kv=8, num_heads=4, num_layers=2,
              relative_attention_num_buckets=8, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    return (UMT5EncoderModel(UMT5Config(**kw)) if umt5 else T5EncoderModel(T5Config(**kw))).eval()


def qwen_vl(hidden: int) -> Qwen2_5_VLForConditionalGeneration:
    cfg = Qwen2_5_VLConfig(
        text_config={
            "hidden_size": hidden, "intermediate_size": hidden, "num_hidden_layers": 2,
            "num_attention_heads": 2, "num_key_value_heads": 2, "vocab_size": QWEN_VOCAB,
            "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
            "rope_theta": 1000000.0,
        },
        vision_config={"depth": 2, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2,
                       "out_hidden_size": hidden, "patch_size": 14, "spatial_merge_size": 2,
                       "temporal_patch_size": 2, "fullatt_block_indexes": [1], "window_size": 56},
        hidden_size=hidden, vocab_size=QWEN_VOCAB,
        vision_start_token_id=151652, vision_end_token_id=151653, vision_token_id=151654,
        image_token_id=151655, video_token_id=151656,
    )
    return Qwen2_5_VLForConditionalGeneration(cfg).eval()


def clip_vision(hidden: int):
    cfg = CLIPVisionConfig(hidden_size=hidden, projection_dim=hidden, num_hidden_layers=2,
                           num_attention_heads=2, image_size=28, intermediate_size=16, patch_size=14)
    return CLIPVisionModelWithProjection(cfg).eval(), CLIPImageProcessor(crop_size=28, size={"shortest_edge": 28})


# Gemma 3: <pad> <eos> <bos> <unk> <mask> at 0-4 (GemmaTokenizer's layout), the chat / image
# markers as additional special tokens.
GEMMA3_SPECIAL = ["<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>", "<image_soft_token>"]


def gemma_tokenizer() -> GemmaTokenizer:
    """BPE without merges over single characters (and the `▁` word marker), byte fallback."""
    vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "<mask>": 4}
    for i in range(256):
        vocab[f"<0x{i:02X}>"] = len(vocab)
    for c in "▁" + string.ascii_letters + string.digits + string.punctuation:
        vocab.setdefault(c, len(vocab))
    for tok in GEMMA3_SPECIAL:
        vocab[tok] = len(vocab)
    tok = GemmaTokenizer(vocab=vocab, merges=[], model_max_length=131072, add_bos_token=True)
    tok.add_special_tokens({"additional_special_tokens": GEMMA3_SPECIAL})
    return tok


def gemma3(tok: GemmaTokenizer, hidden: int, layers: int = 2) -> Gemma3ForConditionalGeneration:
    """Gemma 3 with a tiny SigLIP tower (LTX-2 reads only the text model's hidden states)."""
    ids = tok.convert_tokens_to_ids(GEMMA3_SPECIAL[2:])
    cfg = Gemma3Config(
        text_config={"hidden_size": hidden, "intermediate_size": 37, "num_hidden_layers": layers,
                     "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "vocab_size": len(tok),
                     "sliding_window": 64, "pad_token_id": 0, "eos_token_id": 1, "bos_token_id": 2},
        vision_config={"hidden_size": 16, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
                       "image_size": 28, "patch_size": 14},
        mm_tokens_per_image=4, boi_token_index=ids[0], eoi_token_index=ids[1], image_token_index=ids[2],
    )
    return Gemma3ForConditionalGeneration(cfg).eval()
