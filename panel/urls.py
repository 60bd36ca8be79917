from django.urls import path

from panel import dataset_views, views
from panel import views_dashboard as dashboard
from panel import views_evaluation as evaluation
from panel import views_versions as versions
from panel import views_vocabulary as vocabulary

app_name = "panel"
model = "custom-models/<int:id>/"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("custom-models/", views.custom_model_list, name="custom-models"),
    path("custom-models/rows/", views.custom_model_rows, name="custom-model-rows"),
    path("custom-models/new/", views.custom_model_create, name="custom-model-create"),
    path(model, views.custom_model_detail, name="custom-model-detail"),
    path(model + "status/", views.custom_model_status, name="custom-model-status"),
    path(model + "update/", views.custom_model_update, name="custom-model-update"),
    path(model + "delete/", views.custom_model_delete, name="custom-model-delete"),
    path(model + "train/", views.custom_model_train, name="custom-model-train"),
    path(model + "cancel/", views.custom_model_cancel, name="custom-model-cancel"),
    path(model + "enable/", views.custom_model_enable_anyway, name="custom-model-enable"),
    # The Evaluation section of a trained model (panel/views_evaluation.py).
    path(model + "evaluation/", evaluation.evaluation_section, name="evaluation"),
    path(model + "evaluation/utterances/", evaluation.evaluation_utterances, name="evaluation-utterances"),
    path(model + "evaluation/clips/<int:position>/", evaluation.evaluation_clip, name="evaluation-clip"),
    # The Versions section: one version per successful training run (panel/views_versions.py).
    path(model + "versions/<int:version>/activate/", versions.version_activate, name="version-activate"),
    path(model + "versions/<int:version>/delete/", versions.version_delete, name="version-delete"),
    path(model + "versions/<int:version>/download/", versions.version_download, name="version-download"),
    # The Vocabulary section: phrases, display rules and text files (panel/views_vocabulary.py).
    path(model + "vocabulary/phrases/", vocabulary.vocabulary_phrases_save, name="vocabulary-phrases"),
    path(model + "vocabulary/display-rules/", vocabulary.vocabulary_rules_save, name="vocabulary-rules"),
    path(model + "vocabulary/text-files/", vocabulary.vocabulary_text_files, name="vocabulary-text-files"),
    path(model + "datasets/", dataset_views.dataset_rows, name="dataset-rows"),
    path(model + "datasets/<int:file_id>/download/", dataset_views.dataset_download, name="dataset-download"),
    path(model + "datasets/<int:file_id>/delete/", dataset_views.dataset_delete, name="dataset-delete"),
    # The dashboard: transcription and force-alignment jobs (panel/views_dashboard.py).
    path("jobs/", dashboard.dashboard_jobs, name="dashboard-jobs"),
    path("transcriptions/new/", dashboard.transcription_create, name="transcription-create"),
    path("transcriptions/<int:id>/", dashboard.transcription_detail, name="transcription-detail"),
    path("transcriptions/<int:id>/result/", dashboard.transcription_result, name="transcription-result"),
    path("transcriptions/<int:id>/media/", dashboard.transcription_media, name="transcription-media"),
    path(
        "transcriptions/<int:id>/download/<str:format>/",
        dashboard.transcription_download,
        name="transcription-download",
    ),
    path("alignments/new/", dashboard.alignment_create, name="alignment-create"),
    path("alignments/<int:id>/", dashboard.alignment_detail, name="alignment-detail"),
    path("alignments/<int:id>/result/", dashboard.alignment_result, name="alignment-result"),
    path(
        "alignments/<int:id>/download/<str:format>/",
        dashboard.alignment_download,
        name="alignment-download",
    ),
    path(
        "alignments/<int:id>/add-to-model/",
        dashboard.alignment_add_to_model,
        name="alignment-add-to-model",
    ),
]
