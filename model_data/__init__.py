"""The CMMI-SVC V1.3 model as data: frozen dataclasses and the loader that validates them."""

from model_data.loader import (
    Element,
    GenericGoal,
    GenericPractice,
    Goal,
    Hint,
    Model,
    ModelError,
    OutsideArea,
    Practice,
    ProcessArea,
    load_model,
)

__all__ = [
    "Element",
    "GenericGoal",
    "GenericPractice",
    "Goal",
    "Hint",
    "Model",
    "ModelError",
    "OutsideArea",
    "Practice",
    "ProcessArea",
    "load_model",
]
