"""The shapes of outcome answers, for the OpenAPI document and serialisation."""

from __future__ import annotations

from marshmallow import Schema, fields

from lms.outcomes.service import FIGURES

NULLABLE_INT = {"allow_none": True}


def comparison_schema() -> Schema:
    """One comparison object: its figures, or only that it is suppressed."""
    numbers = {name: fields.Float(allow_none=True) for name in FIGURES}
    numbers["n"] = fields.Integer()
    numbers["wilcoxon_method"] = fields.String(
        allow_none=True, metadata={"description": "How wilcoxon_p was found: `exact` (the "
                                   "exact distribution given the ties and zeros, n ≤ 50) or "
                                   "`normal` (the normal approximation, n > 50)."})
    numbers["d_z_ci_low"].metadata["description"] = (
        "95% interval of d_z from the noncentral t distribution.")
    numbers["d_av"].metadata["description"] = (
        "Mean change over the mean of the two phases' SDs (Lakens 2013).")
    return Schema.from_dict({**numbers, "suppressed": fields.Boolean(),
                             "reason": fields.String(allow_none=True)}, name="Comparison")


Comparison = comparison_schema()
Distribution = Schema.from_dict(
    {"suppressed": fields.Boolean(), "reason": fields.String(),
     "counts": fields.Dict(keys=fields.String(), values=fields.Integer()),
     "people": fields.Integer(metadata={"description": "How many answered in this phase."})},
    name="Distribution")
Reliability = Schema.from_dict(
    {"suppressed": fields.Boolean(), "reason": fields.String(allow_none=True),
     "n": fields.Integer(metadata={"description": "Complete self-assessments (a point on "
                                   "every behaviour of the scale asked of everyone)."}),
     "behaviours": fields.Integer(metadata={"description": "How many behaviours the scale has."}),
     "alpha": fields.Float(allow_none=True),
     "ci_low": fields.Float(allow_none=True,
                            metadata={"description": "Feldt's (1965) 95% interval."}),
     "ci_high": fields.Float(allow_none=True)}, name="Reliability")
ReliableChange = Schema.from_dict(
    {"suppressed": fields.Boolean(), "reason": fields.String(allow_none=True),
     "available": fields.Boolean(allow_none=True, metadata={
         "description": "False when the programme has fewer than 20 complete pre "
                        "self-assessments to judge change by."}),
     **{name: fields.Integer() for name in ("improved", "none", "declined")},
     **{f"{name}_share": fields.Float(allow_none=True)
        for name in ("improved", "none", "declined")}}, name="ReliableChange")
OutcomeRow = Schema.from_dict(
    {"level": fields.String(), "code": fields.String(), "group": fields.String(allow_none=True),
     "group_label": fields.String(allow_none=True),
     "themes": fields.List(fields.String(), allow_none=True, metadata={
         "description": "level=linked: the themes linking to this heading."}),
     "post_pre": fields.Nested(Comparison), "post_then": fields.Nested(Comparison),
     "then_pre": fields.Nested(Comparison),
     "distribution": fields.Dict(keys=fields.String(), values=fields.Nested(Distribution)),
     "reliability": fields.Dict(keys=fields.String(), values=fields.Nested(Reliability),
                                allow_none=True, metadata={
                                    "description": "Cronbach's alpha per phase (theme, "
                                                   "framework and linked rows)."}),
     "reliable_change": fields.Nested(ReliableChange, allow_none=True, metadata={
         "description": "Of those paired post − pre: reliably improved, no reliable change, "
                        "reliably declined (Jacobson & Truax 1991)."})},
    name="OutcomeRow")
PhaseFlow = Schema.from_dict(
    {"started": fields.Integer(**NULLABLE_INT), "submitted": fields.Integer(**NULLABLE_INT),
     "reopened": fields.Integer(**NULLABLE_INT, metadata={
         "description": "Reopened by a tutor and not yet submitted again: their answers "
                        "for the phase are out of the figures until they are."})},
    name="PhaseFlow")
AttritionGroup = Schema.from_dict({"n": fields.Integer(),
                                   "mean_pre": fields.Float(allow_none=True)},
                                  name="AttritionGroup")
Attrition = Schema.from_dict(
    {"with_post": fields.Nested(AttritionGroup), "without_post": fields.Nested(AttritionGroup),
     "difference": fields.Float(allow_none=True), "ci_low": fields.Float(allow_none=True),
     "ci_high": fields.Float(allow_none=True), "suppressed": fields.Boolean(),
     "reason": fields.String(allow_none=True)}, name="Attrition")
