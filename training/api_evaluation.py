"""GET /api/v3/custom_models/{id}/evaluation: what the model's training run bought.

The body is the run's stored evaluation (training.evaluation: totals, key terms, the anchor
set, the training curve) and one page of its test-split utterances, each with a short-lived
link to its clip. The serializers below are both the declared schema and the answer, so the
two cannot drift apart.
"""

from pathlib import PurePath

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings

from custom_models.api import CustomModelsView
from datasets.downloads import signed_url
from training import selectors
from training.models import EvaluationUtterance

OPS = ["equal", "substitute", "insert", "delete"]
FLAG_KINDS = ["loop", "insertion_burst", "no_speech"]


class ModelTotalsOutput(serializers.Serializer):
    """One model's scores on the test split; rates in percent, after normalisation."""

    wer = serializers.FloatField()
    cer = serializers.FloatField()
    formatted_wer = serializers.FloatField(
        help_text="WER on the text as written: casing and punctuation count."
    )
    substitutions = serializers.IntegerField()
    insertions = serializers.IntegerField()
    deletions = serializers.IntegerField()
    reference_words = serializers.IntegerField()


class FlagCountsOutput(serializers.Serializer):
    loop = serializers.IntegerField()
    insertion_burst = serializers.IntegerField()
    no_speech = serializers.IntegerField()


class EvaluationTotalsOutput(serializers.Serializer):
    base = ModelTotalsOutput()
    custom = ModelTotalsOutput()
    utterances = serializers.IntegerField()
    improved = serializers.IntegerField()
    worse = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    flagged = serializers.IntegerField(help_text="Utterances with any flag; `flags` counts them by kind.")
    flags = FlagCountsOutput()


class RecallOutput(serializers.Serializer):
    base = serializers.FloatField(allow_null=True)
    custom = serializers.FloatField(allow_null=True)


class TermOutput(serializers.Serializer):
    term = serializers.CharField()
    occurrences = serializers.IntegerField()
    base_hits = serializers.IntegerField()
    custom_hits = serializers.IntegerField()
    base_recall = serializers.FloatField(allow_null=True)
    custom_recall = serializers.FloatField(allow_null=True)


class TermsOutput(serializers.Serializer):
    rule = serializers.CharField(help_text="How key terms are chosen from the training transcripts.")
    recall = RecallOutput(help_text="Key-term recall in percent; null when no term occurs in the test split.")
    items = TermOutput(many=True)


class AnchorOutput(serializers.Serializer):
    utterances = serializers.IntegerField()
    seconds = serializers.FloatField()
    base_wer = serializers.FloatField()
    custom_wer = serializers.FloatField()
    change = serializers.FloatField(help_text="Custom minus base WER, in WER points.")
    max_regression = serializers.FloatField(help_text="The most `change` may be for the model to be enabled.")
    passed = serializers.BooleanField()


class CurvePointOutput(serializers.Serializer):
    epoch = serializers.IntegerField()
    loss = serializers.FloatField()
    valid_loss = serializers.FloatField(allow_null=True)
    valid_wer = serializers.FloatField(allow_null=True)


class WordOpOutput(serializers.Serializer):
    op = serializers.ChoiceField(choices=OPS)
    ref = serializers.CharField(allow_null=True, help_text="The reference word; null for an insertion.")
    hyp = serializers.CharField(allow_null=True, help_text="The model's word; null for a deletion.")


class FlagOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FLAG_KINDS)
    text = serializers.CharField()


class UtteranceOutput(serializers.Serializer):
    position = serializers.IntegerField()
    audio_url = serializers.URLField(help_text="The clip (16 kHz mono FLAC); the link expires in minutes.")
    seconds = serializers.FloatField()
    reference = serializers.CharField()
    base_text = serializers.CharField()
    custom_text = serializers.CharField()
    base_wer = serializers.FloatField()
    custom_wer = serializers.FloatField()
    base_ops = WordOpOutput(many=True)
    custom_ops = WordOpOutput(many=True)
    flags = FlagOutput(many=True, help_text="The custom model's hallucination and stability flags.")
    outcome = serializers.ChoiceField(choices=EvaluationUtterance.Outcome.choices)
    flagged = serializers.BooleanField()


class UtterancePageOutput(serializers.Serializer):
    """One page of utterances (config.api.PageNumberPagination)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = UtteranceOutput(many=True)


class EvaluationDataOutput(serializers.Serializer):
    """How much of the training speech was synthetic (sentences of text spoken by offline voices)."""

    synthetic_sentences = serializers.IntegerField(help_text="Sentences of text spoken for training.")
    synthetic_minutes = serializers.FloatField()
    real_minutes = serializers.FloatField(help_text="Minutes of the user's own training speech.")
    test = serializers.ChoiceField(
        choices=["real", "synthetic"], help_text="synthetic: held-out sentences in a voice that never trains."
    )
    test_voice = serializers.CharField(required=False, help_text="The voice of a synthetic test split.")


class EvaluationOutput(serializers.Serializer):
    run = serializers.IntegerField(help_text="The training run that produced the model.")
    normaliser = serializers.CharField(help_text="How text is normalised before scoring.")
    totals = EvaluationTotalsOutput()
    terms = TermsOutput(allow_null=True, help_text="Null when the run did not measure key terms.")
    anchor = AnchorOutput(allow_null=True, help_text="Everyday speech; null when not measured.")
    curve = CurvePointOutput(many=True, allow_null=True, help_text="Per epoch; null when not recorded.")
    data = EvaluationDataOutput(
        allow_null=True, help_text="The training data's make-up; null for older runs."
    )
    utterances = UtterancePageOutput()


class EvaluationQuery(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=selectors.EVALUATION_FILTERS, required=False, allow_blank=True)


class CustomModelEvaluationApi(CustomModelsView):
    throttle_scopes = {"GET": "status_check"}
    # Beyond the common ones (config/schema.py): no evaluated run yet; an unknown outcome filter.
    error_responses = {"GET": (409, 422)}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "outcome",
                str,
                enum=list(selectors.EVALUATION_FILTERS),
                description="Only utterances the custom model improved, made worse, left unchanged, "
                "or that carry a hallucination or stability flag.",
            ),
            OpenApiParameter("page", int, description="The page of utterances, from 1."),
            OpenApiParameter(
                "page_size", int, description="Utterances per page: 20 unless given, at most 100."
            ),
        ],
        responses=EvaluationOutput,
    )
    def get(self, request, id: int):
        model = self.get_model(id)
        query = EvaluationQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        run = selectors.training_run_evaluated_get(model=model)
        utterances = selectors.evaluation_utterance_list(run=run, outcome=query.validated_data.get("outcome"))
        paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        page = paginator.paginate_queryset(utterances, request, view=self)
        for utterance in page:
            utterance.audio_url = _clip_url(utterance, request)
        evaluation = run.evaluation
        body = {
            "run": run.pk,
            "normaliser": evaluation.get("normaliser", ""),
            "totals": evaluation["totals"],
            "terms": evaluation.get("terms"),
            "anchor": evaluation.get("anchor"),
            "curve": evaluation.get("curve"),
            "data": evaluation.get("data"),
            "utterances": paginator.get_paginated_response(page).data,
        }
        return Response(EvaluationOutput(body).data)


def _clip_url(utterance: EvaluationUtterance, request) -> str:
    # Played in place rather than saved, under a name that says which utterance it is.
    filename = f"utterance-{utterance.position}{PurePath(utterance.clip).suffix or '.flac'}"
    return signed_url(name=utterance.clip, filename=filename, request=request, attachment=False)
