"""lsb_harness: run a generated LoRA Space app.py under real Gradio with GPU-free stand-ins."""

__version__ = "0.1.0"
