import os

# Every test is headless.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
