"""Make the offline tokenizer AIPerf loads with ``--tokenizer PATH`` (run by scripts/setup.sh with
AIPerf's own Python: ``.aiperf/venv/bin/python scripts/aiperf_tokenizer.py OUT_DIR``).

AIPerf needs a tokenizer to build synthetic prompts of a given token count; given a model id it
would fetch the model's from the Hugging Face Hub, and ``--tokenizer builtin`` downloads tiktoken's
table: neither works offline. This trains a small byte-level BPE (8000 tokens) on a corpus that
ships inside AIPerf (its Shakespeare text) and saves it in Hugging Face's layout, with no network.
Byte-level BPE round-trips any text. Its counts are not the served model's: the load step passes
``--use-server-token-count``, so measured token counts come from the endpoint's ``usage``.

Written to a temporary folder and renamed, so a half-made tokenizer is never used.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import aiperf
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

VOCAB_SIZE = 8000
SPECIAL = "<|endoftext|>"
CORPUS = Path(aiperf.__file__).parent / "dataset" / "generator" / "assets" / "shakespeare.txt"


def train(corpus: Path) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=2,
        special_tokens=[SPECIAL],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train([str(corpus)], trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=SPECIAL,
        eos_token=SPECIAL,
        unk_token=SPECIAL,
        model_max_length=1_000_000,
    )


def main(out: Path, corpus: Path = CORPUS) -> None:
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        train(corpus).save_pretrained(str(tmp))
        config = tmp / "tokenizer_config.json"
        settings = json.loads(config.read_text())
        # transformers 5 writes its own backend's name; the generic class loads with 4.x too.
        settings["tokenizer_class"] = "PreTrainedTokenizerFast"
        config.write_text(json.dumps(settings, indent=2) + "\n")
        check = PreTrainedTokenizerFast.from_pretrained(str(tmp))
        text = "Shall I compare thee to a summer's day?"
        if check.decode(check.encode(text)) != text:
            raise SystemExit(f"the tokenizer in {tmp} does not round-trip {text!r}")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"offline tokenizer for AIPerf: {out} ({VOCAB_SIZE} tokens, trained on {corpus.name})")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit("usage: aiperf_tokenizer.py OUT_DIR [CORPUS_TXT]")
    main(Path(sys.argv[1]), *(Path(a) for a in sys.argv[2:]))
