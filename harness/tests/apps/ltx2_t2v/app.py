import os

os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")

import spaces

import random
import tempfile

import gradio as gr
import torch
from diffusers import LTX2Pipeline
from diffusers.utils import encode_video

BASE_MODEL = "Lightricks/LTX-2"
LORA_REPO = "Lightricks/LTX-2-19b-LoRA-Camera-Control-Dolly-In"
WEIGHT_NAME = "ltx-2-19b-lora-camera-control-dolly-in.safetensors"
FPS = 24.0
NEGATIVE = "worst quality, inconsistent motion, blurry, jittery, distorted"
MAX_SEED = 2**31 - 1

pipe = LTX2Pipeline.from_pretrained(BASE_MODEL, torch_dtype=torch.bfloat16)
pipe.to("cuda")
pipe.load_lora_weights(LORA_REPO, weight_name=WEIGHT_NAME, adapter_name="dolly")
pipe.set_adapters(["dolly"], adapter_weights=[1.0])


def frames_for(seconds: float) -> int:
    return ((int(seconds * FPS) - 1) // 8) * 8 + 1


@spaces.GPU(duration=lambda prompt, seconds=3.0, *a, **k: 60 + 40 * seconds, size="xlarge")
def generate(prompt: str, seconds: float = 3.0, seed: int = 0, randomize_seed: bool = True,
             progress=gr.Progress(track_tqdm=True)):
    """Text to video with a dolly-in camera move."""
    if randomize_seed:
        seed = random.randint(0, MAX_SEED)
    video, audio = pipe(
        prompt=prompt,
        negative_prompt=NEGATIVE,
        width=768,
        height=512,
        num_frames=frames_for(seconds),
        frame_rate=FPS,
        num_inference_steps=30,
        guidance_scale=3.0,
        generator=torch.Generator("cuda").manual_seed(int(seed)),
        output_type="np",
        return_dict=False,
    )
    path = tempfile.NamedTemporaryFile(suffix=".mp4", delete=False).name
    encode_video(video[0], fps=FPS, audio=audio[0].float().cpu(),
                 audio_sample_rate=pipe.vocoder.config.output_sampling_rate, output_path=path)
    return path, seed


with gr.Blocks() as demo:
    with gr.Row(equal_height=True):
        with gr.Column():
            prompt = gr.Textbox(label="Prompt", lines=2, value="a red fox in the snow")
            seconds = gr.Slider(1, 5, value=2, step=1, label="Duration (s)")
            btn = gr.Button("Generate", variant="primary")
            with gr.Accordion("Advanced", open=False):
                seed = gr.Slider(0, MAX_SEED, value=0, step=1, label="Seed")
                randomize = gr.Checkbox(value=True, label="Randomize seed")
        with gr.Column():
            video = gr.Video(label="Result", autoplay=True)
            used_seed = gr.Number(label="Seed used")
    gr.on([btn.click, prompt.submit], generate, inputs=[prompt, seconds, seed, randomize], outputs=[video, used_seed],
          api_name="generate")

if __name__ == "__main__":
    demo.launch(theme=gr.themes.Citrus())
