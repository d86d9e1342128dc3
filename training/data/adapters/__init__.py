"""Adapters from public Hub datasets to the canonical example format, one per dataset the paper's tasks use.

=================  ==================================  ======  ==============================================
adapter            Hub dataset (default config)        task    columns read
=================  ==================================  ======  ==============================================
librispeech        openslr/librispeech_asr (clean)     asr     audio, text, speaker_id, id
aishell            carlot/AIShell                      asr     audio, text | transcription | sentence
covost2            facebook/covost2 (en_de)            s2tt    audio, translation, client_id, id
libritts           mythicinfinity/libritts (clean)     tts     audio, text_normalized, speaker_id, id
voicebank_demand   JacobLinCool/VoiceBank-DEMAND-16k   se      noisy, clean, id
clotho             LakoreAI/clotho-dev-sample          aac     audio, caption_1 ... caption_5, file_name
iemocap            Zahra99/IEMOCAP_Audio               ser     audio, label (ang / hap / neu / sad)
slurp              qmeeus/slurp                        slu     audio, intent, sentence_annotation | entities
wmt14, opus100     wmt/wmt14, Helsinki-NLP/opus-100    mt      translation ({"en": ..., "de": ...})
demo               a canonical corpus (build-demo-data) any     already canonical, one config per task
=================  ==================================  ======  ==============================================

``load_task_dataset(name_or_path, adapter=..., split=...)`` is the entry point.
"""

from . import speech, text, understanding  # noqa: F401  (register the adapters)
from .base import (
    ADAPTERS,
    Converter,
    DatasetAdapter,
    get_adapter,
    register_adapter,
    to_canonical,
)
from .loading import (
    CANONICAL,
    is_canonical_folder,
    load_canonical,
    load_task_dataset,
    resolve_adapter,
)

__all__ = [
    "ADAPTERS",
    "CANONICAL",
    "Converter",
    "DatasetAdapter",
    "get_adapter",
    "is_canonical_folder",
    "load_canonical",
    "load_task_dataset",
    "register_adapter",
    "resolve_adapter",
    "to_canonical",
]
