"""EvidenceExplorer: pick a claim of the article and see the evidence that bears on it."""

from __future__ import annotations

import html
from typing import Any, Mapping

import ipywidgets as widgets
import pandas as pd

from ..scene import Scene
from .base import LABEL_STYLE, MENU_KEYS_HINT, Explorer, check_choice, count, readable
from .pictures import evidence_scene
from .timeline import events_html

__all__ = ["EvidenceExplorer", "claim_label", "parse_series"]


def claim_label(claim: Mapping[str, Any], width: int = 70) -> str:
    """'C03 (P2, fact): "The first words of the quote…"' for the menu."""
    quote = str(claim["quote"])
    short = quote if len(quote) <= width else quote[: width - 1].rstrip() + "…"
    return f"{claim['claim_id']} ({claim['paragraph_id']}, {claim['claim_type']}): “{short}”"


def parse_series(items: tuple[str, ...]) -> list[tuple[str, str]]:
    """"indicator:subject" strings -> (indicator, subject) pairs."""
    pairs = []
    for item in items:
        indicator, sep, subject = str(item).partition(":")
        if not sep or not indicator or not subject:
            raise ValueError(f"indicator reference {item!r} should read 'indicator:subject'")
        pairs.append((indicator, subject))
    return pairs


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


class EvidenceExplorer(Explorer):
    """One claim at a time: its quote, the indicator series that bear on it (as
    a chart) and the timeline events (as a list with sources).

    ``state`` is ``{"claim": claim_id}``.
    """

    widget_name = "EvidenceExplorer"
    css_prefix = "evidence"

    def __init__(self, claims: pd.DataFrame, indicators: pd.DataFrame, timeline: pd.DataFrame,
                 sources: pd.DataFrame, claim: str | None = None) -> None:
        super().__init__()
        self._events_by_claim: dict[str, pd.DataFrame] = {}
        self._shown_by_claim: dict[str, tuple[str, str, str, Scene]] = {}
        if claims.empty:
            raise ValueError(f"{self.widget_name}: the claims table has no rows")
        self.claims = claims.set_index("claim_id", drop=False)
        self.indicators = indicators
        self.timeline = timeline.set_index("event_id", drop=False)
        self._sources = {row["source_id"]: row for row in sources.to_dict("records")}
        self.claim_ids = list(self.claims["claim_id"])
        claim = self.claim_ids[0] if claim is None else claim
        check_choice(self.widget_name, "claim", claim, self.claim_ids)

        self.claim_dropdown = self._part(widgets.Dropdown(
            options=[(claim_label(row), row["claim_id"]) for row in claims.to_dict("records")],
            value=claim, description="claim", style=LABEL_STYLE,
            layout=widgets.Layout(width="100%", max_width="860px")), "claim-dropdown")
        self._watch(self.claim_dropdown, "the claim menu")
        self.claim_widget = self._part(widgets.HTML(), "claim")
        self.claim_widget.layout = widgets.Layout(max_width="860px")
        self.summary_widget = self._part(widgets.HTML(), "summary")
        self.events_widget = self._part(widgets.HTML(), "events")
        self.events_widget.layout = widgets.Layout(max_height="320px", overflow="auto",
                                                   border="1px solid #ccc", padding="0 8px",
                                                   max_width="860px")
        hint = self._part(widgets.HTML(f"<small>{html.escape(MENU_KEYS_HINT)}</small>"), "hint")
        self.picture.layout.max_width = "700px"
        self.children = [self.claim_dropdown, hint, self.claim_widget, self.picture,
                         self.summary_widget, self.events_widget, self.error_output]
        self.refresh()

    # ---- reading

    @property
    def selected_claim(self) -> str:
        return self.claim_dropdown.value

    @property
    def claim(self) -> pd.Series:
        return self.claims.loc[self.selected_claim]

    @property
    def series(self) -> list[tuple[str, str]]:
        return parse_series(self.claim["indicators"])

    @property
    def evidence_events(self) -> pd.DataFrame:
        """Timeline rows cited for the claim ("evidence") and for its outcome ("outcome").
        Worked out once per claim (shared: copy before changing it)."""
        claim_id = self.selected_claim
        if claim_id not in self._events_by_claim:
            self._events_by_claim[claim_id] = self._cited_events(self.claim)
        return self._events_by_claim[claim_id]

    def _cited_events(self, claim: pd.Series) -> pd.DataFrame:
        roles: dict[str, str] = {}  # an event cited as evidence and as outcome counts as evidence
        for role, column in (("evidence", "event_ids"), ("outcome", "outcome_event_ids")):
            for event_id in claim[column]:
                if event_id in self.timeline.index:
                    roles.setdefault(event_id, role)
        events = self.timeline.loc[list(roles)].assign(evidence_role=list(roles.values())).reset_index(drop=True)
        return events.sort_values(["start", "event_id"], kind="stable").reset_index(drop=True)

    @property
    def evidence_indicators(self) -> pd.DataFrame:
        wanted = set(self.series)
        if not wanted:
            return self.indicators.iloc[0:0]
        keys = list(zip(self.indicators["indicator"], self.indicators["subject"]))
        mask = [k in wanted for k in keys]
        return self.indicators.loc[mask].sort_values(["indicator", "subject", "year"]).reset_index(drop=True)

    @property
    def summary_text(self) -> str:
        claim = self.claim
        events = self.evidence_events
        n_series = len(set(self.series))
        n_events = int((events["evidence_role"] == "evidence").sum())
        text = (f"Claim {claim['claim_id']} ({claim['paragraph_id']}, {claim['claim_type']}): "
                f"“{claim['quote']}” Evidence: {count(n_events, 'event')} and "
                f"{count(n_series, 'indicator series', 'indicator series')}")
        outcome = _text(claim.get("outcome"))
        if outcome:
            text += f". Outcome: {outcome}"
        return text if text.endswith((".", "!", "?")) else text + "."

    @property
    def state(self) -> dict[str, Any]:
        return {"claim": self.selected_claim}

    # ---- changing

    def _validate_state(self, values: Mapping[str, Any]) -> dict[str, Any]:
        if "claim" not in values:
            return {}
        claim = values["claim"]
        if claim not in self.claim_ids:
            shown = (f"{self.claim_ids[0]} to {self.claim_ids[-1]}" if len(self.claim_ids) > 6
                     else ", ".join(self.claim_ids))
            raise ValueError(f"{self.widget_name}: the claim menu (claim) must be a claim id "
                             f"({shown}); got {claim!r}")
        return {"claim": claim}

    def _apply_state(self, checked: Mapping[str, Any]) -> None:
        if "claim" in checked:
            self.claim_dropdown.value = checked["claim"]

    def _update(self) -> Scene:
        # Everything shown depends on the claim alone: made once per claim, then reused.
        claim_id = self.selected_claim
        if claim_id not in self._shown_by_claim:
            self._shown_by_claim[claim_id] = self._content()
        claim_html, events_html_, summary_html, scene = self._shown_by_claim[claim_id]
        self.claim_widget.value = claim_html
        self.events_widget.value = events_html_
        self.summary_widget.value = summary_html
        return scene

    def _content(self) -> tuple[str, str, str, Scene]:
        claim = self.claim
        events = self.evidence_events
        parts = [f"<blockquote>“{html.escape(str(claim['quote']))}”</blockquote>",
                 f"<p><strong>{html.escape(str(claim['claim_type']))}</strong>, paragraph "
                 f"{html.escape(str(claim['paragraph_id']))} of the article.</p>"]
        for label, column in (("Outcome", "outcome"), ("Teaching note", "note")):
            value = _text(claim.get(column))
            if value:
                parts.append(f"<p><strong>{label}:</strong> {html.escape(value)}</p>")
        claim_html = readable("".join(parts))
        blocks = []
        for role, heading in (("evidence", "Events cited for the claim"),
                              ("outcome", "Events that show the outcome")):
            subset = events.loc[events["evidence_role"] == role]
            if role == "outcome" and subset.empty:
                continue
            blocks.append(f"<p><strong>{heading}</strong> ({len(subset)})</p>"
                          + events_html(subset, self._sources))
        text = self.summary_text
        scene = evidence_scene(self.indicators, self.series, events,
                               f"The evidence for claim {claim['claim_id']}", text)
        return claim_html, readable("".join(blocks)), readable(f"<p>{html.escape(text)}</p>"), scene
