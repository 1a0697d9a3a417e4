import spaces  # must come before torch

import random

import gradio as gr
import torch
from diffusers import FluxPipeline

BASE_MODEL = "black-forest-labs/FLUX.1-dev"
LORA_REPO = "someone/flux-papercut-lora"
WEIGHT_NAME = "papercut.safetensors"
TRIGGER = "PPRCT"
STEPS, GUIDANCE, LORA_SCALE = 28, 3.5, 0.9
MAX_SEED = 2**31 - 1
ASPECTS = {"1:1": (1024, 1024), "16:9": (1344, 768), "9:16": (768, 1344)}

pipe = FluxPipeline.from_pretrained(BASE_MODEL, torch_dtype=torch.bfloat16)
pipe.to("cuda")
pipe.load_lora_weights(LORA_REPO, weight_name=WEIGHT_NAME, adapter_name="lora")
pipe.set_adapters(["lora"], adapter_weights=[LORA_SCALE])


@spaces.GPU(duration=60)
def generate(prompt: str, aspect: str = "1:1", seed: int = 0, randomize_seed: bool = True,
             progress=gr.Progress(track_tqdm=True)):
    """Generate a paper-cut style image."""
    if not prompt or not prompt.strip():
        raise gr.Error("Please enter a prompt.")
    if randomize_seed:
        seed = random.randint(0, MAX_SEED)
    width, height = ASPECTS[aspect]
    image = pipe(
        prompt=f"{TRIGGER} {prompt}",
        width=width,
        height=height,
        num_inference_steps=STEPS,
        guidance_scale=GUIDANCE,
        generator=torch.Generator(device="cuda").manual_seed(int(seed)),
    ).images[0]
    return image, seed


with gr.Blocks() as demo:
    gr.Markdown("# Paper-cut LoRA for FLUX.1-dev")
    with gr.Row(equal_height=True):
        with gr.Column():
            prompt = gr.Textbox(label="Prompt", lines=2, placeholder="a fox in a forest")
            aspect = gr.Dropdown(list(ASPECTS), value="1:1", label="Aspect ratio")
            run = gr.Button("Generate", variant="primary")
            with gr.Accordion("Advanced", open=False):
                seed = gr.Slider(0, MAX_SEED, value=0, step=1, label="Seed")
                randomize = gr.Checkbox(value=True, label="Randomize seed")
        with gr.Column():
            result = gr.Image(label="Result", format="png")
            used_seed = gr.Number(label="Seed used")
    gr.Examples(examples=[["a fox in a forest"], ["a lighthouse at night"]], inputs=[prompt],
                outputs=[result, used_seed], fn=generate, cache_examples=True, cache_mode="lazy")
    gr.on([run.click, prompt.submit], generate, inputs=[prompt, aspect, seed, randomize],
          outputs=[result, used_seed], api_name="generate")

if __name__ == "__main__":
    demo.launch(theme=gr.themes.Citrus())
