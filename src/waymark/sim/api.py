"""Simulator facade: a population of customers with ground truth, as Segment messages.

    preset = load_preset("learning-kits")            # YAML, checked against its journey model
    population = simulate(preset, customers=1000, products=3, days=90, seed=7)
    population.write(Path("out"))                     # events.jsonl + truth/
    report = compare(read_truth(Path("out")), profile_of, stage_table(...))

Other packages import only this module and ``waymark.sim.contracts``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from waymark.identity.api import IdentityConfig
from waymark.sim import _files, _preset
from waymark.sim._check import IdentityMap, compare, stage_table, truth_matrix
from waymark.sim._derive import Derived, derive
from waymark.sim._generate import Simulation
from waymark.sim._generate import simulate as _simulate
from waymark.sim._messages import Identities, Message, identities, messages
from waymark.sim._plan import Plan
from waymark.sim._send import ClientFactory, SendResult, segment_client, send
from waymark.sim._truth import ground_truth
from waymark.sim.config import SimConfig
from waymark.sim.contracts import CheckReport, GroundTruth, StageTable
from waymark.sim.errors import PresetError

__all__ = [
    "SHIPPED_PRESETS",
    "CheckReport",
    "Derived",
    "GroundTruth",
    "IdentityMap",
    "Message",
    "Population",
    "Preset",
    "SendResult",
    "StageTable",
    "Summary",
    "compare",
    "load_preset",
    "load_preset_text",
    "read_summary",
    "read_truth",
    "simulate",
    "stage_table",
    "truth_matrix",
]

SHIPPED_PRESETS = _preset.SHIPPED
Summary = _files.Summary
MAX_CUSTOMERS = 5_000_000
MAX_DAYS = 3_650
MAX_PRODUCTS = 500


@dataclass(frozen=True)
class Preset:
    """A checked preset and the tables the generator draws from."""

    name: str
    config: SimConfig
    plan: Plan = field(repr=False)
    identity: IdentityConfig = field(repr=False)
    """The identity settings ``check`` resolves the events with (the preset's ``identity:``)."""


def load_preset(name_or_path: str | Path = "learning-kits", *, model: str | None = None) -> Preset:
    """A shipped preset by name or a preset file by path; ``model`` overrides its journey model.

    Raises ``PresetError`` (``sim.preset_invalid``, naming file, line and field) and
    ``PresetNotFound``.
    """
    config, plan, identity = _preset.load(name_or_path, model=model)
    return Preset(name=config.name, config=config, plan=plan, identity=identity)


def load_preset_text(text: str, *, file: str = "<text>") -> Preset:
    """A preset from YAML text (``file`` names it in error messages)."""
    config, located = _preset.parse(text, file=file)
    return Preset(
        name=config.name,
        config=config,
        plan=_preset.plan_for(config, located),
        identity=_preset.identity_for(config, located),
    )


def _check_size(customers: int, products: int, days: int) -> None:
    for name, value, top in (
        ("customers", customers, MAX_CUSTOMERS),
        ("products", products, MAX_PRODUCTS),
        ("days", days, MAX_DAYS),
    ):
        if not 1 <= value <= top:
            raise PresetError(
                f"must be between 1 and {top}, got {value}", file="(options)", line=None, field=name
            )


@dataclass(frozen=True)
class Population:
    """A simulated population: its messages (in time order) and its ground truth."""

    preset: Preset
    customers: int
    sim: Simulation = field(repr=False)

    @cached_property
    def _ids(self) -> Identities:
        return identities(self.sim)

    @property
    def size(self) -> int:
        """Number of messages."""
        return self.sim.events.rows.size

    @property
    def people(self) -> int:
        """Number of people, including those referrals brought."""
        return self.sim.people.n

    def messages(self, *, chunk: int = 20_000) -> Iterator[list[Message]]:
        """Segment messages in time order. Nested dicts are shared: copy before changing."""
        return messages(self.sim, self._ids, chunk=chunk)

    @cached_property
    def truth(self) -> GroundTruth:
        return ground_truth(self.sim, self._ids)

    def summary(self) -> Summary:
        truth = self.truth
        return Summary(
            preset=self.preset.name,
            model=truth.model,
            stages=truth.stages,
            start=truth.start,
            days=truth.days,
            products=truth.products,
            seed=self.sim.seed,
            customers=self.customers,
            people=self.people,
            events=self.size,
            transitions=len(truth.transitions),
            identifiers=len(truth.identifiers),
        )

    def write(self, out: Path, *, progress: Callable[[int], None] | None = None) -> Summary:
        """``out/events.jsonl`` and the ground truth in ``out/truth/``."""
        out.mkdir(parents=True, exist_ok=True)
        _files.write_lines(out / _files.EVENTS, self.messages(), progress)
        summary = self.summary()
        _files.write_truth(out, self.truth, summary)
        return summary

    def write_truth(self, out: Path) -> Summary:
        summary = self.summary()
        _files.write_truth(out, self.truth, summary)
        return summary

    def check(
        self,
        *,
        received_at: datetime,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[CheckReport, Derived]:
        """Run the messages through Waymark's ingest, identity graph and stage engine
        (streaming, as the runtime does) and compare what they derive with the ground truth."""
        derived = derive(
            self.messages(),
            self.truth,
            model=self.preset.plan.model,
            identity=self.preset.identity,
            received_at=received_at,
            progress=progress,
        )
        return compare(self.truth, derived.profile_of, derived.stages), derived

    def send(
        self,
        url: str,
        write_key: str,
        *,
        progress: Callable[[int], None] | None = None,
        client_factory: ClientFactory = segment_client,
    ) -> SendResult:
        """Send every message through the Segment Python SDK to ``url`` (``/v1/batch``)."""
        return send(
            self.messages(),
            url=url,
            write_key=write_key,
            progress=progress,
            client_factory=client_factory,
        )


def simulate(preset: Preset, *, customers: int, products: int, days: int, seed: int) -> Population:
    """Simulate ``customers`` people (plus those their referrals bring) over ``days`` days,
    interested in the first ``products`` products of the preset. Same inputs, same output."""
    _check_size(customers, products, days)
    sim = _simulate(
        preset.plan, preset.config, customers=customers, products=products, days=days, seed=seed
    )
    return Population(preset=preset, customers=customers, sim=sim)


def read_truth(out: Path) -> GroundTruth:
    """The ground truth a simulation wrote to ``out``."""
    return _files.read_truth(out)


def read_summary(out: Path) -> Summary:
    return _files.read_summary(out)