Flow = Schema.from_dict(
    {"enrolled": fields.Integer(**NULLABLE_INT), "withdrawn": fields.Integer(**NULLABLE_INT),
     "erased": fields.Integer(**NULLABLE_INT),
     "phases": fields.Dict(keys=fields.String(), values=fields.Nested(PhaseFlow)),
     "paired": fields.Dict(keys=fields.String(), values=fields.Integer(**NULLABLE_INT)),
     "suppressed": fields.List(fields.String(), metadata={
         "description": "The counts hidden (null above) to protect small groups."}),
     "reason": fields.String(allow_none=True), "attrition": fields.Nested(Attrition)},
    name="Flow")
Release = Schema.from_dict(
    {"cohort_id": fields.Integer(), "number": fields.Integer(),
     "released_at": fields.String()}, name="Release")
HeldBack = Schema.from_dict(
    {"cohort_id": fields.Integer(),
     "rows": fields.List(fields.String(), metadata={
         "description": "Rows some of whose figures leave this cohort's people out."}),
     "breakdown": fields.String(allow_none=True, metadata={
         "description": "A breakdown this cohort does not publish in full."}),
     "reason": fields.String()}, name="HeldBack")
OutcomeReport = Schema.from_dict(
    {"scope": fields.Dict(), "level": fields.String(), "breakdown": fields.String(allow_none=True),
     "framework": fields.String(allow_none=True), "disclosure_control": fields.Boolean(),
     "min_group_size": fields.Integer(),
     "participants": fields.Integer(allow_none=True,
                                    metadata={"description": "Who counted; null if too few "
                                              "to show."}),
     "suppressed_cells": fields.Integer(),
     "flow": fields.Nested(Flow, allow_none=True, metadata={
         "description": "Who is in the figures (null for source=others)."}),
     "source": fields.String(metadata={"description": "self or others (360 raters)."}),
     "gaps": fields.List(fields.Dict(), metadata={
         "description": "source=others: per round and theme (and the framework), the mean "
                        "of each participant's own score less others', and how many it "
                        "rests on (suppressed under the minimum for sponsors)."}),
     "releases": fields.List(fields.Nested(Release), allow_none=True, metadata={
         "description": "Under disclosure control: the release of each cohort the figures "
                        "come from (they change only with a new release)."}),
     "held_back": fields.List(fields.Nested(HeldBack), metadata={
         "description": "Under disclosure control: what each cohort keeps out of the "
                        "figures so that no combination of answers singles out a small "
                        "group (lms.outcomes.publication)."}),
     "rows": fields.List(fields.Nested(OutcomeRow), metadata={
         "description": "Every figure at full precision (the CSV download rounds for "
                        "people: decimals to 2 places, p values to 3 significant "
                        "figures)."})},
    name="OutcomeReport")
ProfileRow = Schema.from_dict(
    {"code": fields.String(), "theme": fields.String(), "pre": fields.Raw(allow_none=True),
     "then": fields.Raw(allow_none=True), "post": fields.Raw(allow_none=True),
     "cohort": fields.Dict()}, name="ProfileRow")
Profile = Schema.from_dict(
    {"cohort_id": fields.Integer(), "min_group_size": fields.Integer(),
     "released_at": fields.String(allow_none=True, metadata={
         "description": "When the cohort's means shown were released (None: not yet)."}),
     "behaviours": fields.List(fields.Nested(ProfileRow))}, name="Profile")
EngagementFigure = Schema.from_dict(
    {"suppressed": fields.Boolean(), "reason": fields.String(allow_none=True),
     "count": fields.Integer(metadata={"description": "People who did it."}),
     "share": fields.Float(allow_none=True, metadata={"description": "Of the row's people "
                                                      "(full precision)."}),
     "followed": fields.Boolean(metadata={"description": "False: the module is not in this "
                                          "cohort's curriculum."})}, name="EngagementFigure")
EngagementRow = Schema.from_dict(
    {"cohort_id": fields.Integer(allow_none=True, metadata={
        "description": "None for the total over the cohorts shown."}),
     "cohort": fields.String(), "group": fields.String(allow_none=True),
     "group_label": fields.String(allow_none=True),
     "enrolled": fields.Integer(allow_none=True),
     "suppressed": fields.Boolean(), "reason": fields.String(allow_none=True),
     "figures": fields.Dict(keys=fields.String(), values=fields.Nested(EngagementFigure),
                            metadata={"description": "By figure key: `pre`, `post`, `then` "
                                      "(self-assessments submitted) and `module:<id>` "
                                      "(modules completed)."})}, name="EngagementRow")
Engagement = Schema.from_dict(
    {"scope": fields.Dict(), "breakdown": fields.String(allow_none=True),
     "disclosure_control": fields.Boolean(), "min_group_size": fields.Integer(),
     "figures": fields.List(fields.Dict(keys=fields.String(), values=fields.String()),
                            metadata={"description": "The columns: key and title."}),
     "rows": fields.List(fields.Nested(EngagementRow)),
     "notes": fields.List(fields.Dict(), metadata={
         "description": "Cohorts left out, or whose breakdown is held back, and why."})},
    name="Engagement")
