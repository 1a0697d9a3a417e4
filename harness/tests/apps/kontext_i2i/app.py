import spaces

import random

import gradio as gr
import torch
from diffusers import FluxKontextPipeline
from PIL import Image

BASE_MODEL = "black-forest-labs/FLUX.1-Kontext-dev"
LORA_REPO = "someone/kontext-relight-lora"
WEIGHT_NAME = "relight.safetensors"
MAX_SEED = 2**31 - 1

pipe = FluxKontextPipeline.from_pretrained(BASE_MODEL, torch_dtype=torch.bfloat16)
pipe.to("cuda")
pipe.load_lora_weights(LORA_REPO, weight_name=WEIGHT_NAME, adapter_name="lora")
pipe.set_adapters(["lora"], adapter_weights=[1.0])


@spaces.GPU(duration=lambda image, instruction, *args, **kwargs: 90)
def edit(image: Image.Image, instruction: str, seed: int = 0, randomize_seed: bool = True,
         progress=gr.Progress(track_tqdm=True)):
    """Relight the input image following the instruction."""
    if image is None:
        raise gr.Error("Upload an image first.")
    if randomize_seed:
        seed = random.randint(0, MAX_SEED)
    out = pipe(
        image=image.convert("RGB"),
        prompt=f"Relight the scene: {instruction}",
        guidance_scale=2.5,
        num_inference_steps=28,
        generator=torch.Generator("cuda").manual_seed(int(seed)),
    ).images[0]
    return out, seed


with gr.Blocks() as demo:
    with gr.Row(equal_height=True):
        with gr.Column():
            image = gr.Image(type="pil", label="Input image")
            instruction = gr.Textbox(label="Lighting", value="warm sunset light from the left")
            btn = gr.Button("Relight", variant="primary")
            with gr.Accordion("Advanced", open=False):
                seed = gr.Slider(0, MAX_SEED, value=0, step=1, label="Seed")
                randomize = gr.Checkbox(value=True, label="Randomize seed")
        with gr.Column():
            result = gr.Image(label="Result", format="png")
            used_seed = gr.Number(label="Seed used")
    btn.click(edit, inputs=[image, instruction, seed, randomize], outputs=[result, used_seed], api_name="edit")

demo.launch(theme=gr.themes.Citrus())
