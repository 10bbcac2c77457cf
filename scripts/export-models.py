#!/usr/bin/env python3
"""Exports a real "stream-diffusion" model folder (docs/models.md) from public models.

NOT RUN IN THIS PROJECT'S CI: no machine here can download weights. Run it on your own machine:

    python3 -m venv .venv && . .venv/bin/activate
    pip install "torch>=2.1" "diffusers>=0.27" "transformers>=4.38" "peft>=0.10" onnx
    python3 scripts/export-models.py --family sd-turbo --out models/sd-turbo
    python3 scripts/export-models.py --family sd15-lcm --out models/sd15-lcm [--fp16]

Downloads go through the Hugging Face cache (with its own progress bars). The folder gets
text_encoder/, unet/, vae_encoder/, vae_decoder/ (the tiny autoencoder TAESD, diffusers
AutoencoderTiny: images in [-1,1], latent scale 1.0), tokenizer/, manifest.json and
checksums.sha256 (SHA-256 of every file, to check a copy moved to another machine).
"""
import argparse
import hashlib
import json
import pathlib

import torch

FAMILIES = {
    # family: (pipeline repo, LCM-LoRA repo or None, text hidden size, tokenizer pad id)
    "sd-turbo": ("stabilityai/sd-turbo", None, 1024, 0),
    "sd15-lcm": ("stable-diffusion-v1-5/stable-diffusion-v1-5", "latent-consistency/lcm-lora-sdv1-5", 768, 49407),
}
TAESD = "madebyollin/taesd"
OPSET = 17


class UNetOut(torch.nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]


class TinyEncoder(torch.nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, sample):
        return self.vae.encode(sample).latents


class TinyDecoder(torch.nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample):
        return self.vae.decode(latent_sample).sample


def export(module, args, path, inputs, outputs, dynamic):
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"exporting {path}")
    torch.onnx.export(module, args, str(path), input_names=inputs, output_names=outputs,
                      dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", choices=sorted(FAMILIES), required=True)
    p.add_argument("--out", type=pathlib.Path, required=True)
    p.add_argument("--resolution", type=int, default=512)
    p.add_argument("--fp16", action="store_true", help="export in float16 (needs a CUDA GPU)")
    a = p.parse_args()

    from diffusers import AutoencoderTiny, StableDiffusionPipeline

    repo, lcm_lora, hidden, pad = FAMILIES[a.family]
    device = "cuda" if a.fp16 else "cpu"
    dtype = torch.float16 if a.fp16 else torch.float32
    pipe = StableDiffusionPipeline.from_pretrained(repo, torch_dtype=dtype)
    if lcm_lora:
        pipe.load_lora_weights(lcm_lora)
        pipe.fuse_lora()
    vae = AutoencoderTiny.from_pretrained(TAESD, torch_dtype=dtype).to(device).eval()
    text, unet = pipe.text_encoder.to(device).eval(), pipe.unet.to(device).eval()

    out, lat = a.out, a.resolution // 8
    with torch.no_grad():
        ids = torch.zeros(1, 77, dtype=torch.int64, device=device)
        export(text, (ids,), out / "text_encoder/model.onnx", ["input_ids"], ["last_hidden_state", "pooler_output"],
               {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}})
        sample = torch.randn(1, 4, lat, lat, dtype=dtype, device=device)
        t = torch.tensor([999], dtype=torch.int64, device=device)
        ehs = torch.randn(1, 77, hidden, dtype=dtype, device=device)
        export(UNetOut(unet), (sample, t, ehs), out / "unet/model.onnx",
               ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
               {"sample": {0: "batch", 2: "latent_height", 3: "latent_width"}, "timestep": {0: "batch"},
                "encoder_hidden_states": {0: "batch"}, "out_sample": {0: "batch", 2: "latent_height", 3: "latent_width"}})
        image = torch.rand(1, 3, a.resolution, a.resolution, dtype=dtype, device=device) * 2 - 1
        export(TinyEncoder(vae), (image,), out / "vae_encoder/model.onnx", ["sample"], ["latent_sample"],
               {"sample": {0: "batch", 2: "height", 3: "width"}, "latent_sample": {0: "batch", 2: "latent_height", 3: "latent_width"}})
        export(TinyDecoder(vae), (sample,), out / "vae_decoder/model.onnx", ["latent_sample"], ["sample"],
               {"latent_sample": {0: "batch", 2: "latent_height", 3: "latent_width"}, "sample": {0: "batch", 2: "height", 3: "width"}})
    pipe.tokenizer.save_pretrained(str(out / "tokenizer"))

    manifest = {
        "kind": "stream-diffusion", "format_version": 1, "name": f"{a.family}-{a.resolution}",
        "family": a.family, "resolution": a.resolution, "vae_scale_factor": 8, "latent_channels": 4,
        "latent_scale": 1.0, "image_range": "[-1,1]", "tensor_dtype": "float16" if a.fp16 else "float32",
        "timestep_dtype": "int64", "input_ids_dtype": "int64", "text_hidden_size": hidden, "max_length": 77,
        "prediction_type": "epsilon",
        "noise_schedule": {"type": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012, "train_steps": 1000},
        "tokenizer": {"bos_token_id": 49406, "eos_token_id": 49407, "pad_token_id": pad},
        "synthetic": False,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    lines = []
    for f in sorted(x for x in out.rglob("*") if x.is_file() and x.name != "checksums.sha256"):
        h = hashlib.sha256()
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        lines.append(f"{h.hexdigest()}  {f.relative_to(out).as_posix()}")
    (out / "checksums.sha256").write_text("\n".join(lines) + "\n")
    print(f"done: {out} (check a copy with: cd {out} && sha256sum -c checksums.sha256)")


if __name__ == "__main__":
    main()
