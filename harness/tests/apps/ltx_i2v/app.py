import spaces

import tempfile

import gradio as gr
import torch
from diffusers import LTXImageToVideoPipeline
from diffusers.utils import export_to_video

BASE_MODEL = "Lightricks/LTX-Video-0.9.5"
LORA_REPO = "Lightricks/LTX-Video-Cakeify-LoRA"
WEIGHT_NAME = "ltxv_095_cakeify_lora.safetensors"
FPS = 24
NEGATIVE = "worst quality, inconsistent motion, blurry, jittery, distorted"

pipe = LTXImageToVideoPipeline.from_pretrained(BASE_MODEL, torch_dtype=torch.bfloat16)
pipe.to("cuda")
pipe.load_lora_weights(LORA_REPO, weight_name=WEIGHT_NAME, adapter_name="cakeify")
pipe.set_adapters(["cakeify"], adapter_weights=[0.9])


@spaces.GPU(duration=120)
def cakeify(image, subject: str, progress=gr.Progress(track_tqdm=True)):
    """Turn the object into a cake."""
    if image is None:
        raise gr.Error("Upload an image first.")
    frames = pipe(
        image=image,
        prompt=f"CAKEIFY a person using a knife to cut a cake shaped like {subject}",
        negative_prompt=NEGATIVE,
        width=768,
        height=512,
        num_frames=97,
        num_inference_steps=40,
        decode_timestep=0.05,
        decode_noise_scale=0.025,
    ).frames[0]
    path = tempfile.NamedTemporaryFile(suffix=".mp4", delete=False).name
    export_to_video(frames, path, fps=FPS)
    return path


with gr.Blocks() as demo:
    image = gr.Image(type="pil", label="Object")
    subject = gr.Textbox(label="What is it?", value="a teapot")
    btn = gr.Button("Cakeify", variant="primary")
    video = gr.Video(label="Result")
    btn.click(cakeify, inputs=[image, subject], outputs=[video], api_name="cakeify")

demo.launch()
