"""What an adapter is, the registry of adapters, and the one ``datasets.map`` that applies any of them.

An adapter turns the rows of one public dataset, in its own Hub schema, into canonical rows
(``training.data.schema``). It is declarative: the Hub id and default config, which canonical split is which Hub
split, which Hub column plays which role, and a small ``convert`` function from one source row to zero or more
canonical rows (Clotho gives one row per caption). Column names can be overridden per call, so a mirror of a
dataset that renamed a column needs no new code::

    adapter = get_adapter("librispeech").with_options(columns={"text": "transcription"})
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from datasets import Audio, ClassLabel, Dataset

from ....errors import InvalidInputError
from ..schema import COLUMNS, example_features

# convert(row, key, adapter) -> canonical rows (``make_example`` dicts). ``row`` has its Hub columns, with audio
# columns undecoded ({"bytes", "path"}) and ClassLabel ids replaced by their names; ``key`` ("train.100-17": split
# and position) stands in for an id when the source has none.
Converter = Callable[[dict, str, "DatasetAdapter"], list[dict]]


@dataclass(frozen=True)
class DatasetAdapter:
    """How one Hub dataset maps onto the canonical example format.

    Attributes:
        name: registry key (``"librispeech"``); also the prefix of row ids the source does not provide.
        hub_id: the dataset on the Hub (``"openslr/librispeech_asr"``).
        task: the LauraGPT task its rows train (``"asr"``).
        convert: one source row -> canonical rows (see ``Converter``).
        config: the Hub config loaded by default (``"clean"``), or ``None`` for the default one.
        splits: canonical split (``train``/``validation``/``test``) -> Hub split expression (``"train.100"``,
            ``"session1+session2"``); a split not listed is passed to the Hub unchanged.
        columns: role -> Hub column name (roles are the converter's: ``"audio"``, ``"text"``, ``"speaker"``...), or
            a tuple of candidate names, the first one the dataset has being used (mirrors differ).
        audio_roles: roles whose columns hold audio; they are read undecoded and decoded later at 16 kHz.
        required_roles: other roles whose columns must exist (checked before mapping, with a fix in the error).
        options: converter settings (``{"target_language": "de"}``, ``{"captions": "all"}``).
        description: one line for ``--help`` and error messages.
    """

    name: str
    hub_id: str
    task: str
    convert: Converter
    config: str | None = None
    splits: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, str] = field(default_factory=dict)
    audio_roles: tuple[str, ...] = ("audio",)
    required_roles: tuple[str, ...] = ()
    options: Mapping[str, object] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self):
        for name in ("splits", "columns", "options"):  # private copies: adapters are shared through the registry
            object.__setattr__(self, name, dict(getattr(self, name)))

    def column(self, role: str) -> str:
        """The Hub column that plays ``role`` (the role name itself when the adapter does not rename it; the first
        candidate when several are listed and ``resolve`` has not picked one)."""
        name = self.columns.get(role, role)
        return name if isinstance(name, str) else name[0]

    def resolve(self, column_names) -> DatasetAdapter:
        """A copy whose candidate column lists are narrowed to the first name present in ``column_names``."""
        present = set(column_names)
        columns = {
            role: name if isinstance(name, str) else next((c for c in name if c in present), name[0])
            for role, name in self.columns.items()
        }
        return dataclasses.replace(self, columns=columns)

    def value(self, row: dict, role: str, default=None):
        """``row``'s value for ``role``; ``default`` when the column is absent or empty."""
        value = row.get(self.column(role))
        return default if value is None else value

    def hub_split(self, split: str) -> str:
        """The Hub split expression for a canonical split name."""
        return self.splits.get(split, split)

    def with_options(self, config: str | None = None, columns: Mapping | None = None, options: Mapping | None = None):
        """A copy with another Hub config and/or some columns or options overridden."""
        return dataclasses.replace(
            self,
            config=self.config if config is None else config,
            columns={**self.columns, **(columns or {})},
            options={**self.options, **(options or {})},
        )


ADAPTERS: dict[str, DatasetAdapter] = {}


def register_adapter(adapter: DatasetAdapter) -> DatasetAdapter:
    """Add ``adapter`` to the registry under ``adapter.name`` (replacing one of the same name) and return it."""
    ADAPTERS[adapter.name] = adapter
    return adapter


def get_adapter(name_or_hub_id: str) -> DatasetAdapter:
    """The registered adapter named ``name_or_hub_id``, or the one whose ``hub_id`` it is."""
    if name_or_hub_id in ADAPTERS:
        return ADAPTERS[name_or_hub_id]
    for adapter in ADAPTERS.values():
        if adapter.hub_id.lower() == name_or_hub_id.lower():
            return adapter
    listing = ", ".join(f"{a.name} ({a.hub_id}, {a.task})" for a in ADAPTERS.values())
    raise KeyError(
        f"No dataset adapter named {name_or_hub_id!r}. Registered: {listing}. Pick one of these names, or write a "
        "DatasetAdapter for your dataset and register_adapter() it."
    )


def _check_columns(dataset: Dataset, adapter: DatasetAdapter) -> None:
    """Raise when a column the adapter reads is missing, naming the override that fixes it."""
    required = [adapter.column(role) for role in (*adapter.audio_roles, *adapter.required_roles)]
    missing = [name for name in required if name not in dataset.column_names]
    if missing:
        raise InvalidInputError(
            f"Dataset for adapter {adapter.name!r} lacks column(s) {missing}; it has {dataset.column_names}. "
            f"If this mirror names them differently, override: get_adapter({adapter.name!r}).with_options("
            "columns={'<role>': '<column>'})."
        )


def _convert_batch(
    batch: dict, indices: list[int], adapter: DatasetAdapter, labels: dict[str, ClassLabel], split: str
) -> dict:
    """Batched ``datasets.map`` function: Hub rows -> canonical columns (the number of rows may change)."""
    out = {column: [] for column in COLUMNS}
    for position, index in enumerate(indices):
        row = {name: values[position] for name, values in batch.items()}
        for name, feature in labels.items():
            if row[name] is not None:
                row[name] = feature.int2str(row[name])
        for example in adapter.convert(row, f"{split}-{index}", adapter):
            for column in COLUMNS:
                out[column].append(example[column])
    return out


def to_canonical(
    dataset: Dataset, adapter: DatasetAdapter, split: str | None = None, num_proc: int | None = None
) -> Dataset:
    """Map a Hub dataset (one split) to canonical rows with ``adapter``; audio columns become 16 kHz ``Audio``.

    dataset : a ``datasets.Dataset`` in the adapter's Hub schema
    split : its split name, used in the ids of rows whose source has no id (default: ``dataset.split``)
    returns : a ``datasets.Dataset`` with exactly ``schema.example_features()``; audio is decoded (and resampled
        to 16 kHz) only when a row is read
    """
    adapter = adapter.resolve(dataset.column_names)
    _check_columns(dataset, adapter)
    split = split or str(dataset.split or "rows")
    for role in adapter.audio_roles:
        dataset = dataset.cast_column(adapter.column(role), Audio(decode=False))
    labels = {name: feature for name, feature in dataset.features.items() if isinstance(feature, ClassLabel)}
    return dataset.map(
        _convert_batch,
        batched=True,
        with_indices=True,
        remove_columns=dataset.column_names,
        features=example_features(),
        fn_kwargs={"adapter": adapter, "labels": labels, "split": split},
        num_proc=num_proc,
        desc=f"{adapter.name} -> canonical {adapter.task} rows",
    )


__all__ = ["ADAPTERS", "Converter", "DatasetAdapter", "get_adapter", "register_adapter", "to_canonical"]
