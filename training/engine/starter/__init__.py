"""Offline build of the English starter base model (synthetic espeak-ng corpus).

Nothing here is imported by the web service; it is run by
``python -m training.engine.starter.build`` or the ``build_starter_model``
management command.
"""
