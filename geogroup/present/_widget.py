"""The plan editor in a notebook: :class:`PlanEditor`, with the page's editor as a widget.

``gg.edit_map(plan)`` returns a :class:`PlanEditor`. Shown in a notebook front end that runs
widgets (JupyterLab, Notebook 7, VS Code), it is the editor of ``geogroup edit`` -- the same
JavaScript, through anywidget (``pip install "geogroup[notebook]"``) -- and every edit made
on its map reaches Python at once: :attr:`PlanEditor.plan` is the edited plan. Edits can also
be made by calls (:meth:`PlanEditor.move`, :meth:`~PlanEditor.set_lead`, …), which the map
shows; without a front end (a script, a headless run) the calls work alone, and
:meth:`PlanEditor.save_html` writes the page to open in a browser.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from geogroup.evaluate import check_plan, group_metrics, plan_metrics
from geogroup.plan import Plan
from geogroup.policy import Policy
from geogroup.present._editor import editor_css, editor_script, page_data, save_editor
from geogroup.present._editor_data import saved_plan
from geogroup.present._editor_ops import EditState, plan_of

__all__ = ["PlanEditor", "edit_map"]

_GLUE = """
export default {
  render({ model, el }) {
    const box = document.createElement('div');
    box.style.height = model.get('height') + 'px';
    box.style.position = 'relative';
    el.appendChild(box);
    let applying = false, rev = 0;
    const send = () => {
      if (applying) return;
      const state = view.editor.state();
      state.origin = 'js';
      state.rev = ++rev;
      model.set('state', state);
      model.save_changes();
    };
    const view = globalThis.geogroupEditorView.mount(box, model.get('data'), {onChange: send});
    el.geogroupEditor = view.api;  // the page's scripted API, on the widget's element
    const receive = () => {
      const state = model.get('state');
      if (!state || !state.groupNames || state.origin === 'js') return;
      applying = true;
      try { view.editor.load(state); } finally { applying = false; }
    };
    receive();
    model.on('change:state', receive);
    return () => model.off('change:state', receive);
  }
};
"""


@cache
def _widget_type() -> type:
    try:
        import anywidget
        import traitlets
    except ImportError as exc:  # an optional extra
        raise ImportError(
            "the plan editor widget needs anywidget: pip install 'geogroup[notebook]' (or use "
            "PlanEditor.save_html() and open the page in a browser)"
        ) from exc

    class EditorWidget(anywidget.AnyWidget):  # type: ignore[misc]
        _esm = editor_script() + _GLUE
        _css = editor_css()
        data = traitlets.Dict().tag(sync=True)
        state = traitlets.Dict().tag(sync=True)
        height = traitlets.Int(640).tag(sync=True)

    return EditorWidget


class PlanEditor:
    """Edit a plan by hand, in a notebook or by calls, with the policy check after each edit.

    Parameters
    ----------
    plan
        The proposal to edit (a :class:`~geogroup.Plan`).
    policy
        A policy, preset name or TOML path to check against; the plan's own when None.
    lang
        ``'zh'`` or ``'en'``: the labels of the map.
    height
        The widget's height in pixels.

    Attributes
    ----------
    proposal
        The plan as the editor read it (the proposal, saved as CSV and read back).

    Examples
    --------
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> editor = gg.PlanEditor(plan, lang="en")
    >>> editor.plan.schools.loc["B", ["group_id", "role"]].tolist()
    ['G01', 'member']
    >>> editor.move("B", "G02")  # G01 keeps 1 member, G02 gets 3: both break members = [2, 2]
    True
    >>> editor.violations()[["rule", "group_id"]].values.tolist()
    [['members', 'G01'], ['members', 'G02']]
    >>> editor.undo(), len(editor.violations())
    (True, 0)
    """

    def __init__(
        self,
        plan: Plan,
        *,
        policy: str | Policy | None = None,
        lang: str = "zh",
        height: int = 640,
    ) -> None:
        saved = saved_plan(plan, policy)
        self.proposal: Plan = saved.plan
        self._data = page_data(plan, policy=policy, lang=lang, saved=saved)
        self._lang = lang
        self._height = height
        self._state = EditState(
            self._data["ids"], self._data["state"], self._data["unassignedReason"]
        )
        self._widget: Any = None
        self._plan: Plan | None = None

    # --- the edited plan -------------------------------------------------------------------

    @property
    def plan(self) -> Plan:
        """The plan as edited so far."""
        if self._plan is None:
            self._plan = plan_of(self.proposal, self._state)
        return self._plan

    def violations(self) -> pd.DataFrame:
        """:func:`~geogroup.check_plan` of the edited plan (under the editor's policy)."""
        return check_plan(self.plan)

    def metrics(self) -> dict[str, float | int | None]:
        """:func:`~geogroup.plan_metrics` of the edited plan."""
        return plan_metrics(self.plan)

    def group_metrics(self) -> pd.DataFrame:
        """:func:`~geogroup.group_metrics` of the edited plan."""
        return group_metrics(self.plan)

    def state(self) -> dict[str, Any]:
        """Every school's group, role, reason and lock (as the page's ``state()``)."""
        return self._state.state()

    @property
    def edits(self) -> list[dict[str, Any]]:
        """The edits made, oldest first: kind, school_id, from and to."""
        return self._state.edits()

    # --- edits -----------------------------------------------------------------------------

    def _changed(self, changed: bool) -> bool:
        if changed:
            self._plan = None
            self._push()
        return changed

    def move(self, school_id: Any, group_id: str | None) -> bool:
        """Move a school into a group as a member (``None``: out of every group); False when
        it is there already."""
        return self._changed(self._state.move(school_id, group_id))

    def set_lead(self, school_id: Any) -> bool:
        """Make a school the lead of its group; its lead becomes a member."""
        return self._changed(self._state.set_lead(school_id))

    def new_group(self, school_id: Any) -> str:
        """Start a new group led by the school; returns the group's name."""
        name = self._state.new_group(school_id)
        self._changed(True)
        return name

    def lock(self, school_id: Any, on: bool = True) -> bool:
        """Lock a school in its group (it gets a ``fixed_group``); ``on=False`` unlocks."""
        return self._changed(self._state.lock(school_id, on))

    def unlock(self, school_id: Any) -> bool:
        return self.lock(school_id, on=False)

    def unassign(self, school_id: Any, reason: str | None = None) -> bool:
        """Take a school out of every group, with a reason."""
        return self._changed(self._state.unassign(school_id, reason))

    def undo(self) -> bool:
        return self._changed(self._state.undo())

    def redo(self) -> bool:
        return self._changed(self._state.redo())

    # --- files -----------------------------------------------------------------------------

    def save_html(self, path: str | os.PathLike[str]) -> Path:
        """Write the editor page, opened on the edits made so far (:func:`save_editor`)."""
        return save_editor(
            self.proposal, path, policy=self.proposal.policy, lang=self._lang, state=self.state()
        )

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the edited plan as ``plan.csv`` with its ``.json`` (:meth:`Plan.to_csv`)."""
        return self.plan.to_csv(path)

    # --- the widget ------------------------------------------------------------------------

    @property
    def widget(self) -> Any:
        """The editor as an anywidget (needs ``geogroup[notebook]``)."""
        if self._widget is None:
            self._widget = _widget_type()(
                data=self._data, state=self._synced(), height=self._height
            )
            self._widget.observe(self._from_page, names="state")
        return self._widget

    def _synced(self) -> dict[str, Any]:
        return self._state.state() | {"origin": "py", "rev": len(self._state.history)}

    def _push(self) -> None:
        if self._widget is not None:
            self._widget.state = self._synced()

    def _from_page(self, change: dict[str, Any]) -> None:
        new = change.get("new") or {}
        if new.get("origin") == "js" and self._state.load(new, kind="browser"):
            self._plan = None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        try:
            return self.widget._repr_mimebundle_(**kwargs)
        except ImportError as exc:
            return {"text/plain": f"{self!r}\n({exc})"}

    def __repr__(self) -> str:
        return (
            f"PlanEditor({len(self._state.ids)} schools, policy {self.proposal.policy.name!r}, "
            f"{len(self._state.history)} edits)"
        )


def edit_map(
    plan: Plan, *, policy: str | Policy | None = None, lang: str = "zh", height: int = 640
) -> PlanEditor:
    """The editor of ``plan`` for a notebook: shown, it is the map of ``geogroup edit``, and
    its :attr:`~PlanEditor.plan` follows the edits made on it (see :class:`PlanEditor`).

    Examples
    --------
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> editor = gg.edit_map(plan, lang="en")
    >>> editor.plan.schools["group_id"].nunique()
    2
    """
    return PlanEditor(plan, policy=policy, lang=lang, height=height)
