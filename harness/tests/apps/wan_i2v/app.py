import os

os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")

import spaces

import random
import tempfile

import gradio as gr
import numpy as np
import torch
from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanImageToVideoPipeline
from diffusers.utils import export_to_video

BASE_MODEL = "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers"
LORA_REPO = "someone/wan-rotate-lora"
WEIGHT_NAME = "rotate_20_epochs.safetensors"
TRIGGER_TEMPLATE = "The video shows {subject} performing a r0t4tion 360 degrees rotation."
FPS = 16
MAX_AREA = 480 * 832
MAX_SEED = 2**31 - 1

vae = AutoencoderKLWan.from_pretrained(BASE_MODEL, subfolder="vae", torch_dtype=torch.float32)
pipe = WanImageToVideoPipeline.from_pretrained(BASE_MODEL, vae=vae, torch_dtype=torch.bfloat16)
pipe.scheduler = UniPCMultistepScheduler.from_config(pipe.scheduler.config, flow_shift=3.0)
pipe.to("cuda")
pipe.load_lora_weights(LORA_REPO, weight_name=WEIGHT_NAME, adapter_name="lora")
pipe.set_adapters(["lora"], adapter_weights=[1.0])


def snap_size(image):
    aspect = image.height / image.width
    mod = pipe.vae_scale_factor_spatial * pipe.transformer.config.patch_size[1] if False else 16
    height = round(np.sqrt(MAX_AREA * aspect)) // mod * mod
    width = round(np.sqrt(MAX_AREA / aspect)) // mod * mod
    return width, height


def frames_for(seconds):
    n = int(seconds * FPS)
    return ((n - 1) // 4) * 4 + 1


@spaces.GPU(duration=180)
def animate(image, subject: str, seconds: float = 2.0, seed: int = 0, randomize_seed: bool = True,
            progress=gr.Progress(track_tqdm=True)):
    """Make the subject rotate 360 degrees."""
    if image is None:
        raise gr.Error("Upload an image first.")
    if randomize_seed:
        seed = random.randint(0, MAX_SEED)
    width, height = snap_size(image)
    frames = pipe(
        image=image.resize((width, height)),
        prompt=TRIGGER_TEMPLATE.format(subject=subject or "the subject"),
        negative_prompt="blurry, static",
        height=height,
        width=width,
        num_frames=frames_for(seconds),
        num_inference_steps=30,
        guidance_scale=5.0,
        generator=torch.Generator("cuda").manual_seed(int(seed)),
    ).frames[0]
    path = tempfile.NamedTemporaryFile(suffix=".mp4", delete=False).name
    export_to_video(frames, path, fps=FPS)
    return path, seed


with gr.Blocks() as demo:
    with gr.Row(equal_height=True):
        with gr.Column():
            image = gr.Image(type="pil", label="First frame")
            subject = gr.Textbox(label="Subject", value="a ceramic vase")
            seconds = gr.Slider(1, 5, value=2, step=0.5, label="Duration (s)")
            btn = gr.Button("Animate", variant="primary")
            with gr.Accordion("Advanced", open=False):
                seed = gr.Slider(0, MAX_SEED, value=0, step=1, label="Seed")
                randomize = gr.Checkbox(value=True, label="Randomize seed")
        with gr.Column():
            video = gr.Video(label="Result", autoplay=True)
            used_seed = gr.Number(label="Seed used")
    btn.click(animate, inputs=[image, subject, seconds, seed, randomize], outputs=[video, used_seed], api_name="animate")

demo.launch(theme=gr.themes.Citrus())
