"""Tiny random-weight models built from a config, for tests and CPU benchmarks.

No weights can be downloaded here, and none are needed to test plumbing:
these builders make models of the real architectures with a few thousand
parameters, save them like a hub checkpoint, and return the folder, which
loads through the ordinary ``from_pretrained(path)`` calls.

Public builders:

* :func:`build_tiny_llava` - a LLaVA-1.5-style vision-language model
  (CLIP vision tower + Llama), with processor, tokenizer and chat template.
* :func:`build_random_llava_15_7b` - a random-weight model of LLaVA-1.5-7B's
  architecture (CLIP ViT-L/14-336 + a 7B Llama), built in memory on a GPU for
  throughput benchmarks (throughput does not depend on weight values when the
  generated length is fixed).
* :func:`build_word_tokenizer`, :func:`build_llava_processor` - the parts.
"""
from __future__ import annotations

from pathlib import Path

LLAVA_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'user' %}USER: "
    "{% for part in message['content'] %}{% if part['type'] == 'image' %}<image>\n"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %} "
    "{% else %}ASSISTANT: {% for part in message['content'] %}{{ part['text'] }}{% endfor %}"
    "</s>{% endif %}{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)

_WORDS = ("a the image shows conveys mood of calm joy city street people dog sky sea light dark "
          "warm cold protest crowd family food sport night day red blue green old young quiet "
          "loud together alone hope fear pride home work play music art nature").split()


def _image_processor_class():
    """CLIP's image processor without torchvision (the PIL backend when transformers has one)."""
    try:
        from transformers import CLIPImageProcessorPil
        return CLIPImageProcessorPil
    except ImportError:  # older transformers: the one class is PIL-based already
        from transformers import CLIPImageProcessor
        return CLIPImageProcessor


