"""Engine Studio: turn ONNX models into fast inference engines, and show why they are fast."""

__version__ = "0.1.0"