def build_word_tokenizer(words=_WORDS, extra_special=("<image>",)):
    """A whitespace WordLevel tokenizer over ``words`` with <pad>, <s>, </s>, <unk> and extras."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<s>", "</s>", "<unk>", *extra_special]
    vocab = {tok: i for i, tok in enumerate([*specials, "USER:", "ASSISTANT:", *words])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", bos_token="<s>",
                                   eos_token="</s>", unk_token="<unk>",
                                   additional_special_tokens=list(extra_special))


def build_tiny_llava(path: str | Path, image_size: int = 32, patch_size: int = 8, hidden: int = 32,
                     seed: int = 0, min_new_tokens: int = 2) -> Path:
    """Save a tiny random-weight LLaVA (model + processor) to ``path`` and return it.

    The vision tower is a 2-layer CLIP ViT on ``image_size`` px images cut in
    ``patch_size`` px patches ((image_size / patch_size)**2 image tokens); the
    language model a 2-layer Llama over a ~60-word vocabulary. The saved
    generation config asks for at least ``min_new_tokens`` tokens so a random
    model never answers with nothing. Loads with
    ``AutoModelForImageTextToText.from_pretrained(path)`` and
    ``AutoProcessor.from_pretrained(path)``.
    """
    import torch
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration

    path = Path(path)
    tokenizer = build_word_tokenizer()
    vocab = len(tokenizer)
    image_token = tokenizer.convert_tokens_to_ids("<image>")
    vision = CLIPVisionConfig(hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=2,
                              num_attention_heads=2, image_size=image_size, patch_size=patch_size,
                              projection_dim=hidden)
    text = LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=hidden * 2,
                       num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                       max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id,
                       bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    config = LlavaConfig(vision_config=vision, text_config=text, image_token_index=image_token,
                         image_seq_length=(image_size // patch_size) ** 2,
                         vision_feature_select_strategy="default", vision_feature_layer=-2)
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config).eval()
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.min_new_tokens = min_new_tokens
    processor = build_llava_processor(tokenizer, image_size, patch_size)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


def build_llava_processor(tokenizer, image_size: int, patch_size: int):
    """A ``LlavaProcessor`` (CLIP image processor at ``image_size`` px, LLaVA chat template)."""
    from transformers import LlavaProcessor

    image_processor = _image_processor_class()(
        size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size})
    return LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer,
                          patch_size=patch_size, vision_feature_select_strategy="default",
                          num_additional_image_tokens=1, chat_template=LLAVA_CHAT_TEMPLATE)


def llava_15_7b_config(tokenizer, text_layers: int = 32, vision_layers: int = 24):
    """``LlavaConfig`` of LLaVA-1.5-7B (CLIP ViT-L/14-336 + Vicuna-7B), from its published values.

    Token ids (image, pad, bos, eos) follow ``tokenizer``. ``text_layers`` and
    ``vision_layers`` may be lowered for a small smoke test of the same shapes.
    """
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig

    vision = CLIPVisionConfig(hidden_size=1024, intermediate_size=4096,
                              num_hidden_layers=vision_layers, num_attention_heads=16,
                              image_size=336, patch_size=14, projection_dim=768,
                              hidden_act="quick_gelu")
    text = LlamaConfig(vocab_size=len(tokenizer), hidden_size=4096, intermediate_size=11008,
                       num_hidden_layers=text_layers, num_attention_heads=32,
                       num_key_value_heads=32, max_position_embeddings=4096, rms_norm_eps=1e-5,
                       pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                       eos_token_id=tokenizer.eos_token_id)
    return LlavaConfig(vision_config=vision, text_config=text,
                       image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
                       image_seq_length=576, vision_feature_select_strategy="default",
                       vision_feature_layer=-2, projector_hidden_act="gelu")


def build_random_llava_15_7b(device: str = "cuda", dtype: str = "bfloat16", seed: int = 0,
                             text_layers: int = 32, vision_layers: int = 24):
    """A random-weight LLaVA-1.5-7B-architecture model in memory: ``(model, processor)``.

    The tokenizer is a WordLevel one padded to LLaVA's 32,064-token vocabulary, so
    every generated id decodes to a word. About 7.1e9 parameters (14 GB in
    bfloat16) at the full depth; built directly on ``device``.
    """
    import torch
    from transformers import LlavaForConditionalGeneration

    base = ["USER:", "ASSISTANT:", *_WORDS]
    filler = [f"w{i}" for i in range(32064 - 5 - len(base))]
    tokenizer = build_word_tokenizer(words=(*_WORDS, *filler))
    config = llava_15_7b_config(tokenizer, text_layers, vision_layers)
    torch.manual_seed(seed)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, dtype))
    try:
        with torch.device(device):
            model = LlavaForConditionalGeneration(config).eval()
    finally:
        torch.set_default_dtype(previous)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model, build_llava_processor(tokenizer, image_size=336, patch_size=14)


LLAMA_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['content'] is string %}{% set text = message['content'] %}"
    "{% else %}{% set text = message['content'] | selectattr('type', 'equalto', 'text') "
    "| map(attribute='text') | join(' ') %}{% endif %}"
    "{% if message['role'] == 'assistant' %}ASSISTANT: {{ text }}</s>"
    "{% else %}USER: {{ text }} {% endif %}{% endfor %}"
    "{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)


def build_tiny_llama(path: str | Path, hidden: int = 32, seed: int = 0, min_new_tokens: int = 2) -> Path:
    """Save a tiny random-weight Llama chat model (model + tokenizer) to ``path`` and return it.

    A 2-layer Llama over the same ~60-word WordLevel vocabulary as
    :func:`build_tiny_llava` (unknown words become ``<unk>``), with a chat
    template that takes system, user and assistant messages whose content is a
    string or a list of text parts. As there, the generation config asks for at
    least ``min_new_tokens`` tokens. Loads with
    ``AutoModelForCausalLM.from_pretrained(path)`` and
    ``AutoTokenizer.from_pretrained(path)``; ``transformers serve`` serves it.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    path = Path(path)
    tokenizer = build_word_tokenizer(extra_special=())
    tokenizer.chat_template = LLAMA_CHAT_TEMPLATE
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 2,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                         max_position_embeddings=2048, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).eval()
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.min_new_tokens = min_new_tokens
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
